"""The review database: SQLite under DATASET_PLATFORM_HOME by default, Postgres when POSTGRES_URL is set."""

from __future__ import annotations

from typing import Optional

import dagster as dg
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from dataset_platform.common import db, settings


class ReviewDatabase(dg.ConfigurableResource):
    url: Optional[str] = Field(
        default=None,
        description="SQLAlchemy URL of the review database; unset = sqlite file under DATASET_PLATFORM_HOME.",
    )

    _engine: Optional[sa.Engine] = PrivateAttr(default=None)

    def get_engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = db.make_engine(self.url or settings.default_database_url())
            db.ensure_schema(self._engine)
        return self._engine

    def check_connection(self) -> int:
        return db.check_connection(self.get_engine())

    def describe(self) -> str:
        """Masked URL, safe for metadata."""
        return db.safe_url(self.url or settings.default_database_url())
