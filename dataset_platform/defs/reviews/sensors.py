"""new_reviews_sensor: reviews the assets have not consumed yet → retraining runs per label, ground-truth refresh.

The decision comes from consumed state, not from a sensor-local mark: ``misclassified_pulls`` (per label) and
``ground_truth_dataset`` record a fingerprint of the reviews they read (metadata ``reviews_fingerprint``); each
tick recomputes the fingerprints from the database and requests a run only where they differ. Run keys carry
the fingerprint, so repeated ticks (or a run still queued) never launch the same rebuild twice.
"""

from __future__ import annotations

import dagster as dg

from dataset_platform.common.labels import LABELS
from dataset_platform.defs.retraining.jobs import retraining_job
from dataset_platform.defs.reviews.jobs import ground_truth_refresh_job
from dataset_platform.resources.review_db import ReviewDatabase

FINGERPRINT = "reviews_fingerprint"
PULLS = dg.AssetKey("misclassified_pulls")
GROUND_TRUTH = dg.AssetKey("ground_truth_dataset")


def consumed_fingerprint(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None = None):
    """The fingerprint the latest materialization recorded; None = never materialized, "" = not recorded."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1
    ).records
    if not records:
        return None
    materialization = records[0].asset_materialization
    assert materialization is not None  # a materialization record holds one
    value = materialization.metadata.get(FINGERPRINT)
    return str(value.value) if value is not None else ""


@dg.sensor(
    name="new_reviews_sensor",
    jobs=[retraining_job, ground_truth_refresh_job],
    minimum_interval_seconds=60,
    # Reviewers save and walk away: the rebuild needs no other step, so the sensor runs by default.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Compares the review database with the reviews misclassified_pulls and ground_truth_dataset consumed.",
)
def new_reviews_sensor(context: dg.SensorEvaluationContext, review_db: ReviewDatabase):
    from dataset_platform.common import db
    from dataset_platform.forms import review_fingerprint as forms_fp
    from dataset_platform.retraining import review_changes

    # An outage fails the tick with the masked "review database ... unreachable" message; the next tick retries.
    engine = review_db.get_engine()
    with db.masked_errors(engine):
        now = {label: review_changes.reviews_fingerprint(engine, label) for label in LABELS}
        forms_now = forms_fp.extraction_reviews_fingerprint(engine)

    requests, compared = [], []
    for label in LABELS:
        consumed = consumed_fingerprint(context.instance, PULLS, label)
        compared.append(f"misclassified_pulls[{label}] {consumed or '-'} vs database {now[label]}")
        if consumed == now[label] or (consumed is None and review_changes.nothing_reviewed(now[label])):
            continue
        requests.append(
            dg.RunRequest(
                job_name=retraining_job.name,
                partition_key=label,
                run_key=f"reviews-{label}-{now[label]}",
                tags={"retraining/trigger": "new_reviews", "retraining/reviews_fingerprint": now[label]},
            )
        )
    consumed = consumed_fingerprint(context.instance, GROUND_TRUTH)
    compared.append(f"ground_truth_dataset {consumed or '-'} vs database {forms_now}")
    if consumed != forms_now and not (consumed is None and forms_fp.nothing_reviewed(forms_now)):
        requests.append(
            dg.RunRequest(
                job_name=ground_truth_refresh_job.name,
                run_key=f"extraction-reviews-{forms_now}",
                tags={"reviews/trigger": "new_extraction_reviews", "reviews/reviews_fingerprint": forms_now},
            )
        )
    if not requests:
        return dg.SkipReason(
            "no reviews the assets have not consumed (review fingerprints, consumed vs database): "
            + "; ".join(compared)
        )
    context.log.info("review fingerprints differ: %s", "; ".join(compared))
    return dg.SensorResult(run_requests=requests)
