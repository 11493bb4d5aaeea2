"""Fingerprint of the extraction reviews ``ground_truth_dataset`` consumed; ``new_reviews_sensor`` compares it.

Rows of ``extraction_reviews`` are appended (the latest per form set wins), so their ids and timestamps
identify what a ground-truth build saw; a row that lands late with an older ``reviewed_at`` changes it too.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from dataset_platform.common.db import extraction_reviews


def extraction_reviews_fingerprint(engine: sa.Engine) -> str:
    """``<rows>x-<hash>`` over (id, form_set_id, reviewed_at) of every extraction review."""
    t = extraction_reviews
    query = sa.select(t.c.id, t.c.form_set_id, t.c.reviewed_at).order_by(t.c.id)
    h = hashlib.sha256()
    n = 0
    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=10_000).execute(query):
            h.update(repr((row.id, row.form_set_id, row.reviewed_at.isoformat())).encode())
            n += 1
    return f"{n}x-{h.hexdigest()[:16]}"


def nothing_reviewed(fingerprint: str) -> bool:
    return fingerprint.startswith("0x-")
