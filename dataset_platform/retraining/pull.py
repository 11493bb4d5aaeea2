"""Pull one label's training records from the review database (DESIGN.md "Retraining semantics").

misclassified(X): reviewed rows whose correction differs from the prediction, joined to their complaint.
correct pool(X): complaints with a prediction for X and no review row at all (NOT EXISTS, so a review
row with a NULL complaint_id cannot empty the pool the way ``NOT IN`` would).

Misclassified rows are streamed from the database and written chunk by chunk to a parquet file while a
second connection reads the pool's ids (8 bytes each, from the partial index on complaints) and fetches
only the sampled rows' texts; memory stays bounded by a chunk, the pool ids and the sampled rows.
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dataset_platform.common.db import complaints, misclassified_complaints
from dataset_platform.common.labels import LABELS

CORRECT_RATIO = 0.5
RANDOM_STATE = 42
CHUNK_SIZE = 50_000
# Bound parameters per IN (...) list; far below SQLite's 32766 limit.
ID_BATCH = 5_000
PG_ID_BATCH = 100_000

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


def correct_rows_query(label: str, ids: list[int], dialect: str = "default") -> sa.Select:
    column, _, _ = _columns(label)
    if dialect == "postgresql":  # one array literal instead of thousands of IN items (compiles and plans faster)
        array = sa.cast(sa.literal("{" + ",".join(str(int(i)) for i in ids) + "}"), postgresql.ARRAY(sa.BigInteger))
        condition = complaints.c.id == sa.any_(array)
    else:
        condition = complaints.c.id.in_([int(i) for i in ids])
    return sa.select(complaints.c.id, complaints.c.message, column).where(condition)


def sample_positions(pool_size: int, n: int, random_state: int = RANDOM_STATE) -> np.ndarray:
    """Same draw as ``pool.sample(n, random_state=42)`` in pandas, on the pool ordered by id."""
    if n >= pool_size:
        return np.arange(pool_size)
    return np.random.RandomState(random_state).choice(pool_size, size=n, replace=False)


def _arrow_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema, chunk_size: int) -> Iterator[pa.Table]:
    """Query results as Arrow tables of at most ~chunk_size rows.

    On PostgreSQL (psycopg 3) the query is streamed with ``COPY (...) TO STDOUT`` and parsed by Arrow's
    CSV reader: no Python object per row. Elsewhere a server-side/streaming cursor fills the tables.
    The queries carry no user input (labels come from the allowlist), so literal compilation is safe.
    """
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        yield from _copy_batches(conn, query, schema)
        return
    result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(query)
    for rows in result.partitions():
        columns = list(zip(*rows))
        yield pa.table({f.name: pa.array(col, f.type) for f, col in zip(schema, columns)}, schema=schema)


COPY_BLOCK_BYTES = 8 << 20
# The pull file is an intermediate read once by cleaning: lz4 writes and reads several times faster than zstd.
PULL_COMPRESSION = "lz4"


def _copy_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> Iterator[pa.Table]:
    """``COPY (query) TO STDOUT`` read with libpq's blocking ``get_copy_data`` (psycopg.pq).

    psycopg's ``Copy`` iterator costs several microseconds per row (one generator round trip per
    CopyData message); reading libpq directly is ~10× cheaper. The connection stays in its
    transaction and is left idle, so SQLAlchemy and psycopg keep using it normally.
    """
    from psycopg import pq

    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    pgconn = conn.connection.driver_connection.pgconn
    pgconn.send_query(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)".encode())
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        message = result.error_message.decode(errors="replace") if result is not None else "no result"
        _drain(pgconn)
        raise sa.exc.DBAPIError(sql, None, RuntimeError(f"COPY failed: {message}"))
    pending: list[bytes] = []
    size = 0
    get_copy_data = pgconn.get_copy_data
    finished = False
    # Arrow parses one block (without the GIL) while this thread reads the next one from the server.
    parser = ThreadPoolExecutor(max_workers=1)
    parsed: deque[Future] = deque()
    try:
        while True:
            nbytes, data = get_copy_data(0)
            if nbytes < 0:
                finished = True
                break
            pending.append(bytes(data))
            size += nbytes
            if size >= COPY_BLOCK_BYTES:
                blob = b"".join(pending)
                cut = _last_row_end(blob)
                if cut:
                    parsed.append(parser.submit(_parse_csv, blob[:cut], schema))
                pending, size = [blob[cut:]], len(blob) - cut
                while len(parsed) > 1:
                    yield parsed.popleft().result()
    finally:
        while not finished and get_copy_data(0)[0] >= 0:  # a consumer that stopped early: discard the rest
            pass
        errors = _drain(pgconn)
        parser.shutdown(wait=True, cancel_futures=not finished)  # finished: the queued blocks still parse
    if errors:
        raise sa.exc.DBAPIError(sql, None, RuntimeError(f"COPY failed: {errors[0]}"))
    while parsed:
        yield parsed.popleft().result()
    if size:
        yield _parse_csv(b"".join(pending), schema)


def _drain(pgconn) -> list[str]:
    from psycopg import pq

    errors = []
    while (result := pgconn.get_result()) is not None:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            errors.append(result.error_message.decode(errors="replace"))
    return errors


def _last_row_end(data: bytes) -> int:
    """Offset just past the last newline that ends a row (outside quotes: Postgres doubles inner quotes)."""
    end = data.rfind(b"\n")
    while end >= 0:
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", 0, end)
    return 0


def _parse_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=schema.names, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        # Postgres writes NULL unquoted-empty and '' quoted: only the former is null.
        convert_options=pacsv.ConvertOptions(
            column_types=schema, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    ).cast(schema)


_MIS_SCHEMA = pa.schema(
    [("complaint_id", pa.int64()), ("text", pa.large_string()), ("label", pa.large_string()), ("reviewed_at", pa.timestamp("us"))]
)
_ID_SCHEMA = pa.schema([("id", pa.int64())])
_CORRECT_SCHEMA = pa.schema([("complaint_id", pa.int64()), ("text", pa.large_string()), ("label", pa.large_string())])


def misclassified_estimate_query(label: str) -> sa.Select:
    """How many rows ``misclassified_query`` returns when every review points at an existing complaint.

    It reads ``misclassified_complaints`` alone (the foreign key makes the join a no-op filter), so it
    answers in a fraction of the join's time; ``pull`` checks it against the real count afterwards.
    """
    _, predicted, correct = _columns(label)
    m = misclassified_complaints
    return sa.select(sa.func.count()).where(
        m.c.reviewed.is_(sa.true()), correct.is_not(None), predicted.is_distinct_from(correct), m.c.complaint_id.is_not(None)
    )


@dataclass
class _CorrectSample:
    pool: np.ndarray
    n_misclassified_estimate: int
    parts: list[pa.Table]


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
    n_mis = 0
    # The misclassified join (the slowest query) streams on this connection while a second one gets the
    # pool ids and already fetches the sample drawn with the estimated count; if the estimate turns out
    # wrong (a review naming a missing complaint) the sample is drawn again: the result never changes.
    with ThreadPoolExecutor(max_workers=1) as background:
        sample = background.submit(_sample_correct, engine, label, correct_ratio, random_state, chunk_size)
        try:
            with engine.connect() as conn, pq.ParquetWriter(tmp, PULL_SCHEMA, compression=PULL_COMPRESSION) as writer:
                for part in _arrow_batches(conn, misclassified_query(label), _MIS_SCHEMA, chunk_size):
                    writer.write_table(_with_source(part, "misclassified"))
                    n_mis += part.num_rows
                drawn = sample.result()
                requested = math.floor(n_mis * correct_ratio)
                parts = drawn.parts
                if drawn.n_misclassified_estimate != n_mis:
                    parts = _fetch_correct_sample(conn, label, drawn.pool, requested, random_state, chunk_size)
                for part in parts:
                    writer.write_table(part)
                n_correct = sum(part.num_rows for part in parts)
            os.replace(tmp, out_path)
        finally:
            tmp.unlink(missing_ok=True)
    return PullStats(label, n_mis, len(drawn.pool), requested, n_correct)


def _sample_correct(engine: sa.Engine, label: str, correct_ratio: float, random_state: int, chunk_size: int) -> _CorrectSample:
    with engine.connect() as conn:
        parts = [p.column("id").to_numpy() for p in _arrow_batches(conn, correct_pool_query(label), _ID_SCHEMA, chunk_size)]
        pool = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        estimate = int(conn.execute(misclassified_estimate_query(label)).scalar_one())
        requested = math.floor(estimate * correct_ratio)
        return _CorrectSample(pool, estimate, _fetch_correct_sample(conn, label, pool, requested, random_state, chunk_size))


def _fetch_correct_sample(
    conn: sa.Connection, label: str, pool: np.ndarray, requested: int, random_state: int, chunk_size: int
) -> list[pa.Table]:
    """The sampled pool rows, fetched by id in id order, as pull-schema tables."""
    chosen = np.sort(pool[sample_positions(len(pool), requested, random_state)])
    dialect = conn.dialect.name
    batch_size = PG_ID_BATCH if dialect == "postgresql" else ID_BATCH
    parts = []
    for start in range(0, len(chosen), batch_size):
        query = correct_rows_query(label, chosen[start : start + batch_size].tolist(), dialect).order_by(complaints.c.id)
        parts.extend(_with_source(part, "correct") for part in _arrow_batches(conn, query, _CORRECT_SCHEMA, chunk_size))
    return parts


def _with_source(part: pa.Table, source: str) -> pa.Table:
    n = part.num_rows
    reviewed_at = part.column("reviewed_at") if "reviewed_at" in part.column_names else pa.nulls(n, pa.timestamp("us"))
    return pa.table(
        {
            "complaint_id": part.column("complaint_id"),
            "text": part.column("text"),
            "label": part.column("label"),
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "reviewed_at": reviewed_at,
        },
        schema=PULL_SCHEMA,
    )


def read_pull(path: Path) -> pa.Table:
    return pq.read_table(path)
