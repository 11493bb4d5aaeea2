"""`platform_healthcheck`: a cheap run that proves a deployment can reach what the assets need.

Launch it after `docker compose up` (or from a test): it goes through the run queue, the user-code
server and the run worker like any asset run, and touches no external paid service.
"""

import dagster as dg

from dataset_platform.common import markdown, settings
from dataset_platform.platform.status import check_writable, review_db_mode, service_modes
from dataset_platform.resources.review_db import ReviewDatabase


@dg.op(description="Connect to the review database, check the data volume, report real vs embedded services.")
def check_platform(context: dg.OpExecutionContext, review_db: ReviewDatabase) -> dg.Output[dict]:
    with review_db.failures():
        attempts = review_db.check_connection()
    home = check_writable(settings.platform_home())
    # The review database as this run's resource sees it (it may be configured without POSTGRES_URL).
    modes = {**service_modes(), "review_db": review_db_mode(review_db.url)}
    report = {"review_db_url": review_db.describe(), "connect_attempts": attempts, "platform_home": str(home), **modes}
    context.log.info(f"review database {review_db.describe()} reachable after {attempts} attempt(s)")
    table = markdown.table(["service", "mode"], modes.items())
    return dg.Output(
        report,
        metadata={
            "review_db_url": dg.MetadataValue.text(review_db.describe()),
            "connect_attempts": attempts,
            "platform_home": dg.MetadataValue.path(str(home)),
            "services": dg.MetadataValue.md(table),
        },
    )


@dg.job(
    description="Deployment smoke test: review DB connection, writable DATASET_PLATFORM_HOME, service modes.",
    tags={"dataset_platform/kind": "healthcheck"},
)
def platform_healthcheck():
    check_platform()
