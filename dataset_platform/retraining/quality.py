"""Data-quality checks for text-classification data; usable on any DataFrame (or dict of splits).

Every check returns a Finding with a count and a few examples. The quality score is
100 × Σ weight·pass / Σ weight over the checks run, with weights by severity (critical 1.0, high 0.7,
medium 0.4, low 0.1); a failed critical check passes 0, any other check passes 1 − affected share.
PII examples are masked so a report never republishes what it found.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SEVERITY_WEIGHTS = {"critical": 1.0, "high": 0.7, "medium": 0.4, "low": 0.1}
MAX_EXAMPLES = 5
DRIFT_THRESHOLD = 0.1  # total variation distance between label distributions
BLOCKING_CHECKS = ("leakage", "pii")


@dataclass
class Finding:
    check: str
    severity: str
    passed: bool
    count: int = 0
    examples: list = field(default_factory=list)
    detail: str = ""
    affected_share: float = 0.0

    @property
    def pass_score(self) -> float:
        if self.passed:
            return 1.0
        if self.severity == "critical":
            return 0.0
        return max(0.0, 1.0 - self.affected_share)


@dataclass
class QualityReport:
    rows: int
    findings: list[Finding]
    label_distribution: dict[str, dict[str, int]]
    score: float = 0.0

    def __post_init__(self) -> None:
        total = sum(SEVERITY_WEIGHTS[f.severity] for f in self.findings)
        got = sum(SEVERITY_WEIGHTS[f.severity] * f.pass_score for f in self.findings)
        self.score = round(100.0 * got / total, 2) if total else 100.0

    def finding(self, check: str) -> Finding | None:
        return next((f for f in self.findings if f.check == check), None)

    @property
    def blocking_failures(self) -> list[Finding]:
        return [f for f in self.findings if f.check in BLOCKING_CHECKS and not f.passed]

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "score": self.score,
            "findings": [asdict(f) for f in self.findings],
            "label_distribution": self.label_distribution,
        }

    def findings_markdown(self) -> str:
        lines = ["| check | severity | status | count | examples |", "|---|---|---|---|---|"]
        for f in self.findings:
            examples = "; ".join(_md_cell(e) for e in f.examples[:3])
            status = "pass" if f.passed else "**FAIL**"
            lines.append(f"| {f.check} | {f.severity} | {status} | {f.count} | {examples} |")
        return "\n".join(lines)

    def distribution_markdown(self) -> str:
        splits = list(self.label_distribution)
        classes = sorted({c for counts in self.label_distribution.values() for c in counts}, key=str)
        lines = ["| label | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
        for c in classes:
            lines.append(f"| {c} | " + " | ".join(str(self.label_distribution[s].get(c, 0)) for s in splits) + " |")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        return (
            f"**Quality score: {self.score:.1f} / 100** over {self.rows} rows\n\n{self.findings_markdown()}\n\n"
            f"Label distribution per split:\n\n{self.distribution_markdown()}\n"
        )


def _md_cell(value) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text[:80] + ("…" if len(text) > 80 else "")


# --- PII -------------------------------------------------------------------------------------------


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def thai_id_valid(number: str) -> bool:
    """13 digits; the last is (11 − Σ dᵢ·(13 − i) mod 11) mod 10 over the first 12."""
    digits = [int(d) for d in number if d.isdigit()]
    if len(digits) != 13 or digits[0] == 0:
        return False
    total = sum(d * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == digits[12]


def _ipv4_valid(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def _ipv6_valid(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
        return text.count(":") >= 2
    except ValueError:
        return False


_SEP = r"[ \-]?"
PII_PATTERNS: dict[str, tuple[re.Pattern, Callable[[str], bool]]] = {
    "email": (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), lambda s: True),
    "thai_national_id": (
        re.compile(rf"(?<![\d])\d{_SEP}\d{{4}}{_SEP}\d{{5}}{_SEP}\d{{2}}{_SEP}\d(?![\d])"),
        thai_id_valid,
    ),
    "credit_card": (re.compile(rf"(?<![\d])(?:\d{_SEP}){{12,18}}\d(?![\d])"), luhn_valid),
    "phone": (
        re.compile(
            rf"(?<![\d+])(?:(?:\+66{_SEP}|0)(?:[689](?:{_SEP}\d){{8}}|2(?:{_SEP}\d){{7}})"
            rf"|(?:\+977{_SEP})?9[78]\d{{8}}"
            rf"|\+\d{{1,3}}{_SEP}\(?\d{{1,4}}\)?(?:{_SEP}\d){{6,10}})(?![\d])"
        ),
        lambda s: True,
    ),
    "ip_address": (re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"), _ipv4_valid),
    "ipv6_address": (re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])"), _ipv6_valid),
}
# Cheap Arrow (RE2) pre-filter: only rows with an '@', a hex-colon group or four close digits go to Python.
_PII_PREFILTER = r"@|[0-9][ .\-]?[0-9][ .\-]?[0-9][ .\-]?[0-9]|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:"


def mask(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


def find_pii(texts: Iterable[str]) -> list[tuple[int, str, str]]:
    """(row position, kind, masked match) for each validated PII match."""
    series = pd.Series(list(texts) if not isinstance(texts, pd.Series) else texts.to_numpy(), dtype=object)
    arr = pa.array(series.fillna("").astype(str), pa.large_string())
    (candidates,) = np.nonzero(pc.match_substring_regex(arr, _PII_PREFILTER).to_numpy(zero_copy_only=False))
    found = []
    for pos in candidates:
        text = series.iat[pos]
        taken: list[tuple[int, int]] = []
        for kind, (pattern, valid) in PII_PATTERNS.items():
            for m in pattern.finditer(text):
                if any(m.start() < end and start < m.end() for start, end in taken) or not valid(m.group()):
                    continue
                taken.append(m.span())
                found.append((int(pos), kind, mask(m.group())))
    return found


# --- schemas ---------------------------------------------------------------------------------------


def pull_schema():
    """pandera schema of a pull (pull.py): one row per candidate record, raw text and string label."""
    import pandera.pandas as pa_

    return pa_.DataFrameSchema(
        {
            "complaint_id": pa_.Column("int64", nullable=False),
            "text": pa_.Column(str, nullable=False),
            "label": pa_.Column(str, nullable=True),
            "source": pa_.Column(str, pa_.Check.isin(["misclassified", "correct"])),
        },
        strict=False,
        name="pull",
    )


def split_schema(label_names: Sequence[str]):
    """pandera schema of a published split: complaint_id int, non-empty grievance, encoded label, source."""
    import pandera.pandas as pa_

    return pa_.DataFrameSchema(
        {
            "complaint_id": pa_.Column("int64", unique=True, nullable=False),
            "grievance": pa_.Column(str, pa_.Check.str_length(min_value=1), nullable=False),
            "label": pa_.Column("int64", pa_.Check.isin(list(range(len(label_names)))), nullable=False),
            "source": pa_.Column(str, pa_.Check.isin(["misclassified", "correct"]), nullable=False),
        },
        strict=True,
        ordered=True,
        name="split",
    )


def schema_finding(df: pd.DataFrame, schema, check: str = "schema") -> Finding:
    import pandera.errors

    try:
        schema.validate(df, lazy=True)
        return Finding(check, "high", True, detail=f"pandera schema {schema.name!r}")
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        examples = [f"{r.column}: {r.check} ({_md_cell(r.failure_case)})" for r in cases.head(MAX_EXAMPLES).itertuples()]
        share = min(1.0, len(cases) / max(1, len(df)))
        return Finding(check, "high", False, len(cases), examples, f"pandera schema {schema.name!r}", share)


# --- checks ----------------------------------------------------------------------------------------


def _near_key(texts: pd.Series) -> pd.Series:
    """Case-folded, NFKC, letters/digits only: catches copies that differ by punctuation or spacing."""
    arr = pa.array(texts.astype(str), pa.large_string())
    arr = pc.utf8_lower(pc.utf8_normalize(arr, form="NFKC"))
    return pd.Series(pc.replace_substring_regex(arr, r"[^\pL\pN]+", "").to_numpy(zero_copy_only=False), index=texts.index)


def _examples(values: Iterable) -> list:
    out = []
    for v in values:
        out.append(_md_cell(v))
        if len(out) >= MAX_EXAMPLES:
            break
    return out


def run_quality_checks(
    data: pd.DataFrame | dict[str, pd.DataFrame],
    *,
    text_col: str = "grievance",
    label_col: str = "label",
    label_names: Sequence[str] | None = None,
    previous_label_counts: dict[str, int] | None = None,
    schema=None,
) -> QualityReport:
    """All checks over one DataFrame or a dict of splits (leakage and per-split distribution need splits)."""
    splits = data if isinstance(data, dict) else {"all": data}
    frames = [df.assign(_split=name) for name, df in splits.items()]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[text_col, label_col, "_split"])
    n = len(df)
    share = lambda count: min(1.0, count / n) if n else 0.0  # noqa: E731
    texts = df[text_col].astype(object)
    findings: list[Finding] = []

    if schema is not None:
        findings.append(_combine_schema(splits, schema))

    blank = texts.isna() | (texts.fillna("").astype(str).str.strip() == "")
    missing = df.drop(columns="_split").isna().any(axis=1) | blank
    findings.append(
        Finding(
            "missing_values", "high", not missing.any(), int(missing.sum()),
            _examples(df.loc[missing].drop(columns="_split").head(MAX_EXAMPLES).to_dict("records")),
            "rows with a null value or an empty text", share(int(missing.sum())),
        )
    )  # fmt: skip

    names = list(label_names) if label_names is not None else None
    labels = df[label_col]
    if names is not None:
        valid = labels.isin(range(len(names))) if pd.api.types.is_numeric_dtype(labels) else labels.isin(names)
        invalid = ~valid
        findings.append(
            Finding(
                "invalid_labels", "critical", not invalid.any(), int(invalid.sum()),
                _examples(labels[invalid].unique()), f"labels outside {names}", share(int(invalid.sum())),
            )
        )  # fmt: skip

    present = texts[~blank].astype(str)
    exact = present.duplicated(keep="first")
    findings.append(
        Finding(
            "exact_duplicates", "high", not exact.any(), int(exact.sum()), _examples(present[exact].unique()),
            "rows whose text repeats an earlier row", share(int(exact.sum())),
        )
    )  # fmt: skip

    keys = _near_key(present)
    near = keys.duplicated(keep="first") & ~exact & (keys != "")
    findings.append(
        Finding(
            "near_duplicates", "medium", not near.any(), int(near.sum()), _examples(present[near].unique()),
            "same text after case folding and dropping punctuation/spacing", share(int(near.sum())),
        )
    )  # fmt: skip

    if len(splits) > 1:
        per_text = df.loc[~blank].groupby(texts[~blank].astype(str))["_split"].nunique()
        leaked = per_text[per_text > 1]
        findings.append(
            Finding(
                "leakage", "critical", leaked.empty, int(len(leaked)), _examples(leaked.index),
                "texts present in more than one split", share(int(len(leaked))),
            )
        )  # fmt: skip

    display = (lambda v: names[int(v)] if names and pd.api.types.is_number(v) and 0 <= int(v) < len(names) else str(v))
    distribution = {
        split: {display(k): int(v) for k, v in frame[label_col].value_counts().sort_index().items()}
        for split, frame in splits.items()
    }
    if names is not None:
        absent = [f"{split}: {c}" for split, counts in distribution.items() for c in names if counts.get(c, 0) == 0]
        findings.append(
            Finding(
                "label_distribution", "medium", not absent, len(absent), _examples(absent),
                "classes missing from a split", len(absent) / max(1, len(names) * len(splits)),
            )
        )  # fmt: skip

    if previous_label_counts:
        findings.append(_drift(labels.map(display).value_counts().to_dict(), previous_label_counts))

    lengths = present.str.len()
    if len(lengths):
        q1, q3 = lengths.quantile(0.25), lengths.quantile(0.75)
        upper = q3 + 3 * (q3 - q1)
        outlier = (lengths < 3) | (lengths > max(upper, 50))
        findings.append(
            Finding(
                "length_outliers", "low", not outlier.any(), int(outlier.sum()), _examples(present[outlier].str[:60]),
                f"length < 3 or > {max(upper, 50):.0f} characters (Q3 + 3·IQR)", share(int(outlier.sum())),
            )
        )  # fmt: skip

    anomalies = encoding_anomalies(present)
    findings.append(
        Finding(
            "encoding_anomalies", "low", anomalies.empty, int(anomalies.index.nunique()),
            _examples(f"{kind}: {present[i]!r}" for i, kind in anomalies.items()),
            "replacement chars, control/zero-width chars, mojibake, non-NFC, stray whitespace",
            share(int(anomalies.index.nunique())),
        )
    )  # fmt: skip

    pii = find_pii(texts.fillna("").astype(str))
    kinds = pd.Series([k for _, k, _ in pii], dtype=object).value_counts().to_dict()
    rows_with_pii = len({pos for pos, _, _ in pii})
    findings.append(
        Finding(
            "pii", "critical", not pii, len(pii), [f"{kind}: {masked}" for _, kind, masked in pii[:MAX_EXAMPLES]],
            ", ".join(f"{k}: {v}" for k, v in kinds.items()) or "emails, phones, cards (Luhn), Thai IDs, IPs",
            share(rows_with_pii),
        )
    )  # fmt: skip

    return QualityReport(rows=n, findings=findings, label_distribution=distribution)


def _combine_schema(splits: dict[str, pd.DataFrame], schema) -> Finding:
    results = [schema_finding(frame, schema) for frame in splits.values()]
    failed = [r for r in results if not r.passed]
    if not failed:
        return results[0]
    count = sum(r.count for r in failed)
    examples = [e for r in failed for e in r.examples][:MAX_EXAMPLES]
    return Finding("schema", "high", False, count, examples, failed[0].detail, max(r.affected_share for r in failed))


def _drift(current: dict[str, int], previous: dict[str, int]) -> Finding:
    classes = sorted(set(current) | set(previous))
    cur_total, prev_total = sum(current.values()) or 1, sum(previous.values()) or 1
    tvd = 0.5 * sum(abs(current.get(c, 0) / cur_total - previous.get(c, 0) / prev_total) for c in classes)
    examples = [
        f"{c}: {previous.get(c, 0) / prev_total:.1%} → {current.get(c, 0) / cur_total:.1%}" for c in classes
    ][:MAX_EXAMPLES]
    return Finding(
        "label_drift", "medium", tvd <= DRIFT_THRESHOLD, int(tvd > DRIFT_THRESHOLD), examples,
        f"total variation distance {tvd:.3f} vs latest published version (threshold {DRIFT_THRESHOLD})", tvd,
    )  # fmt: skip


_ANOMALIES = {
    "replacement_char": "\ufffd",
    "control_char": r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
    "zero_width": "[\u200b\u200c\u200d\u2060\ufeff]",
    "mojibake": "Ã.|Â.|à¸|à¹",
    "edge_whitespace": r"^\s|\s$",
    "repeated_whitespace": r"\s\s",
}


def encoding_anomalies(texts: pd.Series) -> pd.Series:
    """Row index → first anomaly kind found, for rows that have one."""
    hits: dict[int, str] = {}
    for kind, pattern in _ANOMALIES.items():
        mask_ = texts.str.contains(pattern, regex=True)
        for idx in texts.index[mask_.fillna(False).to_numpy(bool)]:
            hits.setdefault(idx, kind)
    nfc = texts.map(lambda t: unicodedata.is_normalized("NFC", t))
    for idx in texts.index[~nfc.to_numpy(bool)]:
        hits.setdefault(idx, "not_nfc")
    return pd.Series(hits, dtype=object)


def plot_label_distribution(report: QualityReport, path: Path, title: str = "Label distribution per split") -> Path:
    """Grouped bar chart (share of each class within each split) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = list(report.label_distribution)
    classes = sorted({c for counts in report.label_distribution.values() for c in counts}, key=str)
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    width = 0.8 / max(1, len(splits))
    for i, split in enumerate(splits):
        counts = report.label_distribution[split]
        total = sum(counts.values()) or 1
        ax.bar(np.arange(len(classes)) + i * width, [counts.get(c, 0) / total for c in classes], width, label=split)
    ax.set_xticks(np.arange(len(classes)) + width * (len(splits) - 1) / 2)
    ax.set_xticklabels([c if len(c) < 22 else c[:20] + "…" for c in classes], fontsize=8)
    ax.set_ylabel("share of split")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path
