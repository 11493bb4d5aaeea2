"""Reads and writes of the review database for the review app (SQLAlchemy Core, SQLite or Postgres).

Every write is validated first and parametrised; on a validation error nothing is written.
Extraction reviews are append-only: the latest row per form set wins, older rows are the history.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dataset_platform.common import db, settings
from dataset_platform.common.labels import LABEL_MAPPINGS
from dataset_platform.forms.schema import FormExtraction
from dataset_platform.review_app.validation import ReviewValidationError, clean_reviewer, validate_extraction

log = logging.getLogger(__name__)

MAX_FORM_SET_ID_CHARS = 200


def get_engine(url: str | None = None) -> sa.Engine:
    engine = db.make_engine(url or settings.database_url())
    db.ensure_schema(engine)
    return engine


def utcnow() -> dt.datetime:
    """Naive UTC, the convention of the review tables' TIMESTAMP columns."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_form_set_id(form_set_id: Any) -> str:
    """A form set id is a folder name: no path separators, no traversal."""
    if not isinstance(form_set_id, str) or not form_set_id.strip():
        raise ValueError("a form set id is required")
    if (
        len(form_set_id) > MAX_FORM_SET_ID_CHARS
        or form_set_id in (".", "..")
        or any(c in form_set_id for c in "/\\\x00")
    ):
        raise ValueError(f"not a form set id: {form_set_id[:60]!r}")
    return form_set_id


@dataclass(frozen=True)
class ExtractionReview:
    id: int
    form_set_id: str
    extraction: dict[str, Any]
    reviewer: str | None
    reviewed_at: dt.datetime


def save_extraction_review(
    engine: sa.Engine,
    form_set_id: str,
    extraction: Mapping[str, Any] | FormExtraction,
    reviewer: str,
    *,
    now: dt.datetime | None = None,
) -> ExtractionReview:
    """Validate and append one review; raises `ReviewValidationError` (field → message) without writing."""
    errors: dict[str, str] = {}
    try:
        form_set_id = check_form_set_id(form_set_id)
    except ValueError as exc:
        errors["form_set_id"] = str(exc)
    try:
        reviewer = clean_reviewer(reviewer)
    except ValueError as exc:
        errors["reviewer"] = str(exc)
    try:
        clean = validate_extraction(extraction).model_dump(mode="json")
    except ReviewValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ReviewValidationError(errors)
    reviewed_at = now or utcnow()
    table = db.extraction_reviews
    with engine.begin() as conn:
        row_id = conn.execute(
            sa.insert(table)
            .values(form_set_id=form_set_id, corrected_extraction=clean, reviewer=reviewer, reviewed_at=reviewed_at)
            .returning(table.c.id)
        ).scalar_one()
    log.info("extraction review %d saved for %s by %s", row_id, form_set_id, reviewer)
    return ExtractionReview(row_id, form_set_id, clean, reviewer, reviewed_at)


def review_history(engine: sa.Engine, form_set_id: str) -> list[ExtractionReview]:
    """Every complete, valid review of one form set, newest first (the first one is the one that counts);
    rows the ground truth skips (not JSON, empty, partial) are left out here too."""
    from dataset_platform.forms.ground_truth import check_review
    from dataset_platform.forms.ground_truth import latest_reviews as review_rows

    history = []
    for row in review_rows(engine, form_set_id).get(form_set_id, []):
        extraction, problem = check_review(row)
        if problem:
            log.warning("%s", problem)
            continue
        assert extraction is not None  # check_review returns an extraction or a problem
        history.append(ExtractionReview(row.id, row.form_set_id, extraction, row.reviewer, row.reviewed_at))
    return history


def latest_reviews(engine: sa.Engine) -> dict[str, ExtractionReview]:
    """form_set_id → its latest review that counts (by reviewed_at, then id: two saves in one clock tick keep
    their order), as the ground truth picks it: rows that are not complete, valid extractions are skipped."""
    from dataset_platform.forms.ground_truth import check_review
    from dataset_platform.forms.ground_truth import latest_reviews as review_rows

    latest: dict[str, ExtractionReview] = {}
    for form_set_id, rows in review_rows(engine).items():
        for row in rows:
            extraction, problem = check_review(row)
            if problem is None:
                assert extraction is not None  # check_review returns an extraction or a problem
                latest[form_set_id] = ExtractionReview(row.id, form_set_id, extraction, row.reviewer, row.reviewed_at)
                break
    return latest


