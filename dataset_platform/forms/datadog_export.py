"""Ground-truth records → the Datadog LLMObs dataset: the JSON export file and ddtrace's record shape.

The export file keeps every record (with its status); the ddtrace records keep only those with an
expected output, because an experiment cannot score a record without ground truth, and leave out
``needs-review`` records (a model extraction nobody has confirmed) unless asked to include them. A push log
remembers which dataset version each ground-truth version became, so an experiment can ask for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataset_platform.common import atomic, settings
from dataset_platform.forms.schema import canonical_form_type, is_party_list

DATASET_NAME = "vote-extraction-ground-truth"
DATASET_DESCRIPTION = (
    "Thai election forms ส.ส. 5/18, 5/16, 5/17 and their party-list (บช) forms (one record per form set): "
    "page images or PDFs as input, the human-reviewed (or clean model-generated) FormExtraction as expected output."
)
NEEDS_REVIEW = "needs-review"
EXPORT_FORMAT_VERSION = 1


def _input(record: Mapping[str, Any]) -> dict[str, Any]:
    given = record.get("input") or {}
    image_paths = [str(p) for p in given.get("image_paths") or []]
    return {
        "form_set_name": given.get("form_set_name") or record["id"],
        "image_paths": image_paths,
        "num_pages": int(given.get("num_pages") or len(image_paths)),
    }


def export_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """One ground-truth record in the export file's shape."""
    if "id" not in record:
        raise ValueError(f"ground-truth record without an id: {sorted(record)}")
    return {
        "id": str(record["id"]),
        "input": _input(record),
        "expected_output": record.get("expected_output"),
        "metadata": dict(record.get("metadata") or {}),
    }


def build_export(
    records: Iterable[Mapping[str, Any]],
    *,
    version: str,
    name: str = DATASET_NAME,
    description: str = DATASET_DESCRIPTION,
) -> dict[str, Any]:
    """The export file as a dict: name, description, version, records (sorted by id), status counts."""
    exported = sorted((export_record(r) for r in records), key=lambda r: r["id"])
    counts: dict[str, int] = {}
    for r in exported:
        status = r["metadata"].get("status") or "unknown"
        counts[status] = counts.get(status, 0) + 1
    return {
        "name": name,
        "description": description,
        "version": version,
        "format_version": EXPORT_FORMAT_VERSION,
        "num_records": len(exported),
        "status_counts": dict(sorted(counts.items())),
        "records": exported,
    }


def _kind(expected: Mapping[str, Any]) -> dict[str, Any]:
    form_type = (expected.get("form_info") or {}).get("form_type")
    return {"form_kind": canonical_form_type(form_type), "party_list": is_party_list(form_type)}


def is_scorable(record: Mapping[str, Any], *, include_needs_review: bool = False) -> bool:
    """Has an expected output, and is not an unconfirmed model extraction (unless those are included)."""
    if record.get("expected_output") is None:
        return False
    return include_needs_review or (record.get("metadata") or {}).get("status") != NEEDS_REVIEW


def to_ddtrace_records(export: Mapping[str, Any], *, include_needs_review: bool = False) -> list[dict[str, Any]]:
    """Records as ``LLMObs.create_dataset`` takes them: input_data, expected_output, metadata.

    The form-set id travels in metadata so a pulled dataset can be matched back to form sets, with the form
    kind so experiments can be sliced by it. The ground-truth version does not: it would change every record
    on every push. ``needs-review`` records are left out unless ``include_needs_review``.
    """
    return [
        {
            "input_data": r["input"],
            "expected_output": r["expected_output"],
            "metadata": {**r["metadata"], **_kind(r["expected_output"]), "form_set_id": r["id"]},
        }
        for r in export["records"]
        if is_scorable(r, include_needs_review=include_needs_review)
    ]


def record_key(record: Mapping[str, Any]) -> str:
    """The form-set id of a ddtrace record (new or pulled)."""
    data = record.get("input_data") or {}
    return str((record.get("metadata") or {}).get("form_set_id") or data.get("form_set_name"))


def export_dir() -> Path:
    return settings.exports_dir() / "datadog"


def write_export(export: Mapping[str, Any]) -> Path:
    """``<name>_<version>.json`` (immutable per version) and ``<name>_latest.json``, both atomic."""
    directory = export_dir()
    path = directory / f"{export['name']}_{export['version']}.json"
    atomic.write_json(path, export)
    atomic.write_json(directory / f"{export['name']}_latest.json", export)
    return path


def pushes_path() -> Path:
    return export_dir() / "pushes.jsonl"


def record_push(ground_truth_version: str, push: Mapping[str, Any]) -> None:
    """Append (atomically rewrite) the push log: ground-truth version → dataset version where it landed."""
    line = json.dumps(
        {"at": datetime.now(UTC).isoformat(timespec="seconds"), "ground_truth_version": ground_truth_version, **push},
        ensure_ascii=False,
        sort_keys=True,
    )
    path = pushes_path()
    existing = path.read_text("utf-8") if path.exists() else ""
    atomic.write_text(path, existing + line + "\n")


def dataset_version_for(ground_truth_version: str, mode: str) -> int | None:
    """The dataset version a ground-truth version was pushed as (latest push wins), or None if never pushed."""
    path = pushes_path()
    if not path.exists():
        return None
    found = None
    for line in path.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("ground_truth_version") == ground_truth_version and entry.get("mode") == mode:
            found = entry.get("version")
    return found
