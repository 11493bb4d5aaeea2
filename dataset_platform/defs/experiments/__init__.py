"""Dagster definitions of the experiments domain: datadog_dataset, experiment_results, its check; presets and
schedule in automation.py."""

import dagster as dg

from dataset_platform.defs.experiments.assets import experiment_results
from dataset_platform.defs.experiments.automation import experiment_jobs, weekly_experiments_schedule
from dataset_platform.defs.experiments.checks import accuracy_not_regressed
from dataset_platform.defs.experiments.datadog_assets import datadog_dataset

defs = dg.Definitions(
    assets=[datadog_dataset, experiment_results],
    asset_checks=[accuracy_not_regressed],
    jobs=experiment_jobs,
    schedules=[weekly_experiments_schedule],
)
