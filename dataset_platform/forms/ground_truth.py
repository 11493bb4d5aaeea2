"""The ground-truth dataset: per form set, the latest valid human review if any, else the model's extraction.

Statuses (DESIGN): ``human-reviewed`` (the newest review that is a complete, valid extraction of its form
kind), ``llm-generated`` (a model extraction with no uncertain fields that satisfies every applicable
consistency rule), ``needs-review`` (any other model extraction), ``unavailable`` (no extraction).
Review rows are decoded one by one: an invalid, empty or partial review is skipped and named in its
record's ``metadata.skipped_reviews``, and the next older review (or the model) stands in.

Versions are immutable JSON-lines files ``$HOME/ground_truth/<vYYYYMMDD_HHMMSS>.jsonl``; ``LATEST``
names the newest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from dataset_platform.common import atomic, db
from dataset_platform.forms import paths
from dataset_platform.forms.consistency import RULES, broken_rules
from dataset_platform.forms.schema import FormExtraction, kind_problems

HUMAN_REVIEWED = "human-reviewed"
LLM_GENERATED = "llm-generated"
NEEDS_REVIEW = "needs-review"
UNAVAILABLE = "unavailable"
STATUSES = (HUMAN_REVIEWED, LLM_GENERATED, NEEDS_REVIEW, UNAVAILABLE)
MAX_PROBLEMS_SHOWN = 5


ground_truth_dir = paths.ground_truth_dir
extractions_dir = paths.extractions_dir


@dataclass(frozen=True)
class ReviewRow:
    """One ``extraction_reviews`` row, its JSON decoded on its own (``decode_error`` set when it is not JSON)."""

    id: int
    form_set_id: str
    reviewer: str | None
    reviewed_at: Any
    corrected: Any
    decode_error: str | None = None


def _decode(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, (str, bytes)):
        return value, None
    try:
        return json.loads(value), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"{type(exc).__name__} at char {getattr(exc, 'pos', '?')}"


def latest_reviews(engine: sa.Engine, form_set_id: str | None = None) -> dict[str, list[ReviewRow]]:
    """form_set_id → its ``extraction_reviews`` rows (of every form set, or of one), newest first (by
    reviewed_at, then id).

    The JSON column is read as text and decoded per row, so one row that is not JSON cannot stop the
    query (the driver would decode every row before any per-record handling)."""
    t = db.extraction_reviews
    query = sa.select(
        t.c.id, t.c.form_set_id, t.c.reviewer, t.c.reviewed_at, sa.cast(t.c.corrected_extraction, sa.Text).label("text")
    ).order_by(t.c.form_set_id, t.c.reviewed_at.desc(), t.c.id.desc())
    if form_set_id is not None:
        query = query.where(t.c.form_set_id == form_set_id)
    reviews: dict[str, list[ReviewRow]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            corrected, error = _decode(row.text)
            reviews.setdefault(row.form_set_id, []).append(
                ReviewRow(row.id, row.form_set_id, row.reviewer, row.reviewed_at, corrected, error)
            )
    return reviews


def _summarise(problems: Mapping[str, str]) -> str:
    shown = [f"{path} {why}" for path, why in list(problems.items())[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def check_review(review: ReviewRow) -> tuple[dict[str, Any] | None, str | None]:
    """(the review as a FormExtraction dict, None) when it is a complete, valid extraction of its form kind;
    else (None, why), naming the review and the form set."""
    name = f"review {review.id} of form set {review.form_set_id}"
    corrected = review.corrected
    if review.decode_error:
        return None, f"{name} is not valid JSON ({review.decode_error})"
    if not isinstance(corrected, dict):
        return None, f"{name} is a JSON {type(corrected).__name__}, not an extraction object"
    if not corrected:
        return None, f"{name} is empty ({{}})"
    try:
        extraction = FormExtraction.model_validate(corrected)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, f"{name} is not a valid FormExtraction ({where}: {first['msg']})"
    problems = kind_problems(extraction)
    if problems:
        return None, f"{name} is incomplete: {_summarise(problems)}"
    return extraction.model_dump(mode="json"), None


def load_extractions(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    directory = directory or extractions_dir()
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory).glob("*.json")) if Path(directory).is_dir() else []:
        if paths.is_hidden(path):
            continue
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


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _as_rows(review: Any, form_set_id: str) -> list[ReviewRow]:
    """Reviews of one form set as ReviewRows, newest first (a list, one row, or a plain row mapping)."""
    if review is None:
        return []
    items = review if isinstance(review, list) else [review]
    rows = []
    for item in items:
        if isinstance(item, ReviewRow):
            rows.append(item)
        else:
            corrected, error = _decode(item.get("corrected_extraction"))
            rows.append(
                ReviewRow(item.get("id"), form_set_id, item.get("reviewer"), item.get("reviewed_at"), corrected, error)
            )
    return rows


def model_status(extraction_record: Mapping[str, Any]) -> tuple[str, list[str], list[str]]:
    """(status, uncertain fields, broken rules) of a model extraction that exists."""
    uncertain = [str(f) for f in extraction_record.get("uncertain_fields") or []]
    try:
        broken = broken_rules(extraction_record["extraction"])
    except (ValueError, TypeError):  # not a FormExtraction: nothing of it can be trusted
        broken = list(RULES)
    return (NEEDS_REVIEW if uncertain or broken else LLM_GENERATED), uncertain, broken


def build_records(
    form_set_ids: Iterable[str],
    extractions: Mapping[str, Mapping[str, Any]],
    reviews: Mapping[str, Any],
    forms_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """One record per form set (sorted by id) in the DESIGN.md ground-truth record shape.

    ``reviews``: form_set_id → its review rows newest first (``latest_reviews``), or one row."""
    forms_dir = Path(forms_dir or paths.forms_dir())
    records = []
    for form_set_id in sorted(set(form_set_ids) | set(extractions) | set(reviews)):
        page_input = _page_input(form_set_id, forms_dir)
        extraction = extractions.get(form_set_id) or {}
        meta: dict[str, Any] = {
            "status": UNAVAILABLE,
            "model": extraction.get("model"),
            "reviewer": None,
            "reviewed_at": None,
            "error": None,
            "uncertain_fields": [],
            "broken_rules": [],
            "skipped_reviews": [],
        }
        expected = None
        for review in _as_rows(reviews.get(form_set_id), form_set_id):
            expected, problem = check_review(review)
            if problem:
                meta["skipped_reviews"].append({"review_id": review.id, "reason": problem})
                continue
            meta.update(status=HUMAN_REVIEWED, reviewer=review.reviewer, reviewed_at=_iso(review.reviewed_at))
            break
        if expected is None and extraction.get("extraction") is not None:
            expected = extraction["extraction"]
            meta["status"], meta["uncertain_fields"], meta["broken_rules"] = model_status(extraction)
        if expected is None:
            meta["error"] = extraction.get("error") or ("not extracted yet" if not extraction else "no extraction")
        if meta["skipped_reviews"] and meta["status"] != HUMAN_REVIEWED:
            meta["error"] = meta["skipped_reviews"][0]["reason"]
        records.append({"id": form_set_id, "input": page_input, "expected_output": expected, "metadata": meta})
    return records


def skipped_reviews(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every review left out of the ground truth, with its form set and why."""
    return [
        {"form_set_id": r["id"], **skipped}
        for r in records
        for skipped in (r.get("metadata") or {}).get("skipped_reviews") or []
    ]


def _new_version(directory: Path) -> str:
    now = datetime.now(UTC)
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


def load_ground_truth(version: str | None = None) -> tuple[str, list[dict[str, Any]]]:
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
        status = r["metadata"]["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts
