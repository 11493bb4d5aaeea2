"""The review database: SQLite under DATASET_PLATFORM_HOME by default, Postgres when POSTGRES_URL is set.

Every path into the database goes through ``check_connection`` first (SELECT 1 with the designed 2/4/8 s
retries, before the schema is created), so an outage reads "review database <masked URL> unreachable ...",
never a driver traceback; ``failures()`` turns that into a Dagster Failure for assets and ops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from dataset_platform.common import db, settings


class ReviewDatabase(dg.ConfigurableResource):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the review database; unset = sqlite file under DATASET_PLATFORM_HOME.",
    )
    retry_delays: list[float] = Field(
        default=[2.0, 4.0, 8.0], description="Seconds to wait before each reconnect while the database is down."
    )

    _engine: sa.Engine | None = PrivateAttr(default=None)
    _schema_ready: bool = PrivateAttr(default=False)

    def _raw_engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = db.make_engine(self.url or settings.default_database_url())
        return self._engine

    def check_connection(self) -> int:
        """SELECT 1 with retries, then (once) the schema; returns the attempts used. Raises DatabaseUnavailable."""
        engine = self._raw_engine()
        attempts = db.check_connection(engine, retry_delays=tuple(self.retry_delays))
        if not self._schema_ready:
            with db.masked_errors(engine):
                db.ensure_schema(engine)
            self._schema_ready = True
        return attempts

    def get_engine(self) -> sa.Engine:
        if not self._schema_ready:
            self.check_connection()
        return self._raw_engine()

    def describe(self) -> str:
        """Masked URL, safe for metadata."""
        return db.safe_url(self.url or settings.default_database_url())

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Inside an asset or op: a database outage or refusal becomes a Failure with the masked message.

        No Dagster retry: the connection retries already ran, and a refusal cannot succeed on retry.
        """
        try:
            with db.masked_errors(self._raw_engine()):
                yield
        except db.DatabaseUnavailable as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
