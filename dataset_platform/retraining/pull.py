"""Pull one label's training records from the review database (DESIGN.md "Retraining semantics").

- misclassified(X): reviewed rows whose correction differs from the prediction, joined to their complaint;
- confirmed(X): reviewed rows whose correction equals the prediction (a human verified the production label);
- correct pool(X): complaints with a prediction for X and no review row at all (NOT EXISTS, so a review
  row with a NULL complaint_id cannot empty the pool the way ``NOT IN`` would);
- gold(X): blind labels of a random sample (``gold_labels``); every gold complaint is held out of all of
  the above and of the base data, and is written to its own file for evaluation.

The correct sample has floor(n_misclassified × correct_ratio) records: confirmed ones first (a reproducible
sample of them when there are more), then a reproducible sample of the pool ordered by id. An optional base
training dataset (``source`` = ``base``) is appended.

A row whose message is not valid UTF-8 or holds a NUL byte is that row's fault: it is quarantined (its id
and reason recorded, never written) and the pull goes on. Misclassified rows are streamed to the parquet
file while a second connection draws the correct sample (see ``transport``): memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dataset_platform.common import atomic
from dataset_platform.common.db import complaints, gold_labels, misclassified_complaints
from dataset_platform.common.labels import LABELS
from dataset_platform.retraining.transport import arrow_batches, decode_utf8

CORRECT_RATIO = 0.5
RANDOM_STATE = 42
CHUNK_SIZE = 50_000
# Bound parameters per IN (...) list; far below SQLite's 32766 limit.
ID_BATCH = 5_000
PG_ID_BATCH = 100_000
SOURCES = ("misclassified", "confirmed", "correct", "base")
MAX_NAMED_QUARANTINE = 1_000  # ids named in the stats; the count is always complete

PULL_SCHEMA = pa.schema(
    [
        ("complaint_id", pa.int64()),
        ("text", pa.large_string()),
        ("label", pa.large_string()),
        ("source", pa.string()),
        ("reviewed_at", pa.timestamp("us")),
    ]
)
GOLD_SCHEMA = pa.schema([("complaint_id", pa.int64()), ("text", pa.large_string()), ("label", pa.large_string())])
# As read from the database: texts stay raw bytes until each row is checked.
_REVIEWED_RAW = pa.schema(
    [
        ("complaint_id", pa.int64()),
        ("text", pa.large_binary()),
        ("label", pa.large_string()),
        ("reviewed_at", pa.timestamp("us")),
    ]
)
_REVIEWED = pa.schema([f if f.name != "text" else pa.field("text", pa.large_string()) for f in _REVIEWED_RAW])
_ROWS_RAW = pa.schema([("complaint_id", pa.int64()), ("text", pa.large_binary()), ("label", pa.large_string())])
_ID_SCHEMA = pa.schema([("id", pa.int64())])
# The pull file is an intermediate read once by cleaning: lz4 writes and reads several times faster than zstd.
PULL_COMPRESSION = "lz4"


@dataclass(frozen=True)
class QuarantinedRow:
    complaint_id: int
    source: str
    reason: str  # invalid_utf8 | nul_byte


@dataclass
class PullStats:
    label: str
    n_misclassified: int
    n_pool: int
    n_correct_requested: int
    n_correct: int  # confirmed + sampled pool records
    n_confirmed_available: int = 0
    n_confirmed: int = 0
    n_base: int = 0
    n_gold: int = 0
    gold_held_out: dict[str, int] = field(default_factory=dict)
    quarantined_count: dict[str, int] = field(default_factory=dict)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    reviewed_through: str | None = None  # newest reviewed_at among the pulled reviews (ISO)
    population: dict[str, int] = field(default_factory=dict)  # production predictions over all complaints

    @property
    def n_records(self) -> int:
        return self.n_misclassified + self.n_correct + self.n_base

    @property
    def source_counts(self) -> dict[str, int]:
        pool = self.n_correct - self.n_confirmed
        return {
            "misclassified": self.n_misclassified,
            "confirmed": self.n_confirmed,
            "correct": pool,
            "base": self.n_base,
        }

    def to_dict(self) -> dict:
        return {**asdict(self), "n_records": self.n_records, "source_counts": self.source_counts}


def _columns(label: str) -> tuple[sa.Column, sa.Column, sa.Column]:
    """(complaints.X, predicted_X, correct_X) from the allowlist; never formatted from user input."""
    if label not in LABELS:
        raise ValueError(f"unknown label column {label!r}; expected one of {', '.join(LABELS)}")
    m = misclassified_complaints.c
    return complaints.c[label], m[f"model_predicted_{label}"], m[f"correct_{label}"]


RAW_BYTES = "/bytes"  # dialect suffix: a PostgreSQL database whose text may hold any bytes (SQL_ASCII)


def query_dialect(conn: sa.Connection) -> str:
    """The dialect name, plus RAW_BYTES for a SQL_ASCII PostgreSQL database (the only kind that stores
    invalid UTF-8; a UTF-8 client cannot read such text, so it is fetched as bytea without COPY)."""
    name = conn.dialect.name
    if name == "postgresql" and conn.exec_driver_sql("SHOW server_encoding").scalar() == "SQL_ASCII":
        return name + RAW_BYTES
    return name


def _batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema, chunk_size: int, dialect: str):
    return arrow_batches(conn, query, schema, chunk_size, copy=not dialect.endswith(RAW_BYTES))


def _message(dialect: str):
    """The message as raw bytes: SQLite's driver would fail the whole query on one invalid UTF-8 text.

    PostgreSQL (UTF-8) streams it as text through COPY and the transport reads it undecoded anyway.
    """
    if dialect == "sqlite":
        return sa.cast(complaints.c.message, sa.LargeBinary).label("text")
    if dialect.endswith(RAW_BYTES):
        return sa.type_coerce(sa.func.convert_to(complaints.c.message, "SQL_ASCII"), sa.LargeBinary).label("text")
    return complaints.c.message.label("text")


def _reviewed_query(label: str, dialect: str, confirmed: bool) -> sa.Select:
    _, predicted, correct = _columns(label)
    m = misclassified_complaints
    agreement = (predicted == correct) if confirmed else predicted.is_distinct_from(correct)
    return (
        sa.select(complaints.c.id.label("complaint_id"), _message(dialect), correct.label("label"), m.c.reviewed_at)
        .select_from(m.join(complaints, complaints.c.id == m.c.complaint_id))
        .where(m.c.reviewed.is_(sa.true()), correct.is_not(None), agreement)
        .order_by(m.c.id)
    )


def misclassified_query(label: str, dialect: str = "default") -> sa.Select:
    return _reviewed_query(label, dialect, confirmed=False)


def confirmed_query(label: str, dialect: str = "default") -> sa.Select:
    return _reviewed_query(label, dialect, confirmed=True)


def correct_pool_query(label: str) -> sa.Select:
    """Ids of the correct pool, ordered by id (the sample is drawn from this order)."""
    column, _, _ = _columns(label)
    m = misclassified_complaints
    has_review = sa.exists().where(m.c.complaint_id == complaints.c.id)
    return sa.select(complaints.c.id).where(column.is_not(None), ~has_review).order_by(complaints.c.id)


def correct_rows_query(label: str, ids: list[int], dialect: str = "default") -> sa.Select:
    column, _, _ = _columns(label)
    if dialect.startswith("postgresql"):  # one array literal, not thousands of IN items (compiles and plans faster)
        array = sa.cast(sa.literal("{" + ",".join(str(int(i)) for i in ids) + "}"), postgresql.ARRAY(sa.BigInteger))
        condition = complaints.c.id == sa.any_(array)
    else:
        condition = complaints.c.id.in_([int(i) for i in ids])
    return sa.select(complaints.c.id, _message(dialect), column).where(condition)


def gold_ids_query() -> sa.Select:
    return sa.select(gold_labels.c.complaint_id).order_by(gold_labels.c.complaint_id)


def gold_query(label: str, dialect: str = "default") -> sa.Select:
    _columns(label)
    gold = gold_labels.c[label]
    return (
        sa.select(complaints.c.id, _message(dialect), gold)
        .select_from(gold_labels.join(complaints, complaints.c.id == gold_labels.c.complaint_id))
        .where(gold.is_not(None))
        .order_by(complaints.c.id)
    )


def misclassified_estimate_query(label: str) -> sa.Select:
    """How many rows ``misclassified_query`` returns (minus gold) when every review names an existing complaint.

    It reads ``misclassified_complaints`` alone (the foreign key makes the join a no-op filter), so it
    answers in a fraction of the join's time; ``pull`` checks it against the real count afterwards.
    """
    _, predicted, correct = _columns(label)
    m = misclassified_complaints
    in_gold = sa.exists().where(gold_labels.c.complaint_id == m.c.complaint_id)
    return sa.select(sa.func.count()).where(
        m.c.reviewed.is_(sa.true()),
        correct.is_not(None),
        predicted.is_distinct_from(correct),
        m.c.complaint_id.is_not(None),
        ~in_gold,
    )


def sample_positions(pool_size: int, n: int, random_state: int = RANDOM_STATE) -> np.ndarray:
    """Same draw as ``pool.sample(n, random_state=42)`` in pandas, on the pool ordered by id."""
    if n >= pool_size:
        return np.arange(pool_size)
    return np.random.RandomState(random_state).choice(pool_size, size=n, replace=False)


class _Rows:
    """Per-record checks shared by every source: gold holdout, invalid UTF-8 and NUL-byte quarantine."""

    def __init__(self, gold_ids: np.ndarray):
        self._lock = threading.Lock()  # the main and the background connection both record here
        self.gold = pa.array(gold_ids, pa.int64())
        self.held_out: dict[str, int] = {}
        self.quarantine_count: dict[str, int] = {}
        self.quarantined: list[QuarantinedRow] = []
        self._seen: set[tuple[int, str]] = set()

    def accept(self, raw: pa.Table, source: str, *, hold_out_gold: bool = True) -> pa.Table:
        """Raw rows (text as bytes) → rows with text as string, minus gold complaints and quarantined rows."""
        keep = np.ones(raw.num_rows, dtype=bool)
        if hold_out_gold and len(self.gold):
            in_gold = pc.is_in(raw.column("complaint_id"), value_set=self.gold).to_numpy(zero_copy_only=False)
            if n := int(in_gold.sum()):
                with self._lock:
                    self.held_out[source] = self.held_out.get(source, 0) + n
            keep &= ~in_gold
        text, invalid, nul = decode_utf8(raw.column("text"))
        with self._lock:
            keep = self._quarantine(raw, source, keep, invalid, nul)
        table = raw.set_column(raw.schema.get_field_index("text"), "text", text)
        return table if keep.all() else table.filter(pa.array(keep))

    def _quarantine(
        self, raw: pa.Table, source: str, keep: np.ndarray, invalid: np.ndarray, nul: np.ndarray
    ) -> np.ndarray:
        for reason, bad in (("invalid_utf8", invalid), ("nul_byte", nul & ~invalid)):
            bad = bad & keep
            if not bad.any():
                continue
            keep &= ~bad
            for cid in raw.column("complaint_id").to_numpy(zero_copy_only=False)[bad].tolist():
                if (cid, source) in self._seen:  # a redrawn sample fetches the same row again: count it once
                    continue
                self._seen.add((cid, source))
                self.quarantine_count[reason] = self.quarantine_count.get(reason, 0) + 1
                if len(self.quarantined) < MAX_NAMED_QUARANTINE:
                    self.quarantined.append(QuarantinedRow(int(cid), source, reason))
        return keep


@dataclass
class _CorrectSample:
    pool: np.ndarray
    confirmed: pa.Table
    n_misclassified_estimate: int
    parts: list[pa.Table]
    population: dict[str, int]


def population_query(label: str) -> sa.Select:
    column, _, _ = _columns(label)
    return sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column)


def pull(
    engine: sa.Engine,
    label: str,
    out_path: Path,
    *,
    correct_ratio: float = CORRECT_RATIO,
    random_state: int = RANDOM_STATE,
    chunk_size: int = CHUNK_SIZE,
    base: pa.Table | None = None,
    gold_path: Path | None = None,
) -> PullStats:
    """Write misclassified(X), the correct sample and the base rows to ``out_path`` (parquet); gold to ``gold_path``.

    ``base``: rows (complaint_id, text, label as a mapping name) of a base training dataset, already loaded.
    """
    _columns(label)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        gold_ids = _ids(conn, gold_ids_query(), chunk_size)
        dialect = query_dialect(conn)
    rows = _Rows(gold_ids)
    n_mis = 0
    mis_ids: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    newest: list[dt.datetime] = []
    # The misclassified join (the slowest query) streams on this connection while a second one gets the
    # pool ids and already fetches the sample drawn with the estimated count; if the estimate turns out
    # wrong (a review naming a missing complaint, a quarantined row) the sample is drawn again: the
    # result never depends on the estimate.
    with ThreadPoolExecutor(max_workers=1) as background:
        sample = background.submit(
            _sample_correct, engine, label, rows, correct_ratio, random_state, chunk_size, dialect
        )
        with atomic.replacing(out_path) as tmp:
            with engine.connect() as conn, pq.ParquetWriter(tmp, PULL_SCHEMA, compression=PULL_COMPRESSION) as writer:
                for raw in _batches(conn, misclassified_query(label, dialect), _REVIEWED_RAW, chunk_size, dialect):
                    part = rows.accept(raw, "misclassified")
                    writer.write_table(_with_source(part, "misclassified"))
                    n_mis += part.num_rows
                    mis_ids.append(part.column("complaint_id").to_numpy())
                    newest.append(pc.max(part.column("reviewed_at")).as_py())
                drawn = sample.result()
                requested = math.floor(n_mis * correct_ratio)
                parts = drawn.parts
                if drawn.n_misclassified_estimate != n_mis:
                    parts = _draw(conn, label, rows, drawn, requested, random_state, chunk_size, dialect)
                n_confirmed = sum(p.num_rows for p in parts if p.num_rows and p["source"][0].as_py() == "confirmed")
                for part in parts:
                    writer.write_table(part)
                n_correct = sum(part.num_rows for part in parts)
                n_base = 0
                if base is not None and base.num_rows:
                    # A base row for a complaint pulled here is older information about it: dropped.
                    pulled = pa.array(np.concatenate([*mis_ids, *(p.column("complaint_id").to_numpy() for p in parts)]))
                    pulled = pc.is_in(base.column("complaint_id").cast(pa.int64()), value_set=pulled)
                    base_part = rows.accept(_as_raw(base.filter(pc.invert(pulled))), "base")
                    writer.write_table(_with_source(base_part, "base"))
                    n_base = base_part.num_rows
            n_gold = _write_gold(engine, label, rows, gold_path, chunk_size, dialect) if gold_path else 0
    if drawn.confirmed.num_rows:
        newest.append(pc.max(drawn.confirmed.column("reviewed_at")).as_py())
    newest = [t for t in newest if t is not None]
    return PullStats(
        label=label,
        n_misclassified=n_mis,
        n_pool=len(drawn.pool),
        n_correct_requested=requested,
        n_correct=n_correct,
        n_confirmed_available=drawn.confirmed.num_rows,
        n_confirmed=n_confirmed,
        n_base=n_base,
        n_gold=n_gold,
        gold_held_out=dict(rows.held_out),
        quarantined_count=dict(rows.quarantine_count),
        quarantined=list(rows.quarantined),
        reviewed_through=max(newest).isoformat() if newest else None,
        population=drawn.population,
    )


def _ids(conn: sa.Connection, query: sa.Select, chunk_size: int) -> np.ndarray:
    parts = [p.column("id").to_numpy() for p in arrow_batches(conn, query, _ID_SCHEMA, chunk_size)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _sample_correct(
    engine: sa.Engine, label: str, rows: _Rows, correct_ratio: float, random_state: int, chunk_size: int, dialect: str
) -> _CorrectSample:
    with engine.connect() as conn:
        pool = _ids(conn, correct_pool_query(label), chunk_size)
        if len(rows.gold):
            pool = pool[~np.isin(pool, rows.gold.to_numpy())]
        batches = _batches(conn, confirmed_query(label, dialect), _REVIEWED_RAW, chunk_size, dialect)
        confirmed = _latest_per_complaint([rows.accept(raw, "confirmed") for raw in batches])
        estimate = int(conn.execute(misclassified_estimate_query(label)).scalar_one())
        requested = math.floor(estimate * correct_ratio)
        sample = _CorrectSample(pool, confirmed, estimate, [], {})
        sample.parts = _draw(conn, label, rows, sample, requested, random_state, chunk_size, dialect)
        sample.population = {str(value): int(n) for value, n in conn.execute(population_query(label))}
        return sample


def _latest_per_complaint(parts: list[pa.Table]) -> pa.Table:
    """One confirmation per complaint (its latest review), ordered by complaint id."""
    table = pa.concat_tables(parts) if parts else _REVIEWED.empty_table()
    if not table.num_rows:
        return table
    ids = table.column("complaint_id").to_numpy(zero_copy_only=False)
    reviewed = pc.fill_null(table.column("reviewed_at").cast(pa.int64()), np.iinfo(np.int64).min)
    reviewed = reviewed.to_numpy(zero_copy_only=False)
    order = np.lexsort((-reviewed, ids))
    _, first = np.unique(ids[order], return_index=True)
    return table.take(pa.array(order[first]))


def _draw(
    conn: sa.Connection,
    label: str,
    rows: _Rows,
    sample: _CorrectSample,
    requested: int,
    random_state: int,
    chunk_size: int,
    dialect: str,
) -> list[pa.Table]:
    """The correct sample: confirmed records first (a reproducible sample if there are more), then the pool."""
    confirmed = sample.confirmed
    chosen = np.sort(sample_positions(confirmed.num_rows, requested, random_state))
    parts = [_with_source(confirmed.take(pa.array(chosen, pa.int64())), "confirmed")] if len(chosen) else []
    remaining = requested - len(chosen)
    if remaining > 0:
        parts += _fetch_correct_sample(conn, label, rows, sample.pool, remaining, random_state, chunk_size, dialect)
    return parts


def _fetch_correct_sample(
    conn: sa.Connection,
    label: str,
    rows: _Rows,
    pool: np.ndarray,
    requested: int,
    random_state: int,
    chunk_size: int,
    dialect: str,
) -> list[pa.Table]:
    """The sampled pool rows, fetched by id in id order, as pull-schema tables."""
    chosen = np.sort(pool[sample_positions(len(pool), requested, random_state)])
    batch_size = PG_ID_BATCH if dialect.startswith("postgresql") else ID_BATCH
    parts = []
    for start in range(0, len(chosen), batch_size):
        query = correct_rows_query(label, chosen[start : start + batch_size].tolist(), dialect).order_by(
            complaints.c.id
        )
        for raw in _batches(conn, query, _ROWS_RAW, chunk_size, dialect):
            parts.append(_with_source(rows.accept(raw, "correct", hold_out_gold=False), "correct"))
    return parts


def _as_raw(table: pa.Table) -> pa.Table:
    return pa.table(
        {
            "complaint_id": table.column("complaint_id").cast(pa.int64()),
            "text": table.column("text").cast(pa.large_string()).cast(pa.large_binary()),
            "label": table.column("label").cast(pa.large_string()),
        }
    )


def _write_gold(engine: sa.Engine, label: str, rows: _Rows, path: Path, chunk_size: int, dialect: str) -> int:
    with engine.connect() as conn:
        parts = [
            rows.accept(raw, "gold", hold_out_gold=False).cast(GOLD_SCHEMA)
            for raw in _batches(conn, gold_query(label, dialect), _ROWS_RAW, chunk_size, dialect)
        ]
    table = pa.concat_tables(parts) if parts else GOLD_SCHEMA.empty_table()
    with atomic.replacing(path) as tmp:
        pq.write_table(table, tmp)
    return table.num_rows


def _with_source(part: pa.Table, source: str) -> pa.Table:
    n = part.num_rows
    reviewed_at = part.column("reviewed_at") if "reviewed_at" in part.column_names else pa.nulls(n, pa.timestamp("us"))
    return pa.table(
        {
            "complaint_id": part.column(0).cast(pa.int64()),
            "text": part.column("text").cast(pa.large_string()),
            "label": part.column(2).cast(pa.large_string()),
            "source": pa.repeat(pa.scalar(source, pa.string()), n),
            "reviewed_at": reviewed_at.cast(pa.timestamp("us")),
        },
        schema=PULL_SCHEMA,
    )


def read_pull(path: Path) -> pa.Table:
    return pq.read_table(path)


def read_gold(path: Path) -> pa.Table:
    return pq.read_table(path) if Path(path).exists() else GOLD_SCHEMA.empty_table()
