"""Review-database outage and refusal paths on a real PostgreSQL server (stopped mid-test, or a closed port): the
SELECT 1 retries run before the schema, every asset/op/sensor reports the masked "unreachable" message, and errors
that cannot succeed (unknown role or database, SQL errors) are not retried. No Dagster daemon is involved.
"""

from __future__ import annotations

import time

import dagster as dg
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs.forms.assets import ground_truth_dataset
from dataset_platform.defs.platform.healthcheck import platform_healthcheck
from dataset_platform.defs.retraining.assets import misclassified_pulls
from dataset_platform.defs.reviews.automation import new_reviews_sensor
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import demo
from dataset_platform_tests.support.postgres import free_port, start_postgres

FAST = [0.05, 0.1, 0.2]  # the designed 2/4/8 s, scaled down (the default is checked below)


def _failure_message(result) -> str:
    [failure] = result.get_step_failure_events()
    return failure.event_specific_data.error.to_string()


def test_the_designed_backoff_is_the_default():
    assert ReviewDatabase().retry_delays == [2.0, 4.0, 8.0]


def test_connection_is_checked_before_the_schema_and_the_error_is_masked():
    url = f"postgresql://reviewer:s3cret@127.0.0.1:{free_port()}/reviews"
    started = time.monotonic()
    with pytest.raises(db.DatabaseUnavailable) as err:
        ReviewDatabase(url=url, retry_delays=FAST).get_engine()  # used to fail in ensure_schema, unretried
    assert time.monotonic() - started >= sum(FAST)
    message = str(err.value)
    assert "unreachable after 4 attempts" in message and "Connection refused" in message
    assert "s3cret" not in message and "***" in message and "POSTGRES_URL" in message
    assert not isinstance(err.value, db.DatabaseRejected)


@pytest.mark.parametrize(
    "make_url",
    [
        lambda server: server.url("no_such_database"),
        lambda server: f"postgresql://no_such_role:pw@127.0.0.1:{server.port}/postgres",
    ],
)
def test_refusals_are_not_retried(postgres_server, make_url):
    engine = db.make_engine(make_url(postgres_server))
    with pytest.raises(db.DatabaseRejected) as err:
        db.check_connection(engine, sleep=lambda s: pytest.fail("a refusal must not be retried"))
    assert "rejected the connection (not retried)" in str(err.value) and "does not exist" in str(err.value)
    assert "pw@" not in str(err.value)


def test_sql_errors_are_not_reported_as_outages(postgres_url):
    engine = db.make_engine(postgres_url)
    with pytest.raises(sa.exc.ProgrammingError):
        with db.masked_errors(engine), engine.connect() as conn:
            conn.execute(sa.text("SELEC 1"))


def test_every_database_user_reports_the_masked_message_when_the_server_stops(platform_home):
    server = start_postgres()
    try:
        url = server.create_database("reviews")
        demo.seed_complaints(db.make_engine(url), n=300, seed=5)
        review_db = ReviewDatabase(url=url, retry_delays=FAST)
        resources = {"review_db": review_db, "wandb": WandbResource(mode="disabled"), "hub": DatasetHub()}
        with dg.instance_for_test() as instance:
            assert dg.materialize([ground_truth_dataset], instance=instance, resources=resources).success
        server.stop()
        server = None
        expected = f"review database {url} unreachable after 4 attempts"

        with dg.instance_for_test() as instance:
            for assets, kwargs in (([ground_truth_dataset], {}), ([misclassified_pulls], {"partition_key": "urgency"})):
                result = dg.materialize(assets, instance=instance, resources=resources, raise_on_error=False, **kwargs)
                message = _failure_message(result)
                assert expected in message, message
                assert "psycopg" not in message and "OperationalError" not in message
                # The connection retries replace Dagster's: the asset's RetryPolicy does not run again.
                assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]

            health = platform_healthcheck.execute_in_process(
                instance=instance, resources={"review_db": review_db}, raise_on_error=False
            )
            assert not health.success and expected in _failure_message(health)

            context = dg.build_sensor_context(instance=instance, resources={"review_db": review_db})
            with pytest.raises(db.DatabaseUnavailable, match="unreachable after 4 attempts") as err:
                new_reviews_sensor(context)
            assert err.value.__cause__ is None and err.value.__suppress_context__
    finally:
        if server is not None:
            server.stop()