def extraction_reviews_since(engine: sa.Engine, since: dt.datetime | None) -> int:
    t = db.extraction_reviews
    query = sa.select(sa.func.count()).select_from(t)
    if since is not None:
        query = query.where(t.c.reviewed_at > since)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Complaint:
    id: int
    message: str
    department: str | None
    urgency: str | None
    created_at: dt.datetime | None


def _reviewed_complaint_ids() -> sa.Select:
    m = db.misclassified_complaints
    # NOT IN over a NULL-able column would match nothing if one complaint_id were NULL.
    return sa.select(m.c.complaint_id).where(m.c.reviewed.is_(True), m.c.complaint_id.is_not(None))


def grievance_queue(engine: sa.Engine, limit: int = 20, exclude_ids: Iterable[int] = ()) -> list[Complaint]:
    """Complaints no reviewer has labelled yet, oldest first."""
    c = db.complaints
    query = sa.select(c).where(c.c.id.not_in(_reviewed_complaint_ids())).order_by(c.c.id).limit(limit)
    exclude = [int(i) for i in exclude_ids]
    if exclude:
        query = query.where(c.c.id.not_in(exclude))
    with engine.connect() as conn:
        return [Complaint(r.id, r.message, r.department, r.urgency, r.created_at) for r in conn.execute(query)]


def get_complaint(engine: sa.Engine, complaint_id: int) -> Complaint | None:
    c = db.complaints
    with engine.connect() as conn:
        r = conn.execute(sa.select(c).where(c.c.id == int(complaint_id))).first()
    return None if r is None else Complaint(r.id, r.message, r.department, r.urgency, r.created_at)


def count_grievance_queue(engine: sa.Engine) -> int:
    c = db.complaints
    query = sa.select(sa.func.count()).select_from(c).where(c.c.id.not_in(_reviewed_complaint_ids()))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class GrievanceReview:
    id: int
    complaint_id: int
    model_predicted_department: str | None
    model_predicted_urgency: str | None
    correct_department: str
    correct_urgency: str
    reviewed_at: dt.datetime
    reviewer: str | None = None

    @property
    def confirmed(self) -> bool:
        return (self.model_predicted_department, self.model_predicted_urgency) == (
            self.correct_department,
            self.correct_urgency,
        )


def _label_value(label: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"choose a {label}")
    if value not in LABEL_MAPPINGS[label]:
        raise ValueError(f"unknown {label} {str(value)[:60]!r}; one of: {', '.join(LABEL_MAPPINGS[label])}")
    return value


def _validate_labels(complaint_id: Any, department: Any, urgency: Any, reviewer: Any, *, field_prefix: str) -> str:
    """Every problem of a labelling save at once (field names ``<prefix>department`` …); the clean reviewer."""
    errors: dict[str, str] = {}
    for label, value in (("department", department), ("urgency", urgency)):
        try:
            _label_value(label, value)
        except ValueError as exc:
            errors[f"{field_prefix}{label}"] = str(exc)
    try:
        reviewer = clean_reviewer(reviewer)
    except ValueError as exc:
        errors["reviewer"] = str(exc)
    if isinstance(complaint_id, bool) or not isinstance(complaint_id, int):
        errors["complaint_id"] = "must be an integer id"
    if errors:
        raise ReviewValidationError(errors)
    return reviewer


