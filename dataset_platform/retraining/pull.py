"""Pull one label's training records from the review database (DESIGN.md "Retraining semantics").

misclassified(X): reviewed rows whose correction differs from the prediction, joined to their complaint.
correct pool(X): complaints with a prediction for X and no review row at all (NOT EXISTS, so a review
row with a NULL complaint_id cannot empty the pool the way ``NOT IN`` would).

Rows are streamed from the database and written chunk by chunk to a parquet file, so memory stays
bounded by the chunk size plus the ids of the correct pool (8 bytes each).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from dataset_platform.common.db import complaints, misclassified_complaints
from dataset_platform.common.labels import LABELS

CORRECT_RATIO = 0.5
RANDOM_STATE = 42
CHUNK_SIZE = 50_000
# Bound parameters per IN (...) list; far below SQLite's 32766 limit.
ID_BATCH = 5_000

PULL_SCHEMA = pa.schema(
    [
        ("complaint_id", pa.int64()),
        ("text", pa.large_string()),
        ("label", pa.large_string()),
        ("source", pa.string()),
        ("reviewed_at", pa.timestamp("us")),
    ]
)


@dataclass(frozen=True)
class PullStats:
    label: str
    n_misclassified: int
    n_pool: int
    n_correct_requested: int
    n_correct: int

    @property
    def n_records(self) -> int:
        return self.n_misclassified + self.n_correct

    def to_dict(self) -> dict:
        return {**asdict(self), "n_records": self.n_records}


def _columns(label: str) -> tuple[sa.Column, sa.Column, sa.Column]:
    """(complaints.X, predicted_X, correct_X) from the allowlist; never formatted from user input."""
    if label not in LABELS:
        raise ValueError(f"unknown label column {label!r}; expected one of {', '.join(LABELS)}")
    m = misclassified_complaints.c
    return complaints.c[label], m[f"model_predicted_{label}"], m[f"correct_{label}"]


def misclassified_query(label: str) -> sa.Select:
    _, predicted, correct = _columns(label)
    m = misclassified_complaints
    return (
        sa.select(
            complaints.c.id.label("complaint_id"),
            complaints.c.message.label("text"),
            correct.label("label"),
            m.c.reviewed_at,
        )
        .select_from(m.join(complaints, complaints.c.id == m.c.complaint_id))
        .where(m.c.reviewed.is_(sa.true()), correct.is_not(None), predicted.is_distinct_from(correct))
        .order_by(m.c.id)
    )


def correct_pool_query(label: str) -> sa.Select:
    """Ids of the correct pool, ordered by id (the sample is drawn from this order)."""
    column, _, _ = _columns(label)
    m = misclassified_complaints
    has_review = sa.exists().where(m.c.complaint_id == complaints.c.id)
    return sa.select(complaints.c.id).where(column.is_not(None), ~has_review).order_by(complaints.c.id)


def correct_rows_query(label: str, ids: list[int]) -> sa.Select:
    column, _, _ = _columns(label)
    return sa.select(complaints.c.id, complaints.c.message, column).where(complaints.c.id.in_(ids))


def sample_positions(pool_size: int, n: int, random_state: int = RANDOM_STATE) -> np.ndarray:
    """Same draw as ``pool.sample(n, random_state=42)`` in pandas, on the pool ordered by id."""
    if n >= pool_size:
        return np.arange(pool_size)
    return np.random.RandomState(random_state).choice(pool_size, size=n, replace=False)


def _stream(conn: sa.Connection, query: sa.Select, chunk_size: int):
    result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(query)
    yield from result.partitions()


def pull(
    engine: sa.Engine,
    label: str,
    out_path: Path,
    *,
    correct_ratio: float = CORRECT_RATIO,
    random_state: int = RANDOM_STATE,
    chunk_size: int = CHUNK_SIZE,
) -> PullStats:
    """Write misclassified(X) plus a reproducible sample of the correct pool to ``out_path`` (parquet)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    n_mis = n_correct = 0
    try:
        with engine.connect() as conn, pq.ParquetWriter(tmp, PULL_SCHEMA, compression="zstd") as writer:
            for rows in _stream(conn, misclassified_query(label), chunk_size):
                ids, texts, labels, reviewed_at = zip(*rows)
                writer.write_table(_table(ids, texts, labels, "misclassified", reviewed_at))
                n_mis += len(rows)

            pool = np.fromiter(
                (row[0] for rows in _stream(conn, correct_pool_query(label), chunk_size) for row in rows), dtype=np.int64
            )
            requested = math.floor(n_mis * correct_ratio)
            chosen = np.sort(pool[sample_positions(len(pool), requested, random_state)])
            for start in range(0, len(chosen), ID_BATCH):
                batch = chosen[start : start + ID_BATCH].tolist()
                rows = conn.execute(correct_rows_query(label, batch).order_by(complaints.c.id)).all()
                if rows:
                    ids, texts, labels = zip(*rows)
                    writer.write_table(_table(ids, texts, labels, "correct", None))
                    n_correct += len(rows)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return PullStats(label, n_mis, len(pool), requested, n_correct)


def _table(ids, texts, labels, source: str, reviewed_at) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "complaint_id": pa.array(ids, pa.int64()),
            "text": pa.array(texts, pa.large_string()),
            "label": pa.array(labels, pa.large_string()),
            "source": pa.array([source] * n, pa.string()),
            "reviewed_at": pa.array(reviewed_at if reviewed_at is not None else [None] * n, pa.timestamp("us")),
        },
        schema=PULL_SCHEMA,
    )


def read_pull(path: Path) -> pa.Table:
    return pq.read_table(path)
