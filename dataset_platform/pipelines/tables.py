"""Step tables on disk: one Parquet file per asset, written atomically; DuckDB for scans and queries.

Also what the UI shows per step: column schema (with likely-PII columns flagged) and a markdown preview.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from dataset_platform.common import atomic

PII_NAME_HINT = re.compile(
    r"e-?mail|phone|mobile|tel(ephone)?$|^tel|address|national_?id|citizen|passport|ssn|card|iban|"
    r"birth|dob|^ip$|ip_?addr|first_?name|last_?name|full_?name|^name$|customer_?name|contact",
    re.IGNORECASE,
)
PREVIEW_ROWS = 10
PREVIEW_CELL = 60
PII_SAMPLE = 200
PII_SHARE = 0.2


@contextmanager
def duck() -> Iterator[Any]:
    import duckdb

    con = duckdb.connect()
    try:
        # Two cores shared with the rest of the platform; DuckDB spills to disk past the memory limit.
        con.execute(f"SET threads = {min(4, os.cpu_count() or 1)}")
        yield con
    finally:
        con.close()


def duck_copy(con: Any, query: str, out: Path, params: list | None = None) -> int:
    """COPY (query) TO a temp Parquet file, renamed into place: streamed, never held in Python memory."""
    with atomic.replacing(out) as tmp:
        con.execute(f"COPY ({query}) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)", params or [])
    return parquet_rows(out)


def write_table(table: pa.Table, out: Path) -> int:
    import pyarrow.parquet as pq

    with atomic.replacing(out) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return table.num_rows


def read_table(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(path)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def scan(path: Path) -> str:
    return f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"


@dataclass
class ColumnInfo:
    name: str
    type: str
    pii: list[str]

    @property
    def description(self) -> str:
        return f"likely PII: {', '.join(self.pii)}" if self.pii else ""


def infer_schema(path: Path) -> list[ColumnInfo]:
    """Arrow types, plus PII flags from the column name and from validated matches in a sample of values."""
    import pyarrow.parquet as pq

    from dataset_platform.common.pii import find_pii

    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    sample = pf.read_row_group(0) if pf.num_row_groups else schema.empty_table()
    sample = sample.slice(0, PII_SAMPLE)
    out = []
    for f in schema:
        flags: list[str] = []
        if PII_NAME_HINT.search(f.name):
            flags.append("name")
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            values = [v for v in sample.column(f.name).to_pylist() if v]
            kinds: dict[str, int] = {}
            for v in values:
                for k in {m.kind for m in find_pii(v)}:
                    kinds[k] = kinds.get(k, 0) + 1
            flags += sorted(k for k, n in kinds.items() if n >= max(1, PII_SHARE * len(values)))
        out.append(ColumnInfo(f.name, str(f.type), flags))
    return out


def preview_markdown(path: Path, rows: int = PREVIEW_ROWS) -> str:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    head = next(pf.iter_batches(batch_size=rows), None)
    if head is None or head.num_rows == 0:
        return "_no rows_"
    df = pa.Table.from_batches([head]).to_pandas()

    def cell(v: Any) -> str:
        text = str(v).replace("\n", " ").replace("|", "\\|")
        return text[:PREVIEW_CELL] + ("…" if len(text) > PREVIEW_CELL else "")

    return df.map(cell).to_markdown(index=False)
