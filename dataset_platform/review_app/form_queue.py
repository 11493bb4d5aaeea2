"""The form-set review queue: what needs a human first.

Order: the ground truth's ``needs-review`` extractions first — those with fields the model could not
read confidently (``uncertain``), then those breaking an applicable consistency rule (``inconsistent``,
fewest rules satisfied first) — then failed (or missing) model extractions, then the rest not yet
reviewed, then reviewed ones. Inputs are the files
the forms pipeline writes (`$HOME/forms/<id>/` pages as `forms/paths.py` lists them, `$HOME/extractions/<id>.json`)
and the latest review per form set.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_platform.forms import paths
from dataset_platform.forms.consistency import RULES, check_rules
from dataset_platform.review_app.store import ExtractionReview, check_form_set_id

STATUSES = ("uncertain", "inconsistent", "failed", "unreviewed", "reviewed")
NEEDS_REVIEW_STATUSES = ("uncertain", "inconsistent")


extractions_dir = paths.extractions_dir


def page_images(form_set_id: str, forms_dir: Path | None = None) -> list[Any]:
    """The set's pages (``PageRef``: images, and each page of a PDF) in the natural order the model reads them."""
    from dataset_platform.forms.pages import page_refs

    return page_refs(paths.form_set_dir(check_form_set_id(form_set_id), forms_dir))


def list_form_sets() -> list[str]:
    """Form sets that have page files or a model extraction."""
    ids: set[str] = set()
    forms, extractions = paths.forms_dir(), extractions_dir()
    ids.update(d for d in paths.form_set_ids(forms) if paths.page_files(forms / d))
    if extractions.is_dir():
        ids.update(p.stem for p in extractions.glob("*.json") if not paths.is_hidden(p))
    return sorted(ids)


def load_extraction_record(form_set_id: str) -> dict[str, Any] | None:
    """The model's ExtractionRecord dict, None if there is none; an unreadable file becomes a failed record."""
    path = extractions_dir() / f"{check_form_set_id(form_set_id)}.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return {"form_set_id": form_set_id, "extraction": None, "error": f"unreadable extraction file: {exc}"}
    return record


def _consistency(extraction: Mapping[str, Any] | None) -> tuple[float | None, tuple[str, ...], int]:
    """(share of applicable rules satisfied, broken rules, number of rules that apply to the form kind)."""
    if extraction is None:
        return None, tuple(RULES), len(RULES)
    try:
        rules = check_rules(extraction)
    except ValueError:  # a malformed model output: treat as failing every rule
        return 0.0, tuple(RULES), len(RULES)
    broken = tuple(name for name, ok in rules.items() if not ok)
    return (len(rules) - len(broken)) / len(rules), broken, len(rules)


@dataclass(frozen=True)
class QueueItem:
    form_set_id: str
    status: str
    province: str | None = None
    district: str | None = None
    consistency: float | None = None
    broken_rules: tuple[str, ...] = ()
    model: str | None = None
    error: str | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None
    num_pages: int = 0
    uncertain_fields: tuple[str, ...] = ()
    rules_total: int = len(RULES)

    @property
    def rules_ok(self) -> str | None:
        """``3/3``: applicable rules satisfied / rules that apply to the form's kind."""
        if self.consistency is None:
            return None
        return f"{round(self.consistency * self.rules_total)}/{self.rules_total}"

    @property
    def rank(self) -> tuple:
        return (
            STATUSES.index(self.status),
            self.consistency if self.consistency is not None else -1.0,
            self.form_set_id,
        )


def queue_item(
    form_set_id: str, record: Mapping[str, Any] | None, review: ExtractionReview | None, num_pages: int = 0
) -> QueueItem:
    model = record.get("model") if record else None
    extraction = record.get("extraction") if record else None
    error = (record.get("error") if record else None) or (None if record else "no model extraction yet")
    if review is not None:
        item = _checked(form_set_id, "reviewed", review.extraction, model, num_pages)
        return dataclasses.replace(item, reviewer=review.reviewer, reviewed_at=review.reviewed_at)
    if extraction is None:
        return QueueItem(form_set_id, "failed", model=model, error=error or "extraction failed", num_pages=num_pages)
    uncertain = tuple(str(f) for f in (record or {}).get("uncertain_fields") or [])
    item = _checked(form_set_id, "unreviewed", extraction, model, num_pages)
    status = "uncertain" if uncertain else "inconsistent" if item.broken_rules else "unreviewed"
    return dataclasses.replace(item, status=status, uncertain_fields=uncertain)


def _checked(
    form_set_id: str, status: str, extraction: Mapping[str, Any], model: str | None, num_pages: int
) -> QueueItem:
    """An item for ``extraction`` (the model's or the reviewed one): where the form is from, its rule check."""
    score, broken, total = _consistency(extraction)
    info = extraction.get("form_info") or {}
    return QueueItem(
        form_set_id,
        status,
        province=info.get("province"),
        district=info.get("district"),
        consistency=score,
        broken_rules=broken,
        model=model,
        num_pages=num_pages,
        rules_total=total,
    )


# The app rebuilds the queue on every keystroke: re-read and re-check a form set only when its
# extraction file, its pages or its latest review changed.
_ITEMS: dict[tuple, QueueItem] = {}
_MAX_CACHED = 20_000


def _page_signature(folder: Path) -> tuple:
    """Names and mtimes of the page files (cheap: a PDF is not opened); a file gone meanwhile is left out."""
    signature = []
    for page in paths.page_files(folder):
        try:
            signature.append((page.name, page.stat().st_mtime_ns))
        except OSError:
            continue
    return tuple(signature)


def _cached_item(form_set_id: str, review: ExtractionReview | None, forms: Path, extractions: Path) -> QueueItem:
    try:
        stat = (extractions / f"{form_set_id}.json").stat()
        file_sig: tuple | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        file_sig = None
    page_sig = _page_signature(paths.form_set_dir(form_set_id, forms))
    key = (str(forms), form_set_id, file_sig, page_sig, review.id if review else None)
    item = _ITEMS.get(key)
    if item is None:
        if len(_ITEMS) >= _MAX_CACHED:
            _ITEMS.clear()
        num_pages = len(page_images(form_set_id, forms)) if page_sig else 0
        item = _ITEMS[key] = queue_item(form_set_id, load_extraction_record(form_set_id), review, num_pages)
    return item


def build_queue(latest: Mapping[str, ExtractionReview]) -> list[QueueItem]:
    """Every known form set (and every reviewed one), in review order."""
    forms, extractions = paths.forms_dir(), extractions_dir()
    items = []
    for form_set_id in sorted(set(list_form_sets()) | set(latest)):
        try:
            check_form_set_id(form_set_id)
        except ValueError:
            continue
        items.append(_cached_item(form_set_id, latest.get(form_set_id), forms, extractions))
    return sorted(items, key=lambda i: i.rank)


def filter_queue(
    items: Iterable[QueueItem], statuses: Iterable[str] | None = None, district: str | None = None
) -> list[QueueItem]:
    wanted = set(statuses) if statuses else set(STATUSES)
    return [i for i in items if i.status in wanted and (district is None or i.district == district)]


def districts(items: Iterable[QueueItem]) -> list[str]:
    return sorted({i.district for i in items if i.district})
