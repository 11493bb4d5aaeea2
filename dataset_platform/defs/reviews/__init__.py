"""Dagster definitions of the reviews domain: the review ranking; in automation.py the sensor that turns review
activity into runs and the ranking's schedule."""

import dagster as dg

from dataset_platform.defs.reviews.assets import review_priorities
from dataset_platform.defs.reviews.automation import (
    ground_truth_refresh_job,
    new_reviews_sensor,
    review_priorities_job,
    review_priorities_schedule,
)

defs = dg.Definitions(
    assets=[review_priorities],
    jobs=[ground_truth_refresh_job, review_priorities_job],
    schedules=[review_priorities_schedule],
    sensors=[new_reviews_sensor],
)
