"""new_reviews_sensor decides from the reviews the assets consumed (real materializations of misclassified_pulls and
ground_truth_dataset on SQLite and Postgres), weekly schedule, definitions; launches no run through a daemon.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs import retraining, reviews
from dataset_platform.defs.forms.assets import ground_truth_dataset
from dataset_platform.defs.retraining.assets import misclassified_pulls
from dataset_platform.defs.retraining.automation import weekly_retraining_schedule
from dataset_platform.defs.reviews.automation import new_reviews_sensor
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import demo
from dataset_platform_tests.retraining.helpers import D, U, complaint, engine_for, insert, review


def _tick(url: str, instance):
    context = dg.build_sensor_context(instance=instance, resources={"review_db": ReviewDatabase(url=url)})
    result = new_reviews_sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], result.skip_message
    return sorted(result.run_requests, key=lambda r: (r.job_name, r.partition_key or "")), None


def _targets(requests) -> list[tuple[str, str | None]]:
    return [(r.job_name, r.partition_key) for r in requests]


def _consume(url: str, instance, *labels: str, ground_truth: bool = False) -> None:
    """What the requested runs do to the sensor's state: materialize the assets that read the reviews."""
    resources = {"review_db": ReviewDatabase(url=url), "wandb": WandbResource(mode="disabled"), "hub": DatasetHub()}
    for label in labels:
        result = dg.materialize([misclassified_pulls], partition_key=label, instance=instance, resources=resources)
        assert result.success
    if ground_truth:
        assert dg.materialize([ground_truth_dataset], instance=instance, resources=resources).success


def _extraction_review(engine, form_set_id: str, when: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.extraction_reviews),
            [{"form_set_id": form_set_id, "corrected_extraction": {}, "reviewer": "x", "reviewed_at": when}],
        )


def test_sensor_compares_the_database_with_what_the_assets_consumed(db_url):
    engine = engine_for(db_url)
    with dg.instance_for_test() as instance:
        requests, reason = _tick(db_url, instance)  # empty database, nothing materialized: nothing to do
        assert requests == [] and "ground_truth_dataset" in reason

        demo.seed_complaints(engine, n=400, seed=3)  # demo-like: reviewed misclassifications for both labels
        _extraction_review(engine, "bkk-001", dt.datetime(2026, 3, 1))
        requests, _ = _tick(db_url, instance)
        assert _targets(requests) == [
            ("ground_truth_refresh_job", None),
            ("retraining_job", "department"),
            ("retraining_job", "urgency"),
        ]
        # Ticking again before the runs finish: the same run keys, which the daemon launches once.
        assert [r.run_key for r in _tick(db_url, instance)[0]] == [r.run_key for r in requests]

        _consume(db_url, instance, "department", "urgency", ground_truth=True)
        requests, reason = _tick(db_url, instance)
        assert requests == []
        assert "misclassified_pulls[department]" in reason and "misclassified_pulls[urgency]" in reason

        # A review that lands late, with a reviewed_at older than every other one, still counts (department only).
        insert(engine, [complaint(90001)], [review(90001, 90001, D[0], D[2], minutes=-(10**6))])
        requests, _ = _tick(db_url, instance)
        assert _targets(requests) == [("retraining_job", "department")]
        _consume(db_url, instance, "department")

        # A confirmation (prediction verified) and a gold label are consumed too; an unreviewed row is not.
        insert(
            engine,
            [complaint(90002), complaint(90003)],
            [review(90002, 90002, pred_u=U[0], corr_u=U[0]), review(90003, 90003, D[0], D[1], reviewed=False)],
        )
        requests, _ = _tick(db_url, instance)
        assert _targets(requests) == [("retraining_job", "urgency")]
        _consume(db_url, instance, "urgency")
        with engine.begin() as conn:
            conn.execute(
                sa.insert(db.gold_labels),
                [{"complaint_id": 90003, "department": D[1], "urgency": None, "labelled_at": dt.datetime(2020, 1, 1)}],
            )
        assert _targets(_tick(db_url, instance)[0]) == [("retraining_job", "department")]
        _consume(db_url, instance, "department")

        # A late extraction review (older timestamp than the consumed one) refreshes the ground truth only.
        _extraction_review(engine, "bkk-002", dt.datetime(2025, 1, 1))
        requests, _ = _tick(db_url, instance)
        assert _targets(requests) == [("ground_truth_refresh_job", None)]
        _consume(db_url, instance, ground_truth=True)
        assert _tick(db_url, instance)[0] == []


def test_weekly_schedule_requests_both_labels():
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC))
    requests = list(weekly_retraining_schedule(context))
    assert sorted(r.partition_key for r in requests) == ["department", "urgency"]
    assert {r.run_key for r in requests} == {"weekly-department-2026-03-02", "weekly-urgency-2026-03-02"}
    assert weekly_retraining_schedule.cron_schedule == "0 6 * * 1"


def test_definitions_resolve_with_the_forms_assets_defined_elsewhere():
    @dg.asset
    def ground_truth_dataset(): ...

    @dg.asset(deps=[ground_truth_dataset])
    def datadog_dataset(): ...

    from dataset_platform.defs.resources import build_resources

    others = dg.Definitions(assets=[ground_truth_dataset, datadog_dataset], resources=build_resources())
    defs = dg.Definitions.merge(retraining.defs, reviews.defs, others)
    repo = defs.get_repository_def()
    assert {k.to_user_string() for k in repo.get_job("ground_truth_refresh_job").asset_layer.executable_asset_keys} == {
        "ground_truth_dataset",
        "datadog_dataset",
    }
    job = repo.get_job("retraining_job")
    assert job.partitions_def.get_partition_keys() == ["department", "urgency"]
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "misclassified_pulls",
        "cleaned_splits",
        "quality_reports",
        "classifier_evaluation",
        "published_versions",
    }
    assert {s.name for s in repo.sensor_defs} == {"new_reviews_sensor"}
    assert {s.name for s in repo.schedule_defs} == {"weekly_retraining_schedule", "review_priorities_schedule"}
