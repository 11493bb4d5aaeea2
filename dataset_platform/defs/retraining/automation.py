"""When the retraining assets run, and when a run publishes: `retraining_job` and its weekly schedule.

| trigger | job | assets | publish / skip decided by |
|---|---|---|---|
| `weekly_retraining_schedule`: `0 6 * * 1` UTC, each label | `retraining_job` | ¹ | `quality.evaluate_gate` ² |
| `new_reviews_sensor` (reviews/automation.py): new reviews | `retraining_job` | ¹ | `quality.evaluate_gate` ² |
| manual (launchpad, `make demo`) | any | any | `quality.evaluate_gate` ² |

¹ One label partition (defs/retraining/partitions.py) of the `retraining` group: `misclassified_pulls` →
`cleaned_splits` → `quality_reports` and `classifier_evaluation` → `published_versions`.

² Three steps, in this order, each able to stop the publish:
1. `retraining.quality.evaluate_gate` (called by `cleaned_splits`, recorded in the quality report): `blocked` (a
   check of `BLOCKING_CHECKS` failed), `skipped_insufficient_data` (below `MIN_DATASET_LEN` or the per-class
   minimum), `skipped_no_new_reviews`, else `ready`. The blocking checks on `cleaned_splits`
   (defs/retraining/checks.py) report that decision, so a run that is not `ready` stops there; `published_versions`
   run alone reads it again (`quality.read_decision`): blocked fails, skipped records the status, publishes nothing.
2. `retraining.evaluation.decide` (in `classifier_evaluation`): the blocking `not_worse_on_gold` check
   (defs/retraining/evaluation.py) stops the run when the candidate is worse on gold; `published_versions` run
   alone asks `retraining.evaluation.gate_blocks` for that verdict on the same splits.
3. `retraining.publishing.publish_version`: the content hash of the latest version publishes nothing (`unchanged`,
   e.g. a weekly run whose sampling changed nothing); a new hash publishes a new immutable version.
"""

import dagster as dg

from dataset_platform.common.labels import LABELS

retraining_job = dg.define_asset_job(
    "retraining_job",
    selection=dg.AssetSelection.groups("retraining"),
    description="Pull, clean, split, check and publish the dataset of one label.",
)


# Weekly for both labels, even without a new review; when sampling changes nothing the run ends `unchanged`.
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
