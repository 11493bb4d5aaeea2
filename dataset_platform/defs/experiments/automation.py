"""When `experiment_results` runs: the weekly schedule and the preset jobs (a fixed run config, editable in the
launchpad).

| trigger | job | assets | publish / skip decided by |
|---|---|---|---|
| `weekly_experiments_schedule`: `0 8 * * 1` UTC (Mon 08:00) | `experiment_weekly` ¹ | `experiment_results` | ² |
| manual: a preset job ³ | `experiment_quick_test` … | `experiment_results` | ² |
| manual (launchpad, `make demo`) | any | `experiment_results` | ² |

¹ The default model configs (`experiments.config.DEFAULT_MODEL_CONFIGS`) over the latest ground truth.

² Nothing is held back: every run is stored in the experiment history (and in Datadog LLMObs with DD keys). The
`accuracy_not_regressed` check (WARN, defs/experiments/checks.py) flags a run whose reference config fell below
the previous run's 95% CI lower bound (`experiments.summary.regression`).

³ One job per entry of `experiments.config.PRESETS` (`experiment_quick_test`, `experiment_temperature_sweep`,
`experiment_cost_optimization`), tagged `experiments/preset`.
"""

import dagster as dg

from dataset_platform.experiments.config import DEFAULT_MODEL_CONFIGS, PRESETS


def run_config(values: dict) -> dict:
    return {"ops": {"experiment_results": {"config": values}}}


def _job(name: str, description: str, values: dict):
    return dg.define_asset_job(
        name=name,
        selection=dg.AssetSelection.assets("experiment_results"),
        config=run_config(values),
        description=description,
        tags={"experiments/preset": name},
    )


preset_jobs = [_job(name, p["description"], p["config"]) for name, p in PRESETS.items()]

# The weekly schedule's job: the default model list over the whole dataset.
experiment_weekly = _job(
    "experiment_weekly",
    "The default model configs over the whole ground-truth dataset (run by weekly_experiments_schedule).",
    {"model_configs": DEFAULT_MODEL_CONFIGS},
)

experiment_jobs = [*preset_jobs, experiment_weekly]


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
