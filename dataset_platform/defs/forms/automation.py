"""When the forms assets run: `new_form_sets_sensor`, the partitions and extraction runs of new or changed sets.

| trigger | job | assets | publish / skip decided by |
|---|---|---|---|
| `new_form_sets_sensor`: new or changed folder ¹ | its asset job | `raw_form_images`, `llm_extractions` ² | none ³ |
| `new_reviews_sensor`: extraction reviews ⁴ | `ground_truth_refresh_job` | `ground_truth_dataset` … ⁴ | ⁴ |
| manual (launchpad, `make demo`) | any | any | ³ ⁴ |

¹ Each `raw_form_images` materialization records, per partition, the folder's `stat_signature` and
`content_fingerprint` (forms/folder_fingerprint.py). A tick (every 60 s, running by default) compares every folder
with the latest materialization of its partition: same stat signature → unchanged (nothing is read); otherwise
the pages are hashed and only a different content fingerprint requests a run. The cursor only remembers what the
sensor already requested (until the materialization records it) and the content fingerprint of folders that were
touched without changing, so no tick requests or hashes twice. Run keys carry the content fingerprint: a
duplicate tick can never launch the same extraction twice.

² New folders become partitions (defs/forms/partitions.py) in one request, so they are contiguous in the
partition order and one run over their range extracts them all (single-run backfill policy); a changed or
never-materialized known folder gets its own run. A new extraction does not rebuild `ground_truth_dataset` by
itself: that takes new extraction reviews (the row below) or a manual run.

³ Nothing is published here: a form set that cannot be read or extracted is recorded as failed, named, and the
run goes on (defs/forms/assets.py); a model that cannot run here fails the run.

⁴ Defined in defs/reviews/automation.py: `ground_truth_dataset` and `datadog_dataset`. Every form set gets a
ground-truth record, its status from `forms.ground_truth.build_records`; the Datadog dataset leaves needs-review
records out (`forms.datadog_export.to_ddtrace_records`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from dataset_platform.common import settings
from dataset_platform.defs.forms.assets import llm_extractions, raw_form_images
from dataset_platform.defs.forms.partitions import FORM_SETS_PARTITIONS, form_sets_partitions, range_tags
from dataset_platform.forms import paths

_BATCH = 500


def form_set_folders(root: Path) -> dict[str, list[Path]]:
    """Folder name → its page files, for folders holding at least one page file."""
    folders = {}
    for form_set_id in paths.form_set_ids(root):
        files = paths.page_files(paths.form_set_dir(form_set_id, root))
        if files:
            folders[form_set_id] = files
    return folders


def recorded_fingerprints(instance: dg.DagsterInstance, partitions: set[str]) -> dict[str, tuple[str, str]]:
    """Partition → (stat_signature, content_fingerprint) of its latest ``raw_form_images`` materialization."""
    latest = instance.get_latest_storage_id_by_partition(
        raw_form_images.key, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions=partitions
    )
    ids = sorted(latest.values())
    recorded = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=raw_form_images.key, storage_ids=batch), limit=len(batch)
        ).records
        for record in records:
            mat = record.asset_materialization
            assert mat is not None  # a materialization record holds one
            meta = mat.metadata
            if mat.partition and "content_fingerprint" in meta:
                recorded[mat.partition] = (str(meta["stat_signature"].value), str(meta["content_fingerprint"].value))
    for key in set(latest) - set(recorded):  # materialized before fingerprints were recorded: its manifest
        recorded.update(_from_manifest(key))
    return recorded


def _from_manifest(key: str) -> dict[str, tuple[str, str]]:
    from dataset_platform.forms.folder_fingerprint import fingerprint_from_manifest

    try:
        manifest = json.loads((paths.manifests_dir() / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: ("", fingerprint_from_manifest(manifest))}


def _batch_key(fingerprints: dict[str, str]) -> str:
    joined = "\n".join(f"{k}\0{v}" for k, v in sorted(fingerprints.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dg.sensor(
    name="new_form_sets_sensor",
    target=[raw_form_images, llm_extractions],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Form-set folders under $DATASET_PLATFORM_HOME/forms whose pages differ from what raw_form_images "
    "recorded → partitions + extraction runs.",
)
def new_form_sets_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    from dataset_platform.forms.folder_fingerprint import content_fingerprint, stat_signature

    root = settings.form_sets_dir()
    folders = form_set_folders(root)
    if not folders:
        return dg.SkipReason(f"no form-set folders under {root}")
    state = json.loads(context.cursor) if context.cursor else {}
    requested: dict[str, str] = state.get("requested", {})
    touched: dict[str, list[str]] = state.get("touched", {})
    known = set(context.instance.get_dynamic_partitions(FORM_SETS_PARTITIONS))
    recorded = recorded_fingerprints(context.instance, known & set(folders))

    to_run: dict[str, str] = {}
    next_requested: dict[str, str] = {}
    next_touched: dict[str, list[str]] = {}
    unchanged = 0
    for key, files in folders.items():
        stat = stat_signature(files)
        last = recorded.get(key)
        if last and last[0] == stat:
            unchanged += 1
            continue
        cached = touched.get(key)
        content = cached[1] if cached and cached[0] == stat else content_fingerprint(files)
        if last and last[1] == content:  # touched, same bytes: no extraction, and no re-hash next tick
            next_touched[key] = [stat, content]
            unchanged += 1
        elif requested.get(key) == content:  # requested by an earlier tick, not recorded yet
            next_requested[key] = content
        else:
            to_run[key] = content
    cursor = json.dumps({"requested": {**next_requested, **to_run}, "touched": next_touched}, separators=(",", ":"))
    compared = (
        f"{len(folders)} folders under {root} compared with raw_form_images: {unchanged} unchanged, "
        f"{len(next_requested)} awaiting a requested run"
    )
    if not to_run:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no new or changed form sets ({compared})"), cursor=cursor)

    new = sorted(k for k in to_run if k not in known)
    run_requests = []
    if new:
        run_requests.append(
            dg.RunRequest(
                run_key=f"new-{len(new)}-{_batch_key({k: to_run[k] for k in new})}",
                partition_key=new[0] if len(new) == 1 else None,
                tags=range_tags(new) if len(new) > 1 else {},
            )
        )
    for key in sorted(k for k in to_run if k in known):
        run_requests.append(dg.RunRequest(run_key=f"changed-{key}-{to_run[key]}", partition_key=key))
    context.log.info("%s; requesting %d new, %d changed", compared, len(new), len(to_run) - len(new))
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=cursor,
        dynamic_partitions_requests=[form_sets_partitions.build_add_request(new)] if new else [],
    )
