"""The individual quality checks: each takes plain data and returns one Finding (keyword-built).

``quality.run_quality_checks`` runs them; ``quality`` alone decides which of them block publishing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

from dataset_platform.common import pii
from dataset_platform.retraining import near_copies
from dataset_platform.retraining.report import Finding, examples

DRIFT_THRESHOLD = 0.1  # total variation distance between label distributions (vs the published version)
MIX_THRESHOLD = 0.25  # ... between the version and the population of complaints
NEAR_COPY_SAMPLE = 50_000  # train rows compared for cross-split near copies (a reproducible sample above)


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _share(count: int, n: int) -> float:
    return min(1.0, count / n) if n else 0.0


# Each check's severity weighs it in the quality score (report.SEVERITY_WEIGHTS); a failed critical check scores 0.
SEVERITY = {
    "missing_values": "high",
    "invalid_labels": "critical",
    "exact_duplicates": "high",
    "near_duplicates": "medium",
    "leakage": "critical",
    "gold_leakage": "critical",
    "near_copies_across_splits": "medium",
    "label_distribution": "medium",
    "label_drift": "medium",
    "label_mix_vs_population": "medium",
    "length_outliers": "low",
    "encoding_anomalies": "low",
    "pii": "critical",
}


def _flagged(check: str, n: int, total: int, shown, detail: str, share: float | None = None) -> Finding:
    """A finding that counts flagged items: passed when there are none; ``n`` of ``total`` rows affected."""
    return Finding(
        check=check,
        severity=SEVERITY[check],
        passed=not n,
        count=n,
        examples=examples(shown),
        detail=detail,
        affected_share=_share(n, total) if share is None else share,
    )


def _distance(check: str, tvd: float, threshold: float, lines: list[str], detail: str) -> Finding:
    """A finding on a total variation distance: fails above ``threshold``; the distance is the affected share."""
    return Finding(
        check=check,
        severity=SEVERITY[check],
        passed=tvd <= threshold,
        count=int(tvd > threshold),
        examples=lines[:5],
        affected_share=tvd,
        detail=f"total variation distance {tvd:.3f} {detail}",
    )


def missing_values(df: pd.DataFrame, blank: pd.Series) -> Finding:
    missing = df.isna().any(axis=1) | blank
    shown = df.loc[missing].head(5).to_dict("records")
    return _flagged("missing_values", int(missing.sum()), len(df), shown, "rows with a null value or an empty text")


def invalid_labels(labels: pd.Series, names: Sequence[str]) -> Finding:
    numeric = pd.api.types.is_numeric_dtype(labels)
    invalid = ~(labels.isin(range(len(names))) if numeric else labels.isin(names))
    shown = labels[invalid].unique()
    return _flagged("invalid_labels", int(invalid.sum()), len(labels), shown, f"labels outside {list(names)}")


def exact_duplicates(texts: pd.Series, n_rows: int) -> Finding:
    dup = texts.duplicated(keep="first")
    detail = "rows whose text repeats an earlier row"
    return _flagged("exact_duplicates", int(dup.sum()), n_rows, texts[dup].unique(), detail)


def near_duplicates(texts: pd.Series, n_rows: int) -> Finding:
    """Same text after case folding and dropping punctuation/spacing; combining marks are kept."""
    keys = pd.Series(near_copies.normalize(pa_strings(texts)).to_pylist(), index=texts.index)
    near = keys.duplicated(keep="first") & ~texts.duplicated(keep="first") & (keys != "")
    detail = "same text after case folding and dropping punctuation/spacing (marks kept)"
    return _flagged("near_duplicates", int(near.sum()), n_rows, texts[near].unique(), detail)


def leakage(df: pd.DataFrame, text_col: str, blank: pd.Series) -> Finding:
    per_text = df.loc[~blank].groupby(df.loc[~blank, text_col].astype(str))["_split"].nunique()
    leaked = per_text[per_text > 1]
    return _flagged("leakage", len(leaked), len(df), leaked.index, "texts present in more than one split")


def gold_leakage(texts: pd.Series, gold_texts: pd.Series) -> Finding:
    """Split texts that are gold texts, or near copies of one (the gold set must stay unseen)."""
    texts = texts.astype(str).reset_index(drop=True)
    gold_texts = gold_texts.astype(str).reset_index(drop=True)
    exact = texts.isin(set(gold_texts))
    signatures = near_copies.signatures
    matches = near_copies.near_matches(signatures(pa_strings(texts)), signatures(pa_strings(gold_texts)))
    leaked = exact.to_numpy() | matches.found
    shown = [
        f"{_short(texts[i])} ≈ gold: {_short(gold_texts[matches.index[i]] if matches.index[i] >= 0 else texts[i])}"
        for i in leaked.nonzero()[0][:5]
    ]
    detail = (
        f"split texts equal to or near copies (Jaccard ≥ {near_copies.NEAR_THRESHOLD}) of the {len(gold_texts)} "
        "gold texts"
    )
    return _flagged("gold_leakage", int(leaked.sum()), len(texts), shown, detail)


def near_copies_across_splits(splits: dict[str, pd.DataFrame], text_col: str) -> Finding:
    """Eval/test rows with a near copy in train: a template seen in training inflates test scores."""
    if "train" not in splits or len(splits) < 2:
        return _flagged("near_copies_across_splits", 0, 0, [], "needs a train split")
    train = splits["train"][text_col].astype(str)
    detail = f"eval/test texts with a train text of Jaccard ≥ {near_copies.NEAR_THRESHOLD} (5-character shingles)"
    if len(train) > NEAR_COPY_SAMPLE:
        train = train.sample(NEAR_COPY_SAMPLE, random_state=42)
        detail += f"; train sampled to {NEAR_COPY_SAMPLE}"
    index = near_copies.signatures(pa_strings(train))
    train = train.reset_index(drop=True)
    found, total, shown = 0, 0, []
    for name, frame in splits.items():
        if name == "train":
            continue
        texts = frame[text_col].astype(str).reset_index(drop=True)
        matches = near_copies.near_matches(near_copies.signatures(pa_strings(texts)), index)
        total += len(texts)
        found += int(matches.found.sum())
        for i in matches.found.nonzero()[0][:3]:
            shown.append(f"{name}: {_short(texts[i])} ≈ train: {_short(train[matches.index[i]])}")
    return _flagged("near_copies_across_splits", found, total, shown, detail)


def label_distribution(distribution: dict[str, dict[str, int]], names: Sequence[str]) -> Finding:
    absent = [f"{split}: {c}" for split, counts in distribution.items() for c in names if counts.get(c, 0) == 0]
    share = len(absent) / max(1, len(names) * len(distribution))
    return _flagged("label_distribution", len(absent), 0, absent, "classes missing from a split", share=share)


def _tvd(current: dict[str, int], reference: dict[str, int]) -> tuple[float, list[str]]:
    classes = sorted(set(current) | set(reference))
    cur_total, ref_total = sum(current.values()) or 1, sum(reference.values()) or 1
    tvd = 0.5 * sum(abs(current.get(c, 0) / cur_total - reference.get(c, 0) / ref_total) for c in classes)
    lines = [f"{c}: {reference.get(c, 0) / ref_total:.1%} → {current.get(c, 0) / cur_total:.1%}" for c in classes]
    return tvd, lines


def label_drift(current: dict[str, int], previous: dict[str, int]) -> Finding:
    tvd, lines = _tvd(current, previous)
    detail = f"vs latest published version (threshold {DRIFT_THRESHOLD})"
    return _distance("label_drift", tvd, DRIFT_THRESHOLD, lines, detail)


def label_mix(current: dict[str, int], reference: dict[str, int], reference_name: str) -> Finding:
    """The version's label mix vs the complaints it should represent (gold: true labels; else predictions)."""
    tvd, lines = _tvd(current, reference)
    detail = (
        f"between the version and the {reference_name} (threshold {MIX_THRESHOLD}; "
        "an error-driven pull over-represents the classes the model gets wrong)"
    )
    return _distance("label_mix_vs_population", tvd, MIX_THRESHOLD, lines, detail)


