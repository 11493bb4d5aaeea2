"""Retraining assets: pull → cleaned splits → quality report → published version, one partition per label.

Thin glue: the logic lives in dataset_platform.retraining; data moves through files under
$DATASET_PLATFORM_HOME/retraining/<label>/ (see retraining/paths.py).
"""

import json
from dataclasses import asdict
from typing import Any, Literal

import dagster as dg
from pydantic import Field

from dataset_platform.common import atomic, markdown
from dataset_platform.common.db import DatabaseUnavailable
from dataset_platform.defs.retraining.partitions import label_partitions
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbArtifact, WandbResource
from dataset_platform.retraining import paths
from dataset_platform.retraining.policy import DEFAULT_MIN_NEW_REVIEWS, DEFAULT_MIN_PER_CLASS, LabelPolicy

GROUP = "retraining"
CODE_VERSION = "retraining-v1"
WANDB_TAGS = ["retraining"]
RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

SPLIT_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("complaint_id", "int64", description="complaints.id"),
        dg.TableColumn("grievance", "string", description="cleaned, PII-masked text"),
        dg.TableColumn("label", "int64", description="ClassLabel id (mapping order)"),
        dg.TableColumn("source", "string", description="misclassified | confirmed | correct | base"),
    ]
)


class PullConfig(dg.Config):
    """Run config of one label's retraining run (a run materialises one label partition)."""

    correct_ratio: float = Field(default=0.5, ge=0.0, le=10.0, description="correct records per misclassified one")
    random_state: int = Field(default=42, description="seed of the correct-pool sample")
    chunk_size: int = Field(default=50_000, ge=1_000, description="rows fetched per round trip")
    pii_policy: Literal["mask", "drop", "block"] = Field(
        default="mask", description="mask: typed placeholders; drop: the record; block: the version"
    )
    min_records: int | None = Field(default=None, ge=0, description="records in total; unset = MIN_DATASET_LEN")
    min_per_class: int = Field(default=DEFAULT_MIN_PER_CLASS, ge=0, description="records per class")
    min_new_reviews: int = Field(
        default=DEFAULT_MIN_NEW_REVIEWS, ge=0, description="reviewed rows newer than the published version"
    )
    base_dataset: str | None = Field(
        default=None, description="base training data: '<owner>/<repo>[@<version tag>]' on the (local) hub"
    )
    base_table: str | None = Field(
        default=None, description="base training data: a review-database table (complaint_id, text, label)"
    )
    base_max_records: int | None = Field(default=None, ge=1, description="cap on base rows (lowest ids first)")

    def policy(self) -> LabelPolicy:
        defaults = LabelPolicy()
        return LabelPolicy(
            pii=self.pii_policy,
            min_records=defaults.min_records if self.min_records is None else self.min_records,
            min_per_class=self.min_per_class,
            min_new_reviews=self.min_new_reviews,
        )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"sql", "parquet"},
    retry_policy=RETRY,
    description="Reviewed misclassifications + a reproducible sample of correct records for one label.",
)
def misclassified_pulls(
    context: dg.AssetExecutionContext,
    config: PullConfig,
    review_db: ReviewDatabase,
    hub: DatasetHub,
    wandb: WandbResource,
) -> dg.MaterializeResult:
    import sqlalchemy as sa

    from dataset_platform.retraining.pipeline import run_pull
    from dataset_platform.retraining.review_changes import reviews_fingerprint

    label = context.partition_key
    wb_config = {"label": label, "database": review_db.describe(), **config.model_dump()}
    try:
        attempts = review_db.check_connection()
    except DatabaseUnavailable as exc:
        wandb.log_run(context.log, f"pull-{label}", "pull", wb_config, WANDB_TAGS, metrics={"connection_ok": 0})
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    engine = review_db.get_engine()
    try:
        with review_db.failures():  # an outage or refusal: the masked message, no Dagster retry
            # Before the pull: a review landing in between is pulled and triggers one more run, never missed.
            fingerprint = reviews_fingerprint(engine, label)
            base = _load_base(config, hub, engine, label)
            stats = run_pull(
                engine,
                label,
                policy=config.policy(),
                base=base,
                correct_ratio=config.correct_ratio,
                random_state=config.random_state,
                chunk_size=config.chunk_size,
            )
    except (sa.exc.SQLAlchemyError, ValueError, FileNotFoundError) as exc:
        # A query or configuration error fails the same way on every attempt: no retries.
        description = f"pull of {label} failed: {type(exc).__name__}: {exc}"
        raise dg.Failure(description=description, allow_retries=False) from None
    if stats.quarantined_count:
        context.log.warning(
            "%s: %s rows quarantined (%s), e.g. complaint ids %s",
            label,
            sum(stats.quarantined_count.values()),
            stats.quarantined_count,
            [q.complaint_id for q in stats.quarantined[:10]],
        )
    pulled = {
        "connection_ok": 1,
        f"records_fetched/{label}": stats.n_records,
        f"misclassified/{label}": stats.n_misclassified,
        f"correct/{label}": stats.n_correct,
    }
    wb = wandb.log_run(context.log, f"pull-{label}", "pull", wb_config, WANDB_TAGS, metrics=pulled, summary=pulled)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stats.n_records,
            "dagster/uri": dg.MetadataValue.path(str(paths.pull_file(label))),
            "database": review_db.describe(),
            "connection_attempts": attempts,
            "n_misclassified": stats.n_misclassified,
            "n_correct": stats.n_correct,
            "n_confirmed": stats.n_confirmed,
            "n_confirmed_available": stats.n_confirmed_available,
            "n_base": stats.n_base,
            "source_counts": dg.MetadataValue.json(stats.source_counts),
            "correct_pool_size": stats.n_pool,
            "n_gold": stats.n_gold,
            "gold_held_out": dg.MetadataValue.json(stats.gold_held_out),
            "quarantined": dg.MetadataValue.json(
                {"count": stats.quarantined_count, "rows": [asdict(q) for q in stats.quarantined[:50]]}
            ),
            "policy": dg.MetadataValue.json(config.policy().to_dict()),
            "base_dataset": config.base_dataset or config.base_table or "",
            "wandb": wb.status,
            # What new_reviews_sensor compares with the database (retraining/review_changes.py).
            "reviews_fingerprint": fingerprint,
        }
    )


