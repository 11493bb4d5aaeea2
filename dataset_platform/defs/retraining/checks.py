"""Blocking checks on cleaned_splits: a failure stops published_versions in the same run."""

import warnings

import dagster as dg

from dataset_platform.common import settings
from dataset_platform.defs.retraining.assets import cleaned_splits
from dataset_platform.defs.retraining.partitions import label_partitions
from dataset_platform.retraining import paths

# Partitioned asset checks are a Dagster preview feature; the checks need the label partition.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning)


def _splits(label: str):
    from dataset_platform.retraining.splitting import read_splits

    return read_splits(paths.splits_dir(label))


@dg.asset_check(asset=cleaned_splits, blocking=True, partitions_def=label_partitions, description="No text in two splits.")
def no_text_shared_between_splits(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    splits = _splits(context.partition_key)
    seen: dict[str, str] = {}
    shared = set()
    for split, df in splits.items():
        for text in df["grievance"]:
            if seen.setdefault(text, split) != split:
                shared.add(text)
    return dg.AssetCheckResult(
        passed=not shared,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"shared_texts": len(shared), "examples": [t[:80] for t in sorted(shared)[:3]]},
    )


@dg.asset_check(
    asset=cleaned_splits, blocking=True, partitions_def=label_partitions, description="At least MIN_DATASET_LEN records."
)
def enough_records(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    total = sum(len(df) for df in _splits(context.partition_key).values())
    minimum = settings.min_dataset_len()
    return dg.AssetCheckResult(
        passed=total >= minimum,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "records": total,
            "min_dataset_len": minimum,
            "status": "ok" if total >= minimum else "skipped_insufficient_data",
        },
    )


@dg.asset_check(asset=cleaned_splits, blocking=True, partitions_def=label_partitions, description="No PII in any split.")
def no_pii(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from dataset_platform.retraining.quality import find_pii

    findings = []
    for split, df in _splits(context.partition_key).items():
        findings += [(split, kind, masked) for _, kind, masked in find_pii(df["grievance"])]
    kinds: dict[str, int] = {}
    for _, kind, _ in findings:
        kinds[kind] = kinds.get(kind, 0) + 1
    return dg.AssetCheckResult(
        passed=not findings,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"findings": len(findings), "by_kind": kinds, "examples": [f"{s}/{k}: {m}" for s, k, m in findings[:5]]},
    )


blocking_checks = [no_text_shared_between_splits, enough_records, no_pii]
