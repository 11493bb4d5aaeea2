"""The review database (DESIGN.md schema), identical on SQLite and PostgreSQL, via SQLAlchemy Core."""

from __future__ import annotations

import logging
import time
from typing import Callable

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
    pass


def check_connection(
    engine: sa.Engine,
    retry_delays: tuple[float, ...] = (2.0, 4.0, 8.0),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run ``SELECT 1``; retry after each delay (exponential backoff); return the attempts used."""
    last: Exception | None = None
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return attempt
        except sa.exc.OperationalError as exc:  # connection refused, auth, DNS...
            last = exc
            if delay is None:
                break
            log.warning("review database %s unreachable (attempt %d), retrying in %.0fs", safe_url(engine), attempt, delay)
            sleep(delay)
    raise DatabaseUnavailable(
        f"review database {safe_url(engine)} unreachable after {len(retry_delays) + 1} attempts: "
        f"{type(last.orig if hasattr(last, 'orig') else last).__name__}"
    ) from None