def _load_base(config: PullConfig, hub: DatasetHub, engine, label: str):
    from dataset_platform.retraining import base_data

    if config.base_dataset and config.base_table:
        raise ValueError("configure base_dataset or base_table, not both")
    if config.base_dataset:
        repo_id, tag = base_data.parse_reference(config.base_dataset)
        return base_data.from_splits(hub.read_version(repo_id, tag), label, config.base_max_records)
    if config.base_table:
        return base_data.from_table(engine, config.base_table, label, config.base_max_records)
    return None


def _latest_metadata(hub: DatasetHub, label: str, log) -> tuple[dict | None, str]:
    """The published version's metadata; a Hub outage (or no answer within the resource's deadline) degrades to
    "unknown" with a warning, never a failure: the Hub is needed to publish, not to judge the candidate."""
    latest, warning = hub.latest_metadata_for_drift(label)
    if warning:
        log.warning("%s: %s; drift and new-review checks skipped", label, warning)
        return None, warning
    return latest, (latest or {}).get("version_tag") or "no published version"


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"pandas", "parquet"},
    deps=[misclassified_pulls],
    description="Cleaned, PII-policed text, encoded labels, gold copies held out, stratified train/eval/test "
    "(80/10/10); writes the quality report and gate decision that the blocking checks read.",
)
def cleaned_splits(context: dg.AssetExecutionContext, hub: DatasetHub) -> dg.MaterializeResult:
    from dataset_platform.retraining.pipeline import run_clean_split, run_quality
    from dataset_platform.retraining.splitting import read_splits

    label = context.partition_key
    if not paths.pull_file(label).exists():
        raise dg.Failure(description=f"no pull for {label}: materialize misclassified_pulls first")
    report = run_clean_split(label)
    latest, compared_with = _latest_metadata(hub, label, context.log)
    # The report is written here, before the blocking checks run: a blocked or skipped candidate has one too.
    assessment = run_quality(label, previous=latest, compared_with=compared_with)
    train = read_splits(paths.splits_dir(label))["train"]
    drops = {**report["clean"]["dropped"], "duplicate_text": report["clean"]["duplicates_removed"]}
    decision = assessment.decision
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report["num_samples"],
            "dagster/column_schema": SPLIT_COLUMNS,
            "dagster/uri": dg.MetadataValue.path(str(paths.splits_dir(label))),
            "content_hash": report["content_hash"],
            "splits": dg.MetadataValue.json(report["split"]["sizes"]),
            "dropped": dg.MetadataValue.md(markdown.table(["reason", "rows"], drops.items())),
            "pii": dg.MetadataValue.json(
                {
                    "policy": report["clean"]["pii_policy"],
                    "records": report["clean"]["pii_records"],
                    "kinds": report["clean"]["pii_kinds"],
                }
            ),
            "n_gold": report["n_gold"],
            "rare_classes": dg.MetadataValue.json(report["split"]["rare_classes"]),
            "gate": decision.status,
            "gate_reasons": dg.MetadataValue.json(decision.reasons),
            "compared_with": compared_with,
            "quality_score": dg.MetadataValue.float(assessment.report.score),
            "quality_report": dg.MetadataValue.path(str(paths.quality_dir(label) / "report.json")),
            "preview": dg.MetadataValue.md(train.head(5).to_markdown(index=False)),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"pandas"},
    deps=[cleaned_splits],
    description="The candidate's quality report: schema, duplicates and near copies, leakage (splits and gold), label "
    "mix vs population, drift, outliers, encoding, PII; weighted score and gate decision.",
)
def quality_reports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dataset_platform.retraining import quality

    label = context.partition_key
    out = paths.quality_dir(label)
    report = quality.read_report(out / "report.json")
    decision = quality.read_decision(out / "report.json")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows,
            "quality_score": dg.MetadataValue.float(report.score),
            "gate": decision.status,
            "gate_reasons": dg.MetadataValue.json(decision.reasons),
            "blocking_failures": [f.check for f in quality.blocking_failures(report)],
            "compared_with": report.context.get("compared_with") or "no published version",
            "findings": dg.MetadataValue.md(report.findings_markdown()),
            "label_distribution": dg.MetadataValue.md(report.distribution_markdown()),
            "label_distribution_plot": dg.MetadataValue.md(
                markdown.png_image((out / "label_distribution.png").read_bytes(), "label distribution")
            ),
            "report": dg.MetadataValue.path(str(out / "report.json")),
        }
    )


