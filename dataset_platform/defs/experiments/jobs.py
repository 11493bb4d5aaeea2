"""Experiment presets: jobs with a fixed (editable in the launchpad) run config for `experiment_results`."""

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
