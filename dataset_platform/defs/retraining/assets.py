"""Retraining assets: pull → cleaned splits → quality report → published version, one partition per label.

Thin glue: the logic lives in dataset_platform.retraining; data moves through files under
$DATASET_PLATFORM_HOME/retraining/<label>/ (see retraining/paths.py).
"""

import base64
import json
import logging
from typing import Any

import dagster as dg
from pydantic import Field

from dataset_platform.common import atomic, settings
from dataset_platform.common.db import DatabaseUnavailable
from dataset_platform.defs.retraining.partitions import label_partitions
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import paths

log = logging.getLogger(__name__)

GROUP = "retraining"
CODE_VERSION = "retraining-v1"
RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

SPLIT_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("complaint_id", "int64", description="complaints.id"),
        dg.TableColumn("grievance", "string", description="cleaned text"),
        dg.TableColumn("label", "int64", description="ClassLabel id (mapping order)"),
        dg.TableColumn("source", "string", description="misclassified | correct"),
    ]
)


class PullConfig(dg.Config):
    correct_ratio: float = Field(default=0.5, ge=0.0, le=10.0, description="correct records per misclassified one")
    random_state: int = Field(default=42, description="seed of the correct-pool sample")
    chunk_size: int = Field(default=50_000, ge=1_000, description="rows fetched per round trip")


def wandb_log(wandb: WandbResource, name: str, job_type: str, config: dict, data: dict, artifact: dict | None = None) -> str:
    """Log to W&B without ever failing the asset; returns 'logged (<mode>)' or the error type."""
    try:
        with wandb.run(name=name, job_type=job_type, config=config, tags=["retraining"]) as run:
            run.log(data)
            for key, value in data.items():
                run.summary[key] = value
            if artifact:
                import wandb as wandb_sdk

                art = wandb_sdk.Artifact(artifact["name"], type="dataset", metadata=artifact["metadata"])
                art.add_reference(artifact["uri"], name=artifact["tag"], checksum=False)
                run.log_artifact(art, aliases=[artifact["tag"], "latest"])
        return f"logged ({wandb.effective_mode()})"
    except Exception as exc:  # W&B is reporting, not the product: never fail the dataset on it
        log.warning("W&B logging failed: %s", type(exc).__name__)
        return f"failed: {type(exc).__name__}"


def _png_markdown(path) -> dg.MetadataValue:
    encoded = base64.b64encode(path.read_bytes()).decode()
    return dg.MetadataValue.md(f"![label distribution](data:image/png;base64,{encoded})")


