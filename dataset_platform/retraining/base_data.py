"""A base training dataset mixed into a pull (``source`` = ``base``): what keeps a retrained model from
forgetting the classes the review queue rarely shows.

Two kinds, both turned into pull rows (complaint_id, text, label name): a published dataset version (local
hub or Hugging Face Hub; all its splits, the label ids mapped back to names) or a table of the review
database with columns ``complaint_id``, ``text`` (or ``message``) and ``label`` (or the label's own name).
Gold complaints and complaints pulled in this run are removed by ``pull`` like any other row.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from dataset_platform.common.labels import LABELS, label_names

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")


def parse_reference(reference: str) -> tuple[str, str | None]:
    """``"user/repo@v20260301_120000"`` → (repo id, version tag); no tag = the latest version."""
    repo, _, tag = reference.partition("@")
    if not re.fullmatch(r"[\w.\-]+/[\w.\-]+", repo):
        raise ValueError(f"base dataset {reference!r}: expected '<owner>/<repo>[@<version tag>]'")
    return repo, tag or None


def from_splits(splits: dict[str, pd.DataFrame], label: str, max_records: int | None = None) -> pa.Table:
    """Rows of a published version's splits (label ids follow the mapping order) as pull rows."""
    names = label_names(label)
    frame = pd.concat([df for _, df in sorted(splits.items())], ignore_index=True).sort_values("complaint_id")
    if max_records is not None:
        frame = frame.head(max_records)
    labels = [names[int(i)] if 0 <= int(i) < len(names) else None for i in frame["label"]]
    return pa.table(
        {
            "complaint_id": pa.array(frame["complaint_id"].to_numpy(), pa.int64()),
            "text": pa.array(frame["grievance"].astype(str).tolist(), pa.large_string()),
            "label": pa.array(labels, pa.large_string()),
        }
    )


def from_table(engine: sa.Engine, table: str, label: str, max_records: int | None = None) -> pa.Table:
    """Rows of a base table in the review database (reflected; the name must be a plain identifier)."""
    if not _IDENTIFIER.match(table) or label not in LABELS:
        raise ValueError(f"base table {table!r}: expected a table name such as 'base_training'")
    schema, _, name = table.rpartition(".")
    reflected = sa.Table(name, sa.MetaData(), autoload_with=engine, schema=schema or None)
    columns = reflected.c
    text = columns.get("text", columns.get("message"))
    label_column = columns.get("label", columns.get(label))
    if "complaint_id" not in columns or text is None or label_column is None:
        raise ValueError(f"base table {table!r} needs complaint_id, text (or message) and label (or {label}) columns")
    query = sa.select(columns.complaint_id, text, label_column).where(label_column.is_not(None))
    query = query.order_by(columns.complaint_id).limit(max_records)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pa.table(
        {
            "complaint_id": pa.array([int(r[0]) for r in rows], pa.int64()),
            "text": pa.array([r[1] for r in rows], pa.large_string()),
            "label": pa.array([str(r[2]) for r in rows], pa.large_string()),
        }
    )
