"""``new_form_sets_sensor``: new form-set folders become ``form_sets`` partitions and one extraction run.

New keys are added in one request, so they are contiguous in the dynamic partition order and one
run over their range extracts them all concurrently (single-run backfill policy). A folder whose
pages changed after it was extracted (newer mtime than the cursor) is re-requested on its own.
"""

import json
from pathlib import Path
from typing import Union

import dagster as dg

from dataset_platform.common import settings
from dataset_platform.defs.forms.assets import llm_extractions, raw_form_images
from dataset_platform.defs.forms.partitions import form_sets_partitions, range_tags


def _form_set_folders(root: Path) -> dict[str, int]:
    """Folder name → newest page mtime (ns), for folders holding at least one file."""
    from dataset_platform.forms.pages import list_pages

    folders = {}
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.is_dir() and not folder.name.startswith("."):
            pages = list_pages(folder)
            if pages:
                folders[folder.name] = max(p.stat().st_mtime_ns for p in pages)
    return folders


@dg.sensor(
    name="new_form_sets_sensor",
    target=[raw_form_images, llm_extractions],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="New form-set folders under $DATASET_PLATFORM_HOME/forms → partitions + an extraction run.",
)
def new_form_sets_sensor(context: dg.SensorEvaluationContext) -> Union[dg.SensorResult, dg.SkipReason]:
    root = settings.form_sets_dir()
    folders = _form_set_folders(root)
    if not folders:
        return dg.SkipReason(f"no form-set folders under {root}")
    state = json.loads(context.cursor) if context.cursor else {}
    high_water = int(state.get("mtime_ns", 0))
    known = set(context.instance.get_dynamic_partitions(form_sets_partitions.name))
    new = sorted(k for k in folders if k not in known)
    changed = sorted(k for k, mtime in folders.items() if k in known and mtime > high_water)
    cursor = json.dumps({"mtime_ns": max(high_water, *folders.values())})
    if not new and not changed:
        return dg.SkipReason(f"no new or changed form sets ({len(folders)} known under {root})")

    run_requests = []
    if new:
        tags = range_tags(new) if len(new) > 1 else {}
        run_requests.append(
            dg.RunRequest(
                run_key=f"new:{new[0]}..{new[-1]}:{len(new)}:{max(folders[k] for k in new)}",
                partition_key=new[0] if len(new) == 1 else None,
                tags=tags,
            )
        )
    for key in changed:
        run_requests.append(dg.RunRequest(run_key=f"changed:{key}:{folders[key]}", partition_key=key))
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=cursor,
        dynamic_partitions_requests=[form_sets_partitions.build_add_request(new)] if new else [],
    )
