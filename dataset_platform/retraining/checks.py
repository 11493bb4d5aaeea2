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


def missing_values(df: pd.DataFrame, blank: pd.Series) -> Finding:
    missing = df.isna().any(axis=1) | blank
    n = int(missing.sum())
    return Finding(
        check="missing_values",
        severity="high",
        passed=not n,
        count=n,
        examples=examples(df.loc[missing].head(5).to_dict("records")),
        detail="rows with a null value or an empty text",
        affected_share=_share(n, len(df)),
    )


def invalid_labels(labels: pd.Series, names: Sequence[str]) -> Finding:
    numeric = pd.api.types.is_numeric_dtype(labels)
    invalid = ~(labels.isin(range(len(names))) if numeric else labels.isin(names))
    n = int(invalid.sum())
    return Finding(
        check="invalid_labels",
        severity="critical",
        passed=not n,
        count=n,
        examples=examples(labels[invalid].unique()),
        detail=f"labels outside {list(names)}",
        affected_share=_share(n, len(labels)),
    )


def exact_duplicates(texts: pd.Series, n_rows: int) -> Finding:
    dup = texts.duplicated(keep="first")
    n = int(dup.sum())
    return Finding(
        check="exact_duplicates",
        severity="high",
        passed=not n,
        count=n,
        examples=examples(texts[dup].unique()),
        detail="rows whose text repeats an earlier row",
        affected_share=_share(n, n_rows),
    )


def near_duplicates(texts: pd.Series, n_rows: int) -> Finding:
    """Same text after case folding and dropping punctuation/spacing; combining marks are kept."""
    keys = pd.Series(near_copies.normalize(pa_strings(texts)).to_pylist(), index=texts.index)
    near = keys.duplicated(keep="first") & ~texts.duplicated(keep="first") & (keys != "")
    n = int(near.sum())
    return Finding(
        check="near_duplicates",
        severity="medium",
        passed=not n,
        count=n,
        examples=examples(texts[near].unique()),
        detail="same text after case folding and dropping punctuation/spacing (marks kept)",
        affected_share=_share(n, n_rows),
    )


def leakage(df: pd.DataFrame, text_col: str, blank: pd.Series) -> Finding:
    per_text = df.loc[~blank].groupby(df.loc[~blank, text_col].astype(str))["_split"].nunique()
    leaked = per_text[per_text > 1]
    return Finding(
        check="leakage",
        severity="critical",
        passed=leaked.empty,
        count=int(len(leaked)),
        examples=examples(leaked.index),
        detail="texts present in more than one split",
        affected_share=_share(int(len(leaked)), len(df)),
    )


def gold_leakage(texts: pd.Series, gold_texts: pd.Series) -> Finding:
    """Split texts that are gold texts, or near copies of one (the gold set must stay unseen)."""
    texts = texts.astype(str).reset_index(drop=True)
    gold_texts = gold_texts.astype(str).reset_index(drop=True)
    exact = texts.isin(set(gold_texts))
    signatures = near_copies.signatures
    matches = near_copies.near_matches(signatures(pa_strings(texts)), signatures(pa_strings(gold_texts)))
    leaked = exact.to_numpy() | matches.found
    n = int(leaked.sum())
    shown = [
        f"{_short(texts[i])} ≈ gold: {_short(gold_texts[matches.index[i]] if matches.index[i] >= 0 else texts[i])}"
        for i in leaked.nonzero()[0][:5]
    ]
    return Finding(
        check="gold_leakage",
        severity="critical",
        passed=not n,
        count=n,
        examples=examples(shown),
        detail=f"split texts equal to or near copies (Jaccard ≥ {near_copies.NEAR_THRESHOLD}) of the {len(gold_texts)} "
        "gold texts",
        affected_share=_share(n, len(texts)),
    )


def near_copies_across_splits(splits: dict[str, pd.DataFrame], text_col: str) -> Finding:
    """Eval/test rows with a near copy in train: a template seen in training inflates test scores."""
    if "train" not in splits or len(splits) < 2:
        return Finding(check="near_copies_across_splits", severity="medium", passed=True, detail="needs a train split")
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
    return Finding(
        check="near_copies_across_splits",
        severity="medium",
        passed=not found,
        count=found,
        examples=examples(shown),
        detail=detail,
        affected_share=_share(found, total),
    )


