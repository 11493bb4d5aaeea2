"""What changed in the review database since a high-water mark (reviewed_at, id); used by new_reviews_sensor.

Marks are compared as (reviewed_at, id) pairs so rows sharing a timestamp are neither skipped nor
counted twice. Only the newest mark and per-label counts are fetched, never the rows themselves.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from dataset_platform.common.db import extraction_reviews, misclassified_complaints
from dataset_platform.common.labels import LABELS

Mark = tuple[str, int]  # (ISO timestamp, id)


@dataclass
class ReviewCursor:
    misclassified: Mark | None = None
    extraction: Mark | None = None

    def serialize(self) -> str:
        return json.dumps({"m": self.misclassified, "e": self.extraction}, separators=(",", ":"))

    @classmethod
    def parse(cls, raw: str | None) -> "ReviewCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        as_mark = lambda v: (v[0], int(v[1])) if v else None  # noqa: E731
        return cls(as_mark(data.get("m")), as_mark(data.get("e")))


@dataclass
class ReviewChanges:
    labels: dict[str, int] = field(default_factory=dict)  # label → new reviewed misclassifications
    new_reviewed_rows: int = 0
    new_extraction_reviews: int = 0
    cursor: ReviewCursor = field(default_factory=ReviewCursor)


def _after(table: sa.Table, mark: Mark | None):
    if mark is None:
        return sa.true()
    ts = dt.datetime.fromisoformat(mark[0])
    return sa.or_(table.c.reviewed_at > ts, sa.and_(table.c.reviewed_at == ts, table.c.id > mark[1]))


def _newest(conn: sa.Connection, table: sa.Table, condition) -> Mark | None:
    row = conn.execute(
        sa.select(table.c.reviewed_at, table.c.id).where(condition).order_by(table.c.reviewed_at.desc(), table.c.id.desc()).limit(1)
    ).first()
    return (row.reviewed_at.isoformat(), int(row.id)) if row else None


def find_changes(engine: sa.Engine, cursor: ReviewCursor) -> ReviewChanges:
    m = misclassified_complaints
    reviewed_new = sa.and_(m.c.reviewed.is_(sa.true()), m.c.reviewed_at.is_not(None), _after(m, cursor.misclassified))
    per_label = [
        sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            m.c.complaint_id.is_not(None),
                            m.c[f"correct_{label}"].is_not(None),
                            m.c[f"model_predicted_{label}"].is_distinct_from(m.c[f"correct_{label}"]),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        ).label(label)
        for label in LABELS
    ]
    e = extraction_reviews
    extraction_new = _after(e, cursor.extraction)
    with engine.connect() as conn:
        counts = conn.execute(sa.select(sa.func.count().label("n"), *per_label).where(reviewed_new)).one()
        n_extraction = conn.execute(sa.select(sa.func.count()).select_from(e).where(extraction_new)).scalar_one()
        new_cursor = ReviewCursor(
            _newest(conn, m, reviewed_new) or cursor.misclassified,
            _newest(conn, e, extraction_new) or cursor.extraction,
        )
    labels = {label: int(getattr(counts, label)) for label in LABELS if int(getattr(counts, label))}
    return ReviewChanges(labels, int(counts.n), int(n_extraction), new_cursor)