def _version_metadata(label: str, score: float) -> dict:
    """What a published version records beyond its splits: where its records came from and what was removed."""
    from dataset_platform.retraining.pipeline import read_pull_stats, read_split_report

    stats, split = read_pull_stats(label), read_split_report(label)
    clean = split["clean"]
    return {
        "quality_score": score,
        "pull_counts": {
            k: stats.get(k)
            for k in ("n_misclassified", "n_confirmed", "n_confirmed_available", "n_correct", "n_base", "n_pool")
        },
        "gold_held_out": stats.get("gold_held_out", {}),
        "n_gold": split.get("n_gold", 0),
        "quarantined_count": stats.get("quarantined_count", {}),
        "reviewed_through": stats.get("reviewed_through"),
        "pii": {"policy": clean["pii_policy"], "records": clean["pii_records"], "kinds": clean["pii_kinds"]},
        "dropped": {**clean["dropped"], "duplicate_text": clean["duplicates_removed"]},
        "policy": stats.get("policy", {}),
    }


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"huggingface"},
    deps=[cleaned_splits, quality_reports, dg.AssetKey("classifier_evaluation")],
    retry_policy=RETRY,
    description="The immutable published dataset version (local hub, or Hugging Face Hub with HF_TOKEN).",
)
def published_versions(
    context: dg.AssetExecutionContext, hub: DatasetHub, wandb: WandbResource
) -> dg.MaterializeResult:
    from dataset_platform.retraining import quality
    from dataset_platform.retraining.evaluation import gate_blocks
    from dataset_platform.retraining.publishing import PublishResult

    label = context.partition_key
    report_file = paths.quality_dir(label) / "report.json"
    decision = quality.read_decision(report_file)
    if decision.status == quality.BLOCKED:
        raise dg.Failure(description=f"not published: {'; '.join(decision.reasons)}", allow_retries=False)
    # Run alone after a blocked run, the regression gate's verdict on these very splits still holds.
    split_hash = json.loads(paths.split_report_file(label).read_text())["content_hash"]
    worse = gate_blocks(paths.evaluation_file(label), split_hash)
    if worse:
        raise dg.Failure(description=f"not published: {worse}", allow_retries=False)
    if not decision.publish:
        split = json.loads(paths.split_report_file(label).read_text())
        result = PublishResult(
            status=decision.status,
            label=label,
            repo_id=hub.repo_id(label),
            content_hash=split["content_hash"],
            num_samples=split["num_samples"],
            splits=split["split"]["sizes"],
            detail="; ".join(decision.reasons),
        )
    else:
        score = quality.read_report(report_file).score
        result = hub.publish(
            label,
            paths.splits_dir(label),
            run_id=context.run.run_id,
            code_version=CODE_VERSION,
            extra_metadata=_version_metadata(label, score),
        )
    atomic.write_json(paths.published_file(label), result.to_dict())
    artifact = None
    if result.status == "published" and result.version_tag and result.uri:
        artifact = WandbArtifact(
            name=hub.repo_id(label).replace("/", "-"),
            tag=result.version_tag,
            uri=result.uri,
            metadata={k: result.metadata.get(k) for k in ("version_tag", "content_hash", "num_samples", "splits")},
        )
    pushed = {f"push_status/{label}": result.status, f"num_samples/{label}": result.num_samples}
    wb = wandb.log_run(
        context.log,
        f"publish-{label}",
        "publish",
        {"label": label, "hub": hub.describe(), "repo_id": hub.repo_id(label)},
        WANDB_TAGS,
        metrics=pushed,
        summary=pushed,
        artifact=artifact,
    )
    context.log.info("%s: %s %s", label, result.status, result.version_tag or result.detail)
    metadata: dict[str, Any] = {
        "status": result.status,
        "repo_id": result.repo_id,
        "version_tag": result.version_tag or "",
        "content_hash": result.content_hash,
        "num_samples": result.num_samples,
        "splits": dg.MetadataValue.json(result.splits),
        "previous_version": result.previous_version or "",
        "detail": result.detail,
        "wandb": wb.status,
    }
    if result.uri:
        metadata["dagster/uri"] = dg.MetadataValue.url(result.uri) if result.uri.startswith("http") else result.uri
    if decision.publish:
        metadata["dagster/row_count"] = result.num_samples
    return dg.MaterializeResult(metadata=metadata)
