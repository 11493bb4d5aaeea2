"""new_reviews_sensor: review activity → retraining runs for the affected labels, ground-truth refresh."""

from __future__ import annotations

import dagster as dg

from dataset_platform.defs.retraining.jobs import retraining_job
from dataset_platform.defs.reviews.jobs import ground_truth_refresh_job
from dataset_platform.resources.review_db import ReviewDatabase


@dg.sensor(
    name="new_reviews_sensor",
    jobs=[retraining_job, ground_truth_refresh_job],
    minimum_interval_seconds=60,
    # Reviewers save and walk away: the rebuild needs no other step, so the sensor runs by default.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Polls the review database with a (reviewed_at, id) high-water mark.",
)
def new_reviews_sensor(context: dg.SensorEvaluationContext, review_db: ReviewDatabase):
    from dataset_platform.retraining.review_changes import ReviewCursor, find_changes

    cursor = ReviewCursor.parse(context.cursor)
    changes = find_changes(review_db.get_engine(), cursor)
    requests = []
    mark = changes.cursor.misclassified
    for label, count in sorted(changes.labels.items()):
        requests.append(
            dg.RunRequest(
                job_name=retraining_job.name,
                partition_key=label,
                run_key=f"reviews-{label}-{mark[0]}-{mark[1]}",
                tags={"retraining/trigger": "new_reviews", "retraining/new_misclassified": str(count)},
            )
        )
    if changes.new_extraction_reviews:
        emark = changes.cursor.extraction
        requests.append(
            dg.RunRequest(
                job_name=ground_truth_refresh_job.name,
                run_key=f"extraction-reviews-{emark[0]}-{emark[1]}",
                tags={"reviews/new_extraction_reviews": str(changes.new_extraction_reviews)},
            )
        )
    new_cursor = changes.cursor.serialize()
    if not requests:
        reason = "no new reviews since the last tick"
        if changes.new_reviewed_rows:
            reason = f"{changes.new_reviewed_rows} new reviewed rows, none a misclassification of a known complaint"
        return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=new_cursor)
    return dg.SensorResult(run_requests=requests, cursor=new_cursor)
