"""The ground-truth dataset: per form set, the latest human review if any, else the model's extraction.

Versions are immutable JSON-lines files ``$HOME/ground_truth/<vYYYYMMDD_HHMMSS>.jsonl``; ``LATEST``
names the newest.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import sqlalchemy as sa
from pydantic import ValidationError

from dataset_platform.common import atomic, db, settings
from dataset_platform.forms import paths
from dataset_platform.forms.schema import FormExtraction

HUMAN_REVIEWED = "human-reviewed"
LLM_GENERATED = "llm-generated"
UNAVAILABLE = "unavailable"
STATUSES = (HUMAN_REVIEWED, LLM_GENERATED, UNAVAILABLE)


def ground_truth_dir() -> Path:
    return settings.platform_home() / "ground_truth"


def extractions_dir() -> Path:
    """Where ``llm_extractions`` writes one ExtractionRecord JSON per form set."""
    return settings.platform_home() / "extractions"


def latest_reviews(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    """form_set_id → its newest ``extraction_reviews`` row (by reviewed_at, then id)."""
    t = db.extraction_reviews
    query = sa.select(t).order_by(t.c.form_set_id, t.c.reviewed_at.desc(), t.c.id.desc())
    latest: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            latest.setdefault(row["form_set_id"], dict(row))
    return latest


def load_extractions(directory: Optional[Path] = None) -> dict[str, dict[str, Any]]:
    directory = directory or extractions_dir()
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory).glob("*.json")) if Path(directory).is_dir() else []:
        try:
            record = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        records[record.get("form_set_id") or path.stem] = record
    return records


def _page_input(form_set_id: str, forms_dir: Path) -> dict[str, Any]:
    """The record's ``input``: page files (a PDF once) and the page count, in the order the model reads them."""
    from dataset_platform.forms.pages import page_refs

    refs = page_refs(paths.form_set_dir(form_set_id, forms_dir))
    files = list(dict.fromkeys(r.path for r in refs))
    return {"form_set_name": form_set_id, "image_paths": files, "num_pages": len(refs)}


def _iso(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def build_records(
    form_set_ids: Iterable[str],
    extractions: Mapping[str, Mapping[str, Any]],
    reviews: Mapping[str, Mapping[str, Any]],
    forms_dir: Optional[Path] = None,
) -> list[dict[str, Any]]:
    """One record per form set (sorted by id) in the DESIGN.md ground-truth record shape."""
    forms_dir = Path(forms_dir or paths.forms_dir())
    records = []
    for form_set_id in sorted(set(form_set_ids) | set(extractions) | set(reviews)):
        page_input = _page_input(form_set_id, forms_dir)
        extraction = extractions.get(form_set_id) or {}
        review = reviews.get(form_set_id)
        meta: dict[str, Any] = {"status": UNAVAILABLE, "model": extraction.get("model"), "reviewer": None,
                                "reviewed_at": None, "error": None}  # fmt: skip
        expected = None
        review_error = None
        if review is not None:
            corrected = review["corrected_extraction"]
            try:
                corrected = json.loads(corrected) if isinstance(corrected, str) else corrected
                expected = FormExtraction.model_validate(corrected).model_dump(mode="json")
                meta.update(
                    status=HUMAN_REVIEWED, reviewer=review.get("reviewer"), reviewed_at=_iso(review.get("reviewed_at"))
                )
            except (ValidationError, json.JSONDecodeError, TypeError) as exc:
                review_error = f"review {review.get('id')} is not a valid FormExtraction ({type(exc).__name__})"
        if expected is None and extraction.get("extraction") is not None:
            expected = extraction["extraction"]
            meta["status"] = LLM_GENERATED
        if expected is None:
            meta["error"] = extraction.get("error") or ("not extracted yet" if not extraction else "no extraction")
        if review_error:
            meta["error"] = review_error
        records.append(
            {
                "id": form_set_id,
                "input": page_input,
                "expected_output": expected,
                "metadata": meta,
            }
        )
    return records


def _new_version(directory: Path) -> str:
    now = datetime.now(timezone.utc)
    while (directory / f"v{now:%Y%m%d_%H%M%S}.jsonl").exists():  # two writes in one second stay distinct
        now += timedelta(seconds=1)
    return f"v{now:%Y%m%d_%H%M%S}"


def write_ground_truth(records: list[dict[str, Any]]) -> str:
    """Write a new immutable version and point LATEST at it; return the version tag."""
    directory = ground_truth_dir()
    directory.mkdir(parents=True, exist_ok=True)
    version = _new_version(directory)
    lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    atomic.write_text(directory / f"{version}.jsonl", lines)
    atomic.write_text(directory / "LATEST", version + "\n")
    return version


def load_ground_truth(version: Optional[str] = None) -> tuple[str, list[dict[str, Any]]]:
    directory = ground_truth_dir()
    if version is None:
        latest = directory / "LATEST"
        if not latest.exists():
            raise FileNotFoundError(f"no ground truth yet under {directory}; materialise ground_truth_dataset first")
        version = latest.read_text("utf-8").strip()
    path = directory / f"{version}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"ground truth version {version} not found under {directory}")
    with path.open(encoding="utf-8") as f:
        return version, [json.loads(line) for line in f if line.strip()]


def status_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for r in records:
        counts[r["metadata"]["status"]] += 1
    return counts
