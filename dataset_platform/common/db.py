"""The review database (DESIGN.md schema), identical on SQLite and PostgreSQL, via SQLAlchemy Core."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

log = logging.getLogger(__name__)

metadata = sa.MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; Postgres gets BIGSERIAL.
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

complaints = sa.Table(
    "complaints",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("department", sa.Text, nullable=True),
    sa.Column("urgency", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True),
)

# The correct pool of a label walks the ids of complaints that have that prediction: a partial index
# on id lets both databases answer it from the index alone (no table read), in id order.
for _label in ("department", "urgency"):
    _predicted = complaints.c[_label].is_not(None)
    sa.Index(f"ix_complaints_{_label}_predicted", complaints.c.id, postgresql_where=_predicted, sqlite_where=_predicted)
del _label, _predicted

misclassified_complaints = sa.Table(
    "misclassified_complaints",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("complaint_id", sa.BigInteger, sa.ForeignKey("complaints.id"), nullable=True),
    sa.Column("model_predicted_department", sa.Text, nullable=True),
    sa.Column("model_predicted_urgency", sa.Text, nullable=True),
    sa.Column("correct_department", sa.Text, nullable=True),
    sa.Column("correct_urgency", sa.Text, nullable=True),
    sa.Column("reviewed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reviewed_at", sa.DateTime, nullable=True),
    # The authenticated identity of the reviewer; NULL for rows written by other tools.
    sa.Column("reviewer", sa.Text, nullable=True),
    sa.Index("ix_misclassified_complaint_id", "complaint_id"),
    sa.Index("ix_misclassified_reviewed_at", "reviewed_at"),
)

extraction_reviews = sa.Table(
    "extraction_reviews",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("form_set_id", sa.Text, nullable=False),
    sa.Column("corrected_extraction", sa.JSON, nullable=False),
    sa.Column("reviewer", sa.Text, nullable=True),
    sa.Column("reviewed_at", sa.DateTime, nullable=False),
    sa.Index("ix_extraction_reviews_form_set", "form_set_id", "reviewed_at"),
)


# Blind labels of a random (not error-driven) sample of complaints: held out of every pull and split,
# the set every model is scored on.
gold_labels = sa.Table(
    "gold_labels",
    metadata,
    sa.Column("complaint_id", sa.BigInteger, sa.ForeignKey("complaints.id"), primary_key=True),
    sa.Column("department", sa.Text, nullable=True),
    sa.Column("urgency", sa.Text, nullable=True),
    sa.Column("reviewer", sa.Text, nullable=True),
    sa.Column("labelled_at", sa.DateTime, nullable=False),
)


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Reviewers and Dagster runs write concurrently: wait for the lock rather than fail.
        return sa.create_engine(url, connect_args={"timeout": 30})
    return sa.create_engine(url, pool_pre_ping=True)


def ensure_schema(engine: sa.Engine) -> None:
    """CREATE TABLE / INDEX IF NOT EXISTS for the review tables, plus additive column migrations.

    ``create_all`` adds indexes and columns only with a new table, so nullable columns and indexes added
    to an existing database's tables (the reviewer column, the partial pool indexes) are added here.
    """
    metadata.create_all(engine, checkfirst=True)
    inspector = sa.inspect(engine)
    existing = {name: {ix["name"] for ix in inspector.get_indexes(name)} for name in metadata.tables}
    columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in metadata.tables}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            # Additive migration in place: nullable columns added since the table was created.
            for column in table.columns:
                if column.name not in columns[table.name] and column.nullable:
                    type_sql = column.type.compile(dialect=engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {type_sql}'))
            for index in table.indexes:
                if index.name not in existing[table.name]:
                    index.create(conn, checkfirst=True)


def safe_url(engine_or_url: sa.Engine | str) -> str:
    """The URL with its password masked, for logs and error messages."""
    url = engine_or_url.url if isinstance(engine_or_url, sa.Engine) else sa.make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


class DatabaseUnavailable(RuntimeError):
    """The review database cannot be reached now (after the designed retries); the message is masked."""


class DatabaseRejected(DatabaseUnavailable):
    """The server answered but refused us (credentials, database name, permissions): retrying cannot help."""


# FATAL replies that are worth waiting for; any other FATAL at connect time is a configuration error.
_TRANSIENT_FATAL = (
    "starting up",
    "shutting down",
    "in recovery mode",
    "too many clients",
    "connection slots are reserved",
    "terminating connection",
    "not yet accepting connections",
)
_PERMANENT_SQLITE = ("unable to open database file", "file is not a database")
_CONNECT_PREFIX = re.compile(r"^.*?failed:\s*(?=\S)", re.DOTALL)


def _reason(exc: BaseException) -> str:
    """The driver's one-line reason, without the connection banner ("connection to server at ... failed:")."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    while "failed:" in text:  # psycopg nests "connection failed: connection to server at ... failed: <reason>"
        text = _CONNECT_PREFIX.sub("", text, count=1)
    return text.removeprefix("FATAL:").strip()[:200] or type(orig).__name__


def is_permanent(exc: BaseException) -> bool:
    """True for connection errors that the same request can never overcome (auth, missing database)."""
    text = str(getattr(exc, "orig", None) or exc)
    if "FATAL" in text:
        return not any(marker in text for marker in _TRANSIENT_FATAL)
    return any(marker in text for marker in _PERMANENT_SQLITE)


def unavailable(engine_or_url: sa.Engine | str, exc: BaseException, attempts: int = 1) -> DatabaseUnavailable:
    """The masked, actionable error for a connection failure (``raise unavailable(...) from None``)."""
    where = safe_url(engine_or_url)
    if is_permanent(exc):
        return DatabaseRejected(
            f"review database {where} rejected the connection (not retried): {_reason(exc)}. "
            "Check the user, password and database name in POSTGRES_URL."
        )
    tries = f"after {attempts} attempts" if attempts > 1 else "mid-operation"
    return DatabaseUnavailable(
        f"review database {where} unreachable {tries}: {_reason(exc)}. "
        "Check that the server is running and that POSTGRES_URL points at it; the next run or tick tries again."
    )


@contextmanager
def masked_errors(engine: sa.Engine) -> Iterator[None]:
    """Turn a connection lost during queries into DatabaseUnavailable; SQL errors (bugs) pass unchanged."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise unavailable(engine, exc) from None
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise unavailable(engine, exc) from None
        raise
    except Exception as exc:  # the driver's own error, from code that uses the raw connection (COPY)
        if type(exc).__name__ in ("OperationalError", "InterfaceError") and _is_driver_error(exc):
            raise unavailable(engine, exc) from None
        raise


def _is_driver_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("psycopg", "psycopg2", "sqlite3")


def check_connection(
    engine: sa.Engine,
    retry_delays: tuple[float, ...] = (2.0, 4.0, 8.0),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run ``SELECT 1``; retry after each delay (exponential backoff); return the attempts used.

    Errors that cannot succeed on retry (authentication, a missing database) raise DatabaseRejected at once.
    """
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return attempt
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:  # refused, timeout, DNS, auth...
            if is_permanent(exc) or delay is None:
                raise unavailable(engine, exc, attempts=attempt) from None
            where = safe_url(engine)
            log.warning("review database %s unreachable (attempt %d), retrying in %.0fs", where, attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")
