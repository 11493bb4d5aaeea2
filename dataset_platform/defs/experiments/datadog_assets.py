"""`datadog_dataset`: the ground truth as a Datadog LLMObs dataset (export file always; pushed when DD keys are set)."""

import dagster as dg
from pydantic import Field

from dataset_platform.common import markdown
from dataset_platform.forms import datadog_export as dx
from dataset_platform.resources.datadog import LLMObsResource


def _preview(export: dict) -> str:
    rows = [
        [
            r["id"],
            r["metadata"].get("status"),
            r["input"]["num_pages"],
            len((r["expected_output"] or {}).get("vote_results") or []),
            r["metadata"].get("reviewer") or "—",
        ]
        for r in export["records"][:10]
    ]
    return markdown.table(["id", "status", "pages", "candidates", "reviewer"], rows)


class DatadogDatasetConfig(dg.Config):
    include_needs_review: bool = Field(
        default=False,
        description="Also push needs-review records (model extractions with uncertain fields or broken rules, "
        "nobody has confirmed) as expected outputs",
    )


@dg.asset(
    group_name="forms",
    deps=["ground_truth_dataset"],
    code_version="1",
    kinds={"datadog", "json"},
    description=(
        "The ground truth as a Datadog LLM Observability dataset. Always writes the JSON export file under "
        "exports/datadog; creates or updates the LLMObs dataset through ddtrace when DD_API_KEY and DD_APP_KEY are set."
    ),
)
def datadog_dataset(
    context: dg.AssetExecutionContext, config: DatadogDatasetConfig, datadog: LLMObsResource
) -> dg.MaterializeResult:
    from dataset_platform.forms.ground_truth import load_ground_truth

    version, records = load_ground_truth()
    export = dx.build_export(records, version=version)
    path = dx.write_export(export)
    dd_records = dx.to_ddtrace_records(export, include_needs_review=config.include_needs_review)
    needs_review = sum(r["metadata"].get("status") == dx.NEEDS_REVIEW for r in export["records"])
    push = datadog.push_dataset(dx.DATASET_NAME, dx.DATASET_DESCRIPTION, dd_records, dx.record_key)
    dx.record_push(version, push.to_dict())
    context.log.info(
        f"dataset {dx.DATASET_NAME} ({version}): {len(dd_records)} scorable records → {datadog.describe()}: "
        f"{push.action} version {push.version}"
    )
    metadata = {
        "dagster/row_count": len(export["records"]),
        "ground_truth_version": version,
        "scorable_records": len(dd_records),
        "needs_review_records": needs_review,
        "needs_review_excluded": 0 if config.include_needs_review else needs_review,
        "status_counts": dg.MetadataValue.json(export["status_counts"]),
        "export_file": dg.MetadataValue.path(str(path)),
        "destination": "pushed to Datadog" if push.mode == "datadog" else "local-only (DD_API_KEY/DD_APP_KEY not set)",
        "dataset_action": push.action,
        "dataset_version": push.version,
        "preview": dg.MetadataValue.md(_preview(export)),
    }
    if push.mode == "datadog":
        metadata["dagster/uri"] = dg.MetadataValue.url(push.url)
        metadata["dataset_url"] = dg.MetadataValue.url(push.url)
        metadata["records_inserted_updated_deleted"] = f"{push.inserted}/{push.updated}/{push.deleted}"
    else:
        metadata["dagster/uri"] = dg.MetadataValue.path(push.url)
        metadata["local_dataset_file"] = dg.MetadataValue.path(push.url)
    return dg.MaterializeResult(metadata=metadata)
