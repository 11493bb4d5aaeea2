"""Dagster definitions of the retraining domain: assets, checks; when they run and publish in automation.py."""

import dagster as dg

from dataset_platform.defs.retraining.assets import (
    cleaned_splits,
    misclassified_pulls,
    published_versions,
    quality_reports,
)
from dataset_platform.defs.retraining.automation import retraining_job, weekly_retraining_schedule
from dataset_platform.defs.retraining.checks import blocking_checks
from dataset_platform.defs.retraining.evaluation import classifier_evaluation, evaluation_checks

defs = dg.Definitions(
    assets=[misclassified_pulls, cleaned_splits, quality_reports, classifier_evaluation, published_versions],
    asset_checks=[*blocking_checks, *evaluation_checks],
    jobs=[retraining_job],
    schedules=[weekly_retraining_schedule],
)
