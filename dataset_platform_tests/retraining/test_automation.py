"""new_reviews_sensor (cursor, affected labels, skip reasons, extraction reviews), weekly schedule, definitions.

Runs the sensor function against SQLite and Postgres; launches no run.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs import retraining, reviews
from dataset_platform.defs.retraining.schedules import weekly_retraining_schedule
from dataset_platform.defs.reviews.sensors import new_reviews_sensor
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform_tests.retraining.helpers import D, U, complaint, engine_for, insert, review


def _tick(url: str, cursor: str | None, instance):
    context = dg.build_sensor_context(cursor=cursor, instance=instance, resources={"review_db": ReviewDatabase(url=url)})
    result = new_reviews_sensor(context)
    return result, result.cursor


def _requests(result) -> list[tuple[str, str | None]]:
    return sorted((r.job_name, r.partition_key) for r in result.run_requests)


def test_sensor_requests_only_affected_labels_and_moves_its_cursor(db_url):
    engine = engine_for(db_url)
    insert(engine, [complaint(i) for i in range(1, 10)], [
        review(1, 1, D[0], D[1], U[0], U[0], minutes=1),  # department only
        review(2, 2, D[0], D[2], minutes=2),
    ])  # fmt: skip
    with dg.instance_for_test() as instance:
        result, cursor = _tick(db_url, None, instance)
        assert _requests(result) == [("retraining_job", "department")]
        assert json.loads(cursor)["m"][1] == 2 and len(cursor) < 100
        first_key = result.run_requests[0].run_key

        result, cursor2 = _tick(db_url, cursor, instance)  # nothing new
        assert result.run_requests == [] and "no new reviews" in result.skip_reason.skip_message
        assert cursor2 == cursor

        insert(engine, [], [
            review(3, 3, D[0], D[0], U[0], U[2], minutes=3),  # urgency only (department prediction was right)
            review(4, 4, D[0], D[3], reviewed=False),  # unreviewed: ignored
        ])  # fmt: skip
        result, cursor3 = _tick(db_url, cursor2, instance)
        assert _requests(result) == [("retraining_job", "urgency")]
        assert result.run_requests[0].run_key != first_key

        # Same timestamp as the high-water mark but a higher id is still new; a NULL complaint_id row is not.
        insert(engine, [], [review(5, 5, D[0], D[1], minutes=3), review(6, None, D[0], D[1], minutes=3)])
        result, cursor4 = _tick(db_url, cursor3, instance)
        assert _requests(result) == [("retraining_job", "department")]

        insert(engine, [], [review(7, None, D[0], D[1], U[0], U[1], minutes=9)])
        result, _ = _tick(db_url, cursor4, instance)
        assert result.run_requests == [] and "none a misclassification" in result.skip_reason.skip_message

        # Evaluating the same cursor twice yields the same run keys: the daemon launches once.
        again, _ = _tick(db_url, cursor3, instance)
        assert [r.run_key for r in again.run_requests] == [r.run_key for r in _tick(db_url, cursor3, instance)[0].run_requests]


def test_sensor_requests_ground_truth_on_new_extraction_reviews(db_url):
    engine = engine_for(db_url)
    with dg.instance_for_test() as instance:
        result, cursor = _tick(db_url, None, instance)
        assert result.run_requests == []
        with engine.begin() as conn:
            conn.execute(sa.insert(db.extraction_reviews), [
                {"form_set_id": "a", "corrected_extraction": {}, "reviewer": "x", "reviewed_at": dt.datetime(2026, 3, 1)}
            ])  # fmt: skip
        result, cursor = _tick(db_url, cursor, instance)
        [request] = result.run_requests
        assert request.job_name == "ground_truth_refresh_job" and request.partition_key is None
        result, _ = _tick(db_url, cursor, instance)
        assert result.run_requests == []


def test_weekly_schedule_requests_both_labels():
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc))
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
        "ground_truth_dataset", "datadog_dataset"
    }  # fmt: skip
    job = repo.get_job("retraining_job")
    assert job.partitions_def.get_partition_keys() == ["department", "urgency"]
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "misclassified_pulls", "cleaned_splits", "quality_reports", "classifier_evaluation", "published_versions"
    }  # fmt: skip
    assert {s.name for s in repo.sensor_defs} == {"new_reviews_sensor"}
    assert {s.name for s in repo.schedule_defs} == {"weekly_retraining_schedule", "review_priorities_schedule"}
