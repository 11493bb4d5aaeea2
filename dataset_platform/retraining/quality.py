"""The quality report of a candidate version and THE publish gate (the only place either is decided).

``run_quality_checks`` runs the checks of ``checks.py`` over one DataFrame or a dict of splits (usable
on any text-classification data). ``evaluate_gate`` turns a report plus the label's policy into a
``GateDecision``: blocked (a check in ``BLOCKING_CHECKS`` failed), skipped (too few records in total or
in a class, or too little new reviewed information since the published version) or ready. The asset
checks and ``published_versions`` read that decision through ``read_decision``; nobody else re-derives it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from dataset_platform.retraining import checks
from dataset_platform.retraining.policy import LabelPolicy
from dataset_platform.retraining.report import Finding, QualityReport
from dataset_platform.retraining.schemas import schema_finding

BLOCKING_CHECKS = ("leakage", "gold_leakage", "pii")
READY = "ready"
BLOCKED = "blocked"
SKIPPED_INSUFFICIENT = "skipped_insufficient_data"
SKIPPED_NO_NEW_REVIEWS = "skipped_no_new_reviews"
# The blocking asset checks on cleaned_splits and the part of the gate each one reports.
ASSET_CHECKS = {
    "no_text_shared_between_splits": ("leakage", "gold_leakage"),
    "no_pii": ("pii",),
    "enough_records": (),
}


def run_quality_checks(
    data: pd.DataFrame | dict[str, pd.DataFrame],
    *,
    text_col: str = "grievance",
    label_col: str = "label",
    label_names: Sequence[str] | None = None,
    previous_label_counts: dict[str, int] | None = None,
    reference_counts: dict[str, dict[str, int]] | None = None,
    gold_texts: pd.Series | None = None,
    pii_policy: str | None = None,
    schema=None,
) -> QualityReport:
    """All checks over one DataFrame or a dict of splits (leakage and near copies need splits).

    ``reference_counts``: label counts of the population ({"gold": ..., "population": ...}); the label mix
    is compared with gold (true labels of a random sample) when given, else with the production predictions.
    """
    splits = data if isinstance(data, dict) else {"all": data}
    frames = [df.assign(_split=name) for name, df in splits.items()]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[text_col, label_col, "_split"])
    n = len(df)
    texts = df[text_col].astype(object)
    blank = texts.isna() | (texts.fillna("").astype(str).str.strip() == "")
    present = texts[~blank].astype(str)
    names = list(label_names) if label_names is not None else None
    labels = df[label_col]
    findings: list[Finding] = []

    if schema is not None:
        findings.append(_combine_schema(splits, schema))
    findings.append(checks.missing_values(df.drop(columns="_split"), blank))
    if names is not None:
        findings.append(checks.invalid_labels(labels, names))
    findings.append(checks.exact_duplicates(present, n))
    findings.append(checks.near_duplicates(present, n))
    if len(splits) > 1:
        findings.append(checks.leakage(df, text_col, blank))
        findings.append(checks.near_copies_across_splits(splits, text_col))
    if gold_texts is not None and len(gold_texts):
        findings.append(checks.gold_leakage(present, gold_texts))

    def display(v):
        return names[int(v)] if names and pd.api.types.is_number(v) and 0 <= int(v) < len(names) else str(v)

    distribution = {
        split: {display(k): int(v) for k, v in frame[label_col].value_counts().sort_index().items()}
        for split, frame in splits.items()
    }
    if names is not None:
        findings.append(checks.label_distribution(distribution, names))
    counts = labels.map(display).value_counts().to_dict()
    if previous_label_counts:
        findings.append(checks.label_drift(counts, previous_label_counts))
    reference_counts = {k: v for k, v in (reference_counts or {}).items() if v}
    for name in ("gold", "population"):
        if name in reference_counts:
            what = "gold set (blind labels)" if name == "gold" else "production predictions over all complaints"
            findings.append(checks.label_mix(counts, reference_counts[name], what))
            break
    if (lengths := checks.length_outliers(present, n)) is not None:
        findings.append(lengths)
    findings.append(checks.encoding(present, n))
    findings.append(checks.pii_left(texts, n, pii_policy))
    context = {"reference_distribution": reference_counts} if reference_counts else {}
    return QualityReport(rows=n, findings=findings, label_distribution=distribution, context=context)


def _combine_schema(splits: dict[str, pd.DataFrame], schema) -> Finding:
    results = [schema_finding(frame, schema) for frame in splits.values()]
    failed = [r for r in results if not r.passed]
    if not failed:
        return results[0]
    return Finding(
        check="schema",
        severity="high",
        passed=False,
        count=sum(r.count for r in failed),
        examples=[e for r in failed for e in r.examples][:5],
        detail=failed[0].detail,
        affected_share=max(r.affected_share for r in failed),
    )


def blocking_failures(report: QualityReport) -> list[Finding]:
    return [f for f in report.findings if f.check in BLOCKING_CHECKS and not f.passed]


@dataclass
class GateDecision:
    status: str
    reasons: list[str] = field(default_factory=list)
    records: int = 0
    class_counts: dict[str, int] = field(default_factory=dict)
    new_reviews: int | None = None
    policy: dict = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    size_ok: bool = True
    new_reviews_ok: bool = True

    @property
    def publish(self) -> bool:
        return self.status == READY

    def to_dict(self) -> dict:
        return asdict(self)

    def check_passed(self, asset_check: str) -> bool:
        """Whether the blocking asset check ``asset_check`` (see ASSET_CHECKS) passes under this decision."""
        if asset_check == "enough_records":
            return self.size_ok and self.new_reviews_ok
        return not set(ASSET_CHECKS[asset_check]) & set(self.failed_checks)


def evaluate_gate(
    report: QualityReport,
    policy: LabelPolicy,
    *,
    class_counts: dict[str, int],
    new_reviews: int | None,
    unchanged: bool = False,
) -> GateDecision:
    """Blocking checks first, then the size gate, then "enough new reviewed information".

    ``new_reviews``: reviewed rows in this candidate newer than the published version (None: nothing is
    published yet). An ``unchanged`` candidate (same content hash as the published version) is not held
    back by the new-review minimum: publishing reports it as unchanged.
    """
    decision = GateDecision(
        status=READY,
        records=sum(class_counts.values()),
        class_counts=dict(class_counts),
        new_reviews=new_reviews,
        policy=policy.to_dict(),
    )
    failed = blocking_failures(report)
    decision.failed_checks = [f.check for f in failed]
    for f in failed:
        note = f" (PII policy {policy.pii!r})" if f.check == "pii" else ""
        decision.reasons.append(f"{f.check} failed: {f.count} found{note}")
    if failed:
        decision.status = BLOCKED
    size_reasons = []
    if decision.records < policy.min_records:
        size_reasons.append(f"{decision.records} records < MIN_DATASET_LEN {policy.min_records}")
    small = {c: n for c, n in class_counts.items() if n < policy.min_per_class}
    if small:
        listed = ", ".join(f"{c}: {n}" for c, n in small.items())
        size_reasons.append(f"classes below {policy.min_per_class} records: {listed}")
    decision.reasons += size_reasons
    decision.size_ok = not size_reasons
    if size_reasons and decision.status == READY:
        decision.status = SKIPPED_INSUFFICIENT
    if new_reviews is not None and not unchanged and new_reviews < policy.min_new_reviews:
        decision.reasons.append(
            f"{new_reviews} reviewed rows newer than the published version < {policy.min_new_reviews} required"
        )
        decision.new_reviews_ok = False
        if decision.status == READY:
            decision.status = SKIPPED_NO_NEW_REVIEWS
    return decision


def write_report(report: QualityReport, decision: GateDecision, out_dir: Path) -> Path:
    """report.json (with the gate decision) and report.md, written atomically."""
    from dataset_platform.common import atomic

    report.context["gate"] = decision.to_dict()
    out_dir = Path(out_dir)
    atomic.write_json(out_dir / "report.json", report.to_dict())
    atomic.write_text(out_dir / "report.md", report.to_markdown())
    return out_dir / "report.json"


def read_report(path: Path) -> QualityReport:
    return QualityReport.from_dict(json.loads(Path(path).read_text()))


def read_decision(path: Path) -> GateDecision:
    """The gate decision recorded with a report; a missing report is a blocked candidate, never a pass."""
    path = Path(path)
    if not path.exists():
        return GateDecision(status=BLOCKED, reasons=[f"no quality report at {path}: materialize cleaned_splits"])
    gate = json.loads(path.read_text()).get("gate")
    if not gate:
        return GateDecision(status=BLOCKED, reasons=["the quality report carries no gate decision"])
    return GateDecision(**gate)