def _md_table(rows: dict[str, Any], key: str, value: str) -> str:
    return "\n".join([f"| {key} | {value} |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows.items())])


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"sql", "parquet"},
    retry_policy=RETRY,
    description="Reviewed misclassifications + a reproducible sample of correct records for one label.",
)
def misclassified_pulls(
    context: dg.AssetExecutionContext, config: PullConfig, review_db: ReviewDatabase, wandb: WandbResource
) -> dg.MaterializeResult:
    from dataset_platform.retraining.pipeline import run_pull

    label = context.partition_key
    wb_config = {"label": label, "database": review_db.describe(), **config.model_dump()}
    try:
        attempts = review_db.check_connection()
    except DatabaseUnavailable as exc:
        wandb_log(wandb, f"pull-{label}", "pull", wb_config, {"connection_ok": 0})
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    stats = run_pull(
        review_db.get_engine(),
        label,
        correct_ratio=config.correct_ratio,
        random_state=config.random_state,
        chunk_size=config.chunk_size,
    )
    wb_status = wandb_log(
        wandb, f"pull-{label}", "pull", wb_config,
        {"connection_ok": 1, f"records_fetched/{label}": stats.n_records,
         f"misclassified/{label}": stats.n_misclassified, f"correct/{label}": stats.n_correct},
    )  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stats.n_records,
            "dagster/uri": dg.MetadataValue.path(str(paths.pull_file(label))),
            "database": review_db.describe(),
            "connection_attempts": attempts,
            "n_misclassified": stats.n_misclassified,
            "n_correct": stats.n_correct,
            "correct_pool_size": stats.n_pool,
            "wandb": wb_status,
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"pandas", "parquet"},
    deps=[misclassified_pulls],
    description="Cleaned text, encoded labels, deduplicated, stratified train/eval/test (80/10/10).",
)
def cleaned_splits(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from dataset_platform.retraining.pipeline import run_clean_split
    from dataset_platform.retraining.splitting import read_splits

    label = context.partition_key
    if not paths.pull_file(label).exists():
        raise dg.Failure(description=f"no pull for {label}: materialize misclassified_pulls first")
    report = run_clean_split(label)
    train = read_splits(paths.splits_dir(label))["train"]
    drops = {**report["clean"]["dropped"], "duplicate_text": report["clean"]["duplicates_removed"]}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report["num_samples"],
            "dagster/column_schema": SPLIT_COLUMNS,
            "dagster/uri": dg.MetadataValue.path(str(paths.splits_dir(label))),
            "content_hash": report["content_hash"],
            "splits": dg.MetadataValue.json(report["split"]["sizes"]),
            "dropped": dg.MetadataValue.md(_md_table(drops, "reason", "rows")),
            "rare_classes": dg.MetadataValue.json(report["split"]["rare_classes"]),
            "preview": dg.MetadataValue.md(train.head(5).to_markdown(index=False)),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"pandas"},
    deps=[cleaned_splits],
    description="Schema, duplicates, leakage, label distribution and drift, outliers, encoding, PII; weighted score.",
)
def quality_reports(context: dg.AssetExecutionContext, hub: DatasetHub) -> dg.MaterializeResult:
    from dataset_platform.retraining.pipeline import run_quality

    label = context.partition_key
    latest = hub.latest_metadata(label)
    report = run_quality(label, previous_label_counts=(latest or {}).get("label_counts"))
    out = paths.quality_dir(label)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows,
            "quality_score": dg.MetadataValue.float(report.score),
            "blocking_failures": [f.check for f in report.blocking_failures],
            "compared_with": (latest or {}).get("version_tag") or "no published version",
            "findings": dg.MetadataValue.md(report.findings_markdown()),
            "label_distribution": dg.MetadataValue.md(report.distribution_markdown()),
            "label_distribution_plot": _png_markdown(out / "label_distribution.png"),
            "report": dg.MetadataValue.path(str(out / "report.json")),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=CODE_VERSION,
    kinds={"huggingface"},
    deps=[cleaned_splits, quality_reports, dg.AssetKey("classifier_evaluation")],
    retry_policy=RETRY,
    description="The immutable published dataset version (local hub, or Hugging Face Hub with HF_TOKEN).",
)
def published_versions(context: dg.AssetExecutionContext, hub: DatasetHub, wandb: WandbResource) -> dg.MaterializeResult:
    label = context.partition_key
    quality_file = paths.quality_dir(label) / "report.json"
    if not quality_file.exists():
        raise dg.Failure(description=f"no quality report for {label}: materialize quality_reports first")
    quality = json.loads(quality_file.read_text())
    blocking = [f["check"] for f in quality["findings"] if f["check"] in ("leakage", "pii") and not f["passed"]]
    if blocking:
        raise dg.Failure(description=f"not published: quality checks failed: {', '.join(blocking)}", allow_retries=False)
    from dataset_platform.retraining.evaluation import gate_blocks

    # Run alone after a blocked run, the gate's verdict on these very splits still holds.
    split_hash = json.loads(paths.split_report_file(label).read_text())["content_hash"]
    worse = gate_blocks(paths.evaluation_file(label), split_hash)
    if worse:
        raise dg.Failure(description=f"not published: {worse}", allow_retries=False)

    result = hub.publish(
        label,
        paths.splits_dir(label),
        min_len=settings.min_dataset_len(),
        run_id=context.run.run_id,
        code_version=CODE_VERSION,
        extra_metadata={"quality_score": quality["score"]},
    )
    atomic.write_json(paths.published_file(label), result.to_dict())
    artifact = None
    if result.status == "published":
        artifact = {
            "name": f"{hub.repo_id(label).replace('/', '-')}",
            "tag": result.version_tag,
            "uri": result.uri,
            "metadata": {k: result.metadata.get(k) for k in ("version_tag", "content_hash", "num_samples", "splits")},
        }
    wb_status = wandb_log(
        wandb, f"publish-{label}", "publish", {"label": label, "hub": hub.describe(), "repo_id": hub.repo_id(label)},
        {f"push_status/{label}": result.status, f"num_samples/{label}": result.num_samples}, artifact,
    )  # fmt: skip
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
        "wandb": wb_status,
    }
    if result.uri:
        metadata["dagster/uri"] = dg.MetadataValue.url(result.uri) if result.uri.startswith("http") else result.uri
    if result.status != "skipped_insufficient_data":
        metadata["dagster/row_count"] = result.num_samples
    return dg.MaterializeResult(metadata=metadata)