def label_distribution(distribution: dict[str, dict[str, int]], names: Sequence[str]) -> Finding:
    absent = [f"{split}: {c}" for split, counts in distribution.items() for c in names if counts.get(c, 0) == 0]
    return Finding(
        check="label_distribution",
        severity="medium",
        passed=not absent,
        count=len(absent),
        examples=examples(absent),
        detail="classes missing from a split",
        affected_share=len(absent) / max(1, len(names) * len(distribution)),
    )


def _tvd(current: dict[str, int], reference: dict[str, int]) -> tuple[float, list[str]]:
    classes = sorted(set(current) | set(reference))
    cur_total, ref_total = sum(current.values()) or 1, sum(reference.values()) or 1
    tvd = 0.5 * sum(abs(current.get(c, 0) / cur_total - reference.get(c, 0) / ref_total) for c in classes)
    lines = [f"{c}: {reference.get(c, 0) / ref_total:.1%} → {current.get(c, 0) / cur_total:.1%}" for c in classes]
    return tvd, lines


def label_drift(current: dict[str, int], previous: dict[str, int]) -> Finding:
    tvd, lines = _tvd(current, previous)
    return Finding(
        check="label_drift",
        severity="medium",
        passed=tvd <= DRIFT_THRESHOLD,
        count=int(tvd > DRIFT_THRESHOLD),
        examples=lines[:5],
        affected_share=tvd,
        detail=f"total variation distance {tvd:.3f} vs latest published version (threshold {DRIFT_THRESHOLD})",
    )


def label_mix(current: dict[str, int], reference: dict[str, int], reference_name: str) -> Finding:
    """The version's label mix vs the complaints it should represent (gold: true labels; else predictions)."""
    tvd, lines = _tvd(current, reference)
    return Finding(
        check="label_mix_vs_population",
        severity="medium",
        passed=tvd <= MIX_THRESHOLD,
        count=int(tvd > MIX_THRESHOLD),
        examples=lines[:5],
        affected_share=tvd,
        detail=f"total variation distance {tvd:.3f} between the version and the {reference_name} "
        f"(threshold {MIX_THRESHOLD}; an error-driven pull over-represents the classes the model gets wrong)",
    )


def length_outliers(texts: pd.Series, n_rows: int) -> Finding | None:
    lengths = texts.str.len()
    if not len(lengths):
        return None
    q1, q3 = lengths.quantile(0.25), lengths.quantile(0.75)
    upper = max(q3 + 3 * (q3 - q1), 50)
    outlier = (lengths < 3) | (lengths > upper)
    n = int(outlier.sum())
    return Finding(
        check="length_outliers",
        severity="low",
        passed=not n,
        count=n,
        examples=examples(texts[outlier].str[:60]),
        detail=f"length < 3 or > {upper:.0f} characters (Q3 + 3·IQR)",
        affected_share=_share(n, n_rows),
    )


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
    n = int(anomalies.index.nunique())
    return Finding(
        check="encoding_anomalies",
        severity="low",
        passed=anomalies.empty,
        count=n,
        examples=examples(f"{kind}: {texts[i]!r}" for i, kind in anomalies.items()),
        detail="replacement chars, control chars, stray zero-width chars (joiners in Indic/Arabic script are text), "
        "mojibake, non-NFC, stray whitespace",
        affected_share=_share(n, n_rows),
    )


def pii_left(texts: pd.Series, n_rows: int, policy: str | None = None) -> Finding:
    scan = pii.scan_column(pa_strings(texts.fillna("")))
    kinds = ", ".join(f"{k}: {v}" for k, v in scan.kinds.items())
    detail = kinds or "emails, phones (any digits), cards (Luhn + issuer), IMEIs, Thai IDs, IPs"
    if policy:
        detail += f" — after PII policy {policy!r}"
    return Finding(
        check="pii",
        severity="critical",
        passed=not scan.rows,
        count=scan.n_matches,
        examples=scan.examples(),
        detail=detail,
        affected_share=_share(len(scan.rows), n_rows),
    )


def pa_strings(texts: pd.Series):
    import pyarrow as pa

    return pa.array(texts.astype(object).where(texts.notna(), None).tolist(), pa.large_string())
