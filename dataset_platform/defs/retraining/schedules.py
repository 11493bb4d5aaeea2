"""Weekly retraining datasets for both labels, even without a new review.

Sampling may change nothing: then `unchanged`.
"""

import dagster as dg

from dataset_platform.common.labels import LABELS
from dataset_platform.defs.retraining.jobs import retraining_job


@dg.schedule(
    name="weekly_retraining_schedule",
    job=retraining_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_retraining_schedule(context: dg.ScheduleEvaluationContext):
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for label in LABELS:
        yield dg.RunRequest(run_key=f"weekly-{label}-{day}", partition_key=label, tags={"retraining/trigger": "weekly"})