def save_grievance_review(
    engine: sa.Engine,
    complaint_id: int,
    correct_department: str | None,  # validated here: None or unknown raises ReviewValidationError
    correct_urgency: str | None,
    reviewer: str,
    *,
    allow_rereview: bool = False,
    now: dt.datetime | None = None,
) -> GrievanceReview:
    """Record a reviewed `misclassified_complaints` row: the model's prediction (read from `complaints`,
    not trusted from the caller) and the reviewer's labels. A confirmed prediction is recorded the same
    way (prediction == correction), so the complaint leaves the queue and never counts as misclassified.
    """
    reviewer = _validate_labels(complaint_id, correct_department, correct_urgency, reviewer, field_prefix="correct_")
    assert correct_department is not None and correct_urgency is not None  # validated above

    c, m = db.complaints, db.misclassified_complaints
    reviewed_at = now or utcnow()
    with engine.begin() as conn:
        complaint = conn.execute(sa.select(c.c.department, c.c.urgency).where(c.c.id == complaint_id)).first()
        if complaint is None:
            raise ReviewValidationError({"complaint_id": f"no complaint with id {complaint_id}"})
        if not allow_rereview:
            done = conn.execute(
                sa.select(m.c.id).where(m.c.complaint_id == complaint_id, m.c.reviewed.is_(True)).limit(1)
            ).first()
            if done is not None:
                raise ReviewValidationError({"complaint_id": f"complaint {complaint_id} was already reviewed"})
        row_id = conn.execute(
            sa.insert(m)
            .values(
                complaint_id=complaint_id,
                model_predicted_department=complaint.department,
                model_predicted_urgency=complaint.urgency,
                correct_department=correct_department,
                correct_urgency=correct_urgency,
                reviewed=True,
                reviewed_at=reviewed_at,
                reviewer=reviewer,
            )
            .returning(m.c.id)
        ).scalar_one()
    log.info("grievance review %d saved for complaint %d by %s", row_id, complaint_id, reviewer)
    return GrievanceReview(
        row_id,
        complaint_id,
        complaint.department,
        complaint.urgency,
        correct_department,
        correct_urgency,
        reviewed_at,
        reviewer,
    )


def grievance_history(engine: sa.Engine, complaint_id: int) -> list[GrievanceReview]:
    """Every review of one complaint, newest first, with who saved it (the audit trail)."""
    m = db.misclassified_complaints
    query = (
        sa.select(m)
        .where(m.c.complaint_id == complaint_id, m.c.reviewed.is_(True))
        .order_by(m.c.reviewed_at.desc(), m.c.id.desc())
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        GrievanceReview(
            r.id,
            r.complaint_id,
            r.model_predicted_department,
            r.model_predicted_urgency,
            r.correct_department,
            r.correct_urgency,
            r.reviewed_at,
            r.reviewer,
        )
        for r in rows
    ]


def grievance_reviews_since(engine: sa.Engine, since: dt.datetime | None, label: str | None = None) -> int:
    """Reviewed rows newer than ``since`` (all of them when None), optionally only those labelling ``label``."""
    m = db.misclassified_complaints
    query = sa.select(sa.func.count()).select_from(m).where(m.c.reviewed.is_(True))
    if label is not None:
        query = query.where(m.c[f"correct_{label}"].is_not(None))
    if since is not None:
        query = query.where(m.c.reviewed_at > since)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class GoldLabel:
    complaint_id: int
    department: str
    urgency: str
    reviewer: str
    labelled_at: dt.datetime


def save_gold_label(
    engine: sa.Engine,
    complaint_id: int,
    department: str | None,  # validated here: None or unknown raises ReviewValidationError
    urgency: str | None,
    reviewer: str,
    *,
    now: dt.datetime | None = None,
) -> GoldLabel:
    """Record a blind label (the reviewer did not see the prediction) of a randomly drawn complaint in `gold_labels`.

    One label per complaint: a second save of the same complaint is refused, so a gold row is never overwritten.
    """
    reviewer = _validate_labels(complaint_id, department, urgency, reviewer, field_prefix="")
    assert department is not None and urgency is not None  # validated above
    c, g = db.complaints, db.gold_labels
    labelled_at = now or utcnow()
    taken = ReviewValidationError({"complaint_id": f"complaint {complaint_id} is already in the gold set"})
    try:
        with engine.begin() as conn:
            if conn.execute(sa.select(c.c.id).where(c.c.id == complaint_id)).first() is None:
                raise ReviewValidationError({"complaint_id": f"no complaint with id {complaint_id}"})
            if conn.execute(sa.select(g.c.complaint_id).where(g.c.complaint_id == complaint_id)).first() is not None:
                raise taken
            conn.execute(
                sa.insert(g).values(
                    complaint_id=complaint_id,
                    department=department,
                    urgency=urgency,
                    reviewer=reviewer,
                    labelled_at=labelled_at,
                )
            )
    except sa.exc.IntegrityError:  # another reviewer labelled it between our check and insert
        raise taken from None
    log.info("gold label saved for complaint %d by %s", complaint_id, reviewer)
    return GoldLabel(complaint_id, department, urgency, reviewer, labelled_at)


def count_gold_labels(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(db.gold_labels)).scalar_one())