def length_outliers(texts: pd.Series, n_rows: int) -> Finding | None:
    lengths = texts.str.len()
    if not len(lengths):
        return None
    q1, q3 = lengths.quantile(0.25), lengths.quantile(0.75)
    upper = max(q3 + 3 * (q3 - q1), 50)
    outlier = (lengths < 3) | (lengths > upper)
    detail = f"length < 3 or > {upper:.0f} characters (Q3 + 3·IQR)"
    return _flagged("length_outliers", int(outlier.sum()), n_rows, texts[outlier].str[:60], detail)


# Scripts in which ZWJ/ZWNJ are part of correct spelling (Indic conjuncts, Persian/Arabic, Sinhala,
# Myanmar) or of an emoji sequence: a joiner after such a character is text, not an encoding fault.
_JOINER_SCRIPTS = "\u0600-\u06ff\u0750-\u077f\u0900-\u0dff\u1000-\u109f\ufe0f\U0001f000-\U0001faff"
ANOMALIES = {
    "replacement_char": "\ufffd",
    "control_char": r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
    "zero_width": f"[\u200b\u2060\ufeff]|(?<![{_JOINER_SCRIPTS}])[\u200c\u200d]",
    "mojibake": "Ã.|Â.|à¸|à¹|à¤|à¥",
    "edge_whitespace": r"^\s|\s$",
    "repeated_whitespace": r"\s\s",
}
_ANOMALY_RES = {kind: re.compile(pattern) for kind, pattern in ANOMALIES.items()}


