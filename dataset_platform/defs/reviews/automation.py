"""When review activity and the review queue run: `new_reviews_sensor`, `review_priorities_schedule` and their jobs.

| trigger | job | assets | publish / skip decided by |
|---|---|---|---|
| `new_reviews_sensor`: a label's fingerprint ¹ | `retraining_job` | label partition | `quality.evaluate_gate` ² |
| `new_reviews_sensor`: extraction fingerprint ¹ | `ground_truth_refresh_job` | ³ | `ground_truth.build_records` ³ |
| `review_priorities_schedule`: `0 */6 * * *` UTC | `review_priorities_job` | `review_priorities` | no gate ⁴ |

¹ The decision comes from consumed state, not from a sensor-local mark: `misclassified_pulls` (per label) and
`ground_truth_dataset` record a fingerprint of the reviews they read (metadata `reviews_fingerprint`); each tick
(every 60 s, running by default) recomputes them from the database (`retraining.review_changes.reviews_fingerprint`,
`forms.review_fingerprint.extraction_reviews_fingerprint`) and requests a run only where they differ. A database
with no review yet requests nothing (`nothing_reviewed`). Run keys carry the fingerprint, so repeated ticks (or a
run still queued) never launch the same rebuild twice.

² `retraining.quality.evaluate_gate` and the steps after it: defs/retraining/automation.py.

³ `ground_truth_dataset` and `datadog_dataset`. Nothing is held back: every form set gets a record, its status
(human-reviewed, llm-generated, needs-review, unavailable) from `forms.ground_truth.build_records` (`model_status`
for model extractions). The Datadog dataset leaves needs-review records out unless `include_needs_review`
(`forms.datadog_export.to_ddtrace_records`) and is pushed only with DD keys (`DatadogLLMObs.push_dataset`).

⁴ `retraining.review_queue.build_ranking` replaces the cached ranking each run; the served queue checks each
complaint live, the ranking itself only ages.
"""

from __future__ import annotations

import dagster as dg

from dataset_platform.common.labels import LABELS
from dataset_platform.defs.retraining.automation import retraining_job
from dataset_platform.defs.reviews.assets import review_priorities
from dataset_platform.resources.review_db import ReviewDatabase

FINGERPRINT = "reviews_fingerprint"
PULLS = dg.AssetKey("misclassified_pulls")
GROUND_TRUTH = dg.AssetKey("ground_truth_dataset")

# Assets named by key: they are defined in the forms and experiments domains.
ground_truth_refresh_job = dg.define_asset_job(
    "ground_truth_refresh_job",
    selection=dg.AssetSelection.assets("ground_truth_dataset", "datadog_dataset"),
    description="Rebuild the ground-truth dataset and its Datadog export after new extraction reviews.",
)

review_priorities_job = dg.define_asset_job(
    "review_priorities_job", selection=[review_priorities], description="Re-rank the grievance review queue."
)


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


@dg.schedule(
    name="review_priorities_schedule",
    job=review_priorities_job,
    cron_schedule="0 */6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 6 hours: the served queue checks each complaint live, the ranking itself only ages.",
)
def review_priorities_schedule(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"review-priorities-{context.scheduled_execution_time:%Y%m%dT%H}")
