"""Query results as Arrow tables, whatever the database: the generic COPY → Arrow transport of the pull.

On PostgreSQL (psycopg 3) a query is streamed with ``COPY (...) TO STDOUT`` and parsed by Arrow's CSV
reader (no Python object per row); elsewhere a streaming cursor fills the tables. Columns typed
``large_binary`` in the requested schema arrive as raw bytes, undecoded, so that one row with invalid
UTF-8 cannot fail the query: the caller decides what to do with that row (see ``decode_utf8``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

COPY_BLOCK_BYTES = 8 << 20


def arrow_batches(
    conn: sa.Connection, query: sa.Select, schema: pa.Schema, chunk_size: int, *, copy: bool = True
) -> Iterator[pa.Table]:
    """Results of ``query`` as Arrow tables of ``schema`` (columns in query order), ~chunk_size rows each.

    ``copy=False`` forces the cursor path (for bytea columns, which COPY would write as hex text).
    The queries carry no user input (column names come from allowlists), so literal compilation is safe.
    """
    if copy and conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        yield from _copy_batches(conn, query, schema)
        return
    result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(query)
    for rows in result.partitions():
        columns = list(zip(*rows))
        yield pa.table({f.name: _array(col, f.type) for f, col in zip(schema, columns)}, schema=schema)


def _array(values, type_: pa.DataType) -> pa.Array:
    if pa.types.is_large_binary(type_) or pa.types.is_binary(type_):
        values = [v.encode() if isinstance(v, str) else v for v in values]
    return pa.array(values, type_)


def _copy_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema) -> Iterator[pa.Table]:
    """``COPY (query) TO STDOUT`` read with libpq's blocking ``get_copy_data`` (psycopg.pq).

    psycopg's ``Copy`` iterator costs several microseconds per row (one generator round trip per
    CopyData message); reading libpq directly is ~10× cheaper. The connection stays in its
    transaction and is left idle, so SQLAlchemy and psycopg keep using it normally.
    """
    from psycopg import pq

    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    assert driver is not None  # a live connection has its psycopg connection
    pgconn = driver.pgconn
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


def decode_utf8(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Raw bytes → (large_string array, invalid-UTF-8 mask, NUL-byte mask).

    Invalid rows come back null in the string array. The whole column is validated in C++; only a
    column that fails is walked row by row to find the culprits.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_binary())
    nul = pc.fill_null(pc.match_substring(values, "\x00"), False).to_numpy(zero_copy_only=False)
    try:
        return values.cast(pa.large_string()), np.zeros(len(values), dtype=bool), nul
    except pa.ArrowInvalid:
        pass
    invalid = np.zeros(len(values), dtype=bool)
    for i, raw in enumerate(values.to_pylist()):
        if raw is not None:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                invalid[i] = True
    cleaned = pc.if_else(pa.array(invalid), pa.scalar(None, pa.large_binary()), values)
    return cleaned.cast(pa.large_string()), invalid, nul
