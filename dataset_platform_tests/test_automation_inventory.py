"""Jobs, schedules, sensors, asset keys and schedule run keys by name; every trigger in its domain automation.py."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import dagster as dg
import pytest

from dataset_platform.definitions import defs

DOMAINS = ("forms", "retraining", "reviews", "experiments")

# name → (cron, job); all run in UTC and are running by default.
SCHEDULES = {
    "weekly_retraining_schedule": ("0 6 * * 1", "retraining_job"),
    "weekly_experiments_schedule": ("0 8 * * 1", "experiment_weekly"),
    "review_priorities_schedule": ("0 */6 * * *", "review_priorities_job"),
}
# name → (minimum interval in seconds, the jobs it may request); both running by default.
SENSORS = {
    "new_form_sets_sensor": (60, {"__anonymous_asset_job_new_form_sets_sensor"}),
    "new_reviews_sensor": (60, {"retraining_job", "ground_truth_refresh_job"}),
}
# job → the assets it materializes (None: an op job).
JOBS = {
    "retraining_job": {
        "misclassified_pulls",
        "cleaned_splits",
        "quality_reports",
        "classifier_evaluation",
        "published_versions",
    },
    "ground_truth_refresh_job": {"ground_truth_dataset", "datadog_dataset"},
    "review_priorities_job": {"review_priorities"},
    "experiment_weekly": {"experiment_results"},
    "experiment_quick_test": {"experiment_results"},
    "experiment_temperature_sweep": {"experiment_results"},
    "experiment_cost_optimization": {"experiment_results"},
    "__anonymous_asset_job_new_form_sets_sensor": {"raw_form_images", "llm_extractions"},
    "platform_healthcheck": None,
}
DOMAIN_ASSETS = {
    "raw_form_images",
    "llm_extractions",
    "ground_truth_dataset",
    "datadog_dataset",
    "experiment_results",
    "misclassified_pulls",
    "cleaned_splits",
    "quality_reports",
    "classifier_evaluation",
    "published_versions",
    "review_priorities",
}
# The shipped declared pipelines (defs/pipelines/<name>/defs.yaml): a step added there is added here.
PIPELINE_ASSETS = {
    *(
        f"customer_orders/{step}"
        for step in (
            "source",
            "with_customers",
            "columns",
            "active",
            "clean",
            "dedupe",
            "pii",
            "quality",
            "export_csv",
            "export_parquet",
            "hub",
        )
    ),
    *(
        f"grievance_instructions/{step}"
        for step in ("source", "instructions", "dedupe", "quality", "export_jsonl_alpaca", "export_jsonl_openai")
    ),
    *(
        f"vote_extraction_sft/{step}"
        for step in ("source", "reviewed", "conversations", "quality", "export_jsonl_openai", "export_jsonl_sharegpt")
    ),
}


@pytest.fixture(scope="module")
def repo():
    return defs.get_repository_def()


def test_schedules_by_name_cron_job_and_default_status(repo):
    found = {s.name: (s.cron_schedule, s.job_name, s.execution_timezone, s.default_status) for s in repo.schedule_defs}
    running = ("UTC", dg.DefaultScheduleStatus.RUNNING)
    assert found == {name: (cron, job, *running) for name, (cron, job) in SCHEDULES.items()}


def test_sensors_by_name_interval_targets_and_default_status(repo):
    found = {s.name: (s.minimum_interval_seconds, {j.name for j in s.jobs}, s.default_status) for s in repo.sensor_defs}
    expected = {name: (interval, jobs, dg.DefaultSensorStatus.RUNNING) for name, (interval, jobs) in SENSORS.items()}
    assert found == expected


def test_jobs_and_the_assets_they_materialize(repo):
    found = {}
    for job in repo.get_all_jobs():
        if job.name == "__ASSET_JOB":  # Dagster's implicit job over every asset
            continue
        keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
        found[job.name] = keys or None
    assert found == JOBS


def test_asset_keys(repo):
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert keys == DOMAIN_ASSETS | PIPELINE_ASSETS


# The type `define_asset_job` returns (Dagster does not export it by name).
_ASSET_JOB = type(dg.define_asset_job("probe"))
_KINDS = (dg.ScheduleDefinition, dg.SensorDefinition, dg.JobDefinition, _ASSET_JOB)


def _triggers(module) -> dict[str, object]:
    """Schedules, sensors and jobs a module holds, alone or in a list (the experiment presets)."""
    found = {}
    for value in vars(module).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, _KINDS):
                found[item.name] = item
    return found


def _defs_modules():
    package = importlib.import_module("dataset_platform.defs")
    for info in pkgutil.walk_packages(package.__path__, "dataset_platform.defs."):
        if not info.ispkg and not info.name.startswith("dataset_platform.defs.pipelines"):
            yield importlib.import_module(info.name)


def test_every_schedule_sensor_and_job_is_in_a_domain_automation_file():
    in_automation: set[str] = set()
    elsewhere = {}
    for module in _defs_modules():
        found = _triggers(module)
        if module.__name__.endswith(".automation"):
            in_automation |= set(found)
        elif found and module.__name__ != "dataset_platform.defs.platform.healthcheck":  # an op job, run by hand
            elsewhere[module.__name__] = sorted(found)
    assert elsewhere == {}
    assert in_automation == set(SCHEDULES) | set(SENSORS) | set(JOBS) - {
        "platform_healthcheck",
        "__anonymous_asset_job_new_form_sets_sensor",  # built by Dagster from the sensor's asset targets
    }


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_docstring_table_names_every_trigger_of_its_file(domain):
    module = importlib.import_module(f"dataset_platform.defs.{domain}.automation")
    doc = module.__doc__ or ""
    assert "| trigger | job | assets | publish / skip decided by |" in doc
    for value in _triggers(module).values():
        if isinstance(value, dg.ScheduleDefinition):
            assert f"`{value.name}`" in doc and f"`{value.cron_schedule}` UTC" in doc
        elif isinstance(value, dg.SensorDefinition):
            assert f"`{value.name}`" in doc


@pytest.mark.parametrize(
    ("name", "at", "expected"),
    [
        (
            "weekly_retraining_schedule",
            dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC),
            [
                ("weekly-department-2026-03-02", "department", {"retraining/trigger": "weekly"}),
                ("weekly-urgency-2026-03-02", "urgency", {"retraining/trigger": "weekly"}),
            ],
        ),
        (
            "weekly_experiments_schedule",
            dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC),
            [("weekly-experiments-2026-W48", None, {"experiments/trigger": "weekly_schedule"})],
        ),
        (
            "review_priorities_schedule",
            dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC),
            [("review-priorities-20260302T18", None, {})],
        ),
    ],
)
def test_schedule_run_keys_and_tags(repo, name, at, expected):
    schedule = repo.get_schedule_def(name)
    # No test instance here: a disposed one would stay referenced by Dagster's definitions load context.
    context = dg.build_schedule_context(scheduled_execution_time=at, repository_def=repo)
    result = schedule.evaluate_tick(context)
    assert result.skip_message is None
    requests = [
        (r.run_key, r.partition_key, {k: v for k, v in r.tags.items() if "/trigger" in k})
        for r in result.run_requests or []
    ]
    assert requests == expected
