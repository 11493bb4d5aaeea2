"""Weekly experiments: Monday 08:00 UTC, the default model configs over the latest ground truth."""

import dagster as dg

from dataset_platform.defs.experiments.jobs import experiment_weekly, run_config
from dataset_platform.experiments.config import DEFAULT_MODEL_CONFIGS


@dg.schedule(
    name="weekly_experiments_schedule",
    cron_schedule="0 8 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    job=experiment_weekly,
    description="Monday 08:00 UTC: experiment_results with the default model configs.",
)
def weekly_experiments_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time
    week = scheduled.strftime("%G-W%V") if scheduled else "manual"
    return dg.RunRequest(
        run_key=f"weekly-experiments-{week}",
        run_config=run_config({"model_configs": DEFAULT_MODEL_CONFIGS}),
        tags={"experiments/trigger": "weekly_schedule"},
    )
