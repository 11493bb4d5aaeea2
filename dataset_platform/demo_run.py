"""`dataset-platform materialize-all`: materialise the whole asset graph in-process, offline.

Runs go into the Dagster instance at $DAGSTER_HOME (default: $DATASET_PLATFORM_HOME/dagster_home), so
`dagster dev` started with the same DAGSTER_HOME shows every materialisation afterwards.
"""

from __future__ import annotations

import os
import time

import dagster as dg

from dataset_platform.common import settings
from dataset_platform.defs.forms.partitions import range_tags, sync_form_set_partitions

FORM_ASSETS = ["raw_form_images", "llm_extractions"]
DATASET_ASSETS = ["ground_truth_dataset", "datadog_dataset", "experiment_results"]
RETRAINING_ASSETS = [
    "misclassified_pulls",
    "cleaned_splits",
    "quality_reports",
    "classifier_evaluation",
    "published_versions",
]
LABELS = ["department", "urgency"]
# Step-level DEBUG events are in the UI; the terminal gets what a person reads.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(settings.platform_home() / "dagster_home")
    os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
    return dg.DagsterInstance.get()


def _job(defs: dg.Definitions, keys: list[str]) -> dg.JobDefinition:
    """An asset job over ``keys`` and their checks (the way ``dg.materialize`` builds one)."""
    name = "materialize_" + keys[0].replace("/", "__") + f"_and_{len(keys) - 1}_more"  # job names: [A-Za-z0-9_]
    with_job = dg.Definitions.merge(defs, dg.Definitions(jobs=[dg.define_asset_job(name, selection=keys)]))
    return with_job.resolve_job_def(name)


def pipeline_asset_keys(defs: dg.Definitions) -> list[str]:
    """Every asset of every declared pipeline (DatasetPipeline components), as user strings."""
    from dataset_platform.components.dataset_pipeline import PIPELINE_TAG

    return sorted(s.key.to_user_string() for s in defs.resolve_all_asset_specs() if s.tags.get(PIPELINE_TAG))


def materialize_all(defs: dg.Definitions | None = None, instance: dg.DagsterInstance | None = None) -> int:
    """Forms (every form set in one run), then datasets and experiments, then retraining per label."""
    if defs is None:
        from dataset_platform.definitions import defs as code_location

        defs = code_location
    instance = instance or _instance()
    failures = 0

    keys = sync_form_set_partitions(instance)
    if not keys:
        raise SystemExit(f"no form sets under {settings.form_sets_dir()}: run `dataset-platform demo-data` first")

    steps: list[tuple[str, list[str], dict]] = [
        (f"forms ({len(keys)} form sets, one run)", FORM_ASSETS, {"tags": range_tags(keys)}),
        ("datasets and experiments", DATASET_ASSETS, {}),
        *((f"retraining [{label}]", RETRAINING_ASSETS, {"partition_key": label}) for label in LABELS),
        ("review priorities", ["review_priorities"], {}),
    ]
    # Declared pipelines last: they read the ground truth and the published grievance versions made above.
    pipelines = pipeline_asset_keys(defs)
    if pipelines:
        steps.append((f"declared pipelines ({len(pipelines)} assets)", pipelines, {}))
    for title, asset_keys, kwargs in steps:
        started = time.perf_counter()
        result = _job(defs, asset_keys).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, **kwargs
        )
        status = "ok" if result.success else "FAILED"
        failures += not result.success
        print(f"{status:6} {title}: {time.perf_counter() - started:.1f}s (run {result.run_id})", flush=True)
    print(f"Dagster instance: {os.environ.get('DAGSTER_HOME')} — open the UI with `make dev`.")
    return 1 if failures else 0
