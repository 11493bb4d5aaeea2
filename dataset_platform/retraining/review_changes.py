"""Fingerprints of the reviews a retraining pull consumes; ``new_reviews_sensor`` recomputes them to decide.

``misclassified_pulls`` records ``reviews_fingerprint(engine, label)`` in its materialization metadata; the
sensor compares the database's fingerprint now with the one of the latest materialization of each label.
A content fingerprint, not a high-water mark: a row that lands late with an older ``reviewed_at``, an edited
correction or a new gold label all change it, while unreviewed rows and rows of other labels do not.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from dataset_platform.common.db import gold_labels, misclassified_complaints

_CHUNK = 10_000


def _digest(conn: sa.Connection, query: sa.Select, h: hashlib._Hash) -> int:
    """Feed every row of ``query`` (in its order) to ``h``; returns the row count."""
    n = 0
    for row in conn.execution_options(stream_results=True, yield_per=_CHUNK).execute(query):
        h.update(repr(tuple(row)).encode())
        n += 1
    return n


def reviews_fingerprint(engine: sa.Engine, label: str) -> str:
    """``<reviewed>r-<gold>g-<hash>`` over what the pull of ``label`` reads from reviewers.

    Reviewed rows with a correction for the label (misclassifications and confirmations alike: the
    prediction column decides which, so it is hashed too) and the gold labels of the label.
    """
    m, g = misclassified_complaints, gold_labels
    predicted, correct = m.c[f"model_predicted_{label}"], m.c[f"correct_{label}"]
    reviewed = (
        sa.select(m.c.id, m.c.complaint_id, predicted, correct)
        .where(m.c.reviewed.is_(sa.true()), correct.is_not(None), m.c.complaint_id.is_not(None))
        .order_by(m.c.id)
    )
    gold = sa.select(g.c.complaint_id, g.c[label]).where(g.c[label].is_not(None)).order_by(g.c.complaint_id)
    h = hashlib.sha256()
    with engine.connect() as conn:
        n_reviewed = _digest(conn, reviewed, h)
        h.update(b"\0gold\0")
        n_gold = _digest(conn, gold, h)
    return f"{n_reviewed}r-{n_gold}g-{h.hexdigest()[:16]}"


def nothing_reviewed(fingerprint: str) -> bool:
    """A database without any review of the label: no reason to pull before the first review."""
    return fingerprint.startswith("0r-0g-")
