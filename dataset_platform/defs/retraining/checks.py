"""Blocking checks on cleaned_splits: a failure stops published_versions in the same run.

Each check reports one part of the gate decision that ``retraining/quality.py`` recorded with the
candidate's quality report; none of them re-derives it.
"""

import warnings

import dagster as dg

from dataset_platform.defs.retraining.assets import cleaned_splits
from dataset_platform.defs.retraining.partitions import label_partitions
from dataset_platform.retraining import paths

# Partitioned asset checks are a Dagster preview feature; the checks need the label partition.
warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)


def _result(label: str, check_name: str) -> dg.AssetCheckResult:
    from dataset_platform.retraining import quality

    report_file = paths.quality_dir(label) / "report.json"
    decision = quality.read_decision(report_file)
    metadata: dict = {"gate": decision.status, "reasons": decision.reasons}
    if report_file.exists():
        report = quality.read_report(report_file)
        findings = [f for f in report.findings if f.check in quality.ASSET_CHECKS[check_name]]
        if findings:
            metadata["findings"] = sum(f.count for f in findings)
            metadata["examples"] = [e for f in findings for e in f.examples][:5]
            metadata["detail"] = "; ".join(f"{f.check}: {f.detail}" for f in findings)
    if check_name == "enough_records":
        metadata.update(
            records=decision.records,
            class_counts=decision.class_counts,
            min_dataset_len=decision.policy.get("min_records"),
            min_per_class=decision.policy.get("min_per_class"),
            new_reviews=-1 if decision.new_reviews is None else decision.new_reviews,
            status=decision.status if not decision.check_passed(check_name) else "ok",
        )
    return dg.AssetCheckResult(
        passed=report_file.exists() and decision.check_passed(check_name),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def label_gate(asset, name: str, description: str):
    """A blocking check on one label partition: its failure stops the assets downstream in the same run."""
    return dg.asset_check(
        asset=asset, name=name, blocking=True, partitions_def=label_partitions, description=description
    )


def _gate_part(name: str, description: str) -> dg.AssetChecksDefinition:
    """A check reporting the part ``name`` of the recorded gate decision (``quality.ASSET_CHECKS``)."""

    @label_gate(cleaned_splits, name, description)
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return _result(context.partition_key, name)

    return _check


blocking_checks = [
    _gate_part(
        "no_text_shared_between_splits",
        "No text in two splits, and no split text equal to or a near copy of a gold text.",
    ),
    _gate_part(
        "enough_records",
        "At least MIN_DATASET_LEN records, the per-class minimum, and enough new reviews since the published version.",
    ),
    _gate_part("no_pii", "No PII left in any split after the label's PII policy."),
]