def encoding_anomalies(texts: pd.Series) -> pd.Series:
    """Row index → first anomaly kind found, for rows that have one."""
    hits: dict[int, str] = {}
    for kind, pattern in ANOMALIES.items():
        found = texts.str.contains(pattern, regex=True)
        for idx in texts.index[found.fillna(False).to_numpy(bool)]:
            hits.setdefault(idx, kind)
    nfc = texts.map(lambda t: unicodedata.is_normalized("NFC", t))
    for idx in texts.index[~nfc.to_numpy(bool)]:
        hits.setdefault(idx, "not_nfc")
    return pd.Series(hits, dtype=object)


def encoding(texts: pd.Series, n_rows: int) -> Finding:
    anomalies = encoding_anomalies(texts)
    shown = (f"{kind}: {texts[i]!r}" for i, kind in anomalies.items())
    detail = (
        "replacement chars, control chars, stray zero-width chars (joiners in Indic/Arabic script are text), "
        "mojibake, non-NFC, stray whitespace"
    )
    return _flagged("encoding_anomalies", int(anomalies.index.nunique()), n_rows, shown, detail)


def pii_left(texts: pd.Series, n_rows: int, policy: str | None = None) -> Finding:
    scan = pii.scan_column(pa_strings(texts.fillna("")))
    kinds = ", ".join(f"{k}: {v}" for k, v in scan.kinds.items())
    detail = kinds or "emails, phones (any digits), cards (Luhn + issuer), IMEIs, Thai IDs, IPs"
    if policy:
        detail += f" — after PII policy {policy!r}"
    # count: the matches; affected: the rows that hold one
    return Finding(
        check="pii",
        severity=SEVERITY["pii"],
        passed=not scan.rows,
        count=scan.n_matches,
        examples=scan.examples(),
        detail=detail,
        affected_share=_share(len(scan.rows), n_rows),
    )


def pa_strings(texts: pd.Series):
    import pyarrow as pa

    return pa.array(texts.astype(object).where(texts.notna(), None).tolist(), pa.large_string())
