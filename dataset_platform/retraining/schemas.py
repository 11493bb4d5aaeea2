"""pandera schemas of the retraining data (a pull, a published split) and their check as a Finding."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dataset_platform.retraining.pull import SOURCES
from dataset_platform.retraining.report import MAX_EXAMPLES, Finding, md_cell


def pull_schema():
    """One row per candidate record (pull.py): raw text and string label."""
    import pandera.pandas as pa_

    return pa_.DataFrameSchema(
        {
            "complaint_id": pa_.Column("int64", nullable=False),
            "text": pa_.Column(str, nullable=False),
            "label": pa_.Column(str, nullable=True),
            "source": pa_.Column(str, pa_.Check.isin(list(SOURCES))),
        },
        strict=False,
        name="pull",
    )


def split_schema(label_names: Sequence[str]):
    """A published split: complaint_id int, non-empty grievance, encoded label, source."""
    import pandera.pandas as pa_

    return pa_.DataFrameSchema(
        {
            "complaint_id": pa_.Column("int64", unique=True, nullable=False),
            "grievance": pa_.Column(str, pa_.Check.str_length(min_value=1), nullable=False),
            "label": pa_.Column("int64", pa_.Check.isin(list(range(len(label_names)))), nullable=False),
            "source": pa_.Column(str, pa_.Check.isin(list(SOURCES)), nullable=False),
        },
        strict=True,
        ordered=True,
        name="split",
    )


def schema_finding(df: pd.DataFrame, schema, check: str = "schema") -> Finding:
    import pandera.errors

    try:
        schema.validate(df, lazy=True)
        return Finding(check=check, severity="high", passed=True, detail=f"pandera schema {schema.name!r}")
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        examples = [f"{r.column}: {r.check} ({md_cell(r.failure_case)})" for r in cases.head(MAX_EXAMPLES).itertuples()]
        return Finding(
            check=check,
            severity="high",
            passed=False,
            count=len(cases),
            examples=examples,
            detail=f"pandera schema {schema.name!r}",
            affected_share=min(1.0, len(cases) / max(1, len(df))),
        )
