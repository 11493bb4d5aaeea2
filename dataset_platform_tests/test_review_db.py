"""Review database schema and connection checks on SQLite and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dataset_platform.common import db


def test_schema_round_trip(db_url):
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    db.ensure_schema(engine)  # idempotent
    now = dt.datetime(2026, 1, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(sa.insert(db.complaints), [{"id": 1, "message": "น้ำไม่ไหล", "department": None}])
        conn.execute(sa.insert(db.misclassified_complaints), [{"complaint_id": None, "reviewed": True}])
        conn.execute(
            sa.insert(db.extraction_reviews),
            [{"form_set_id": "a", "corrected_extraction": {"x": [1, "๑"]}, "reviewed_at": now}] * 2,
        )
    with engine.connect() as conn:
        reviews = conn.execute(sa.select(db.extraction_reviews).order_by(db.extraction_reviews.c.id)).all()
        assert [r.id for r in reviews] == [1, 2]  # ids are generated on both backends
        assert reviews[0].corrected_extraction == {"x": [1, "๑"]}
        assert conn.execute(sa.select(db.misclassified_complaints.c.reviewed)).scalar_one() is True


def test_check_connection_retries_with_backoff_then_fails_without_password():
    engine = db.make_engine("postgresql://user:s3cret@127.0.0.1:1/none")
    slept = []
    with pytest.raises(db.DatabaseUnavailable) as err:
        db.check_connection(engine, sleep=slept.append)
    assert slept == [2.0, 4.0, 8.0]
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


def test_check_connection_first_try(db_url):
    assert db.check_connection(db.make_engine(db_url), sleep=lambda s: pytest.fail("no retry expected")) == 1


def test_ensure_schema_adds_missing_indexes_to_existing_tables(db_url):
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_complaints_department_predicted"))
    db.ensure_schema(engine)
    assert "ix_complaints_department_predicted" in {ix["name"] for ix in sa.inspect(engine).get_indexes("complaints")}


def test_ensure_schema_adds_new_nullable_columns_to_an_existing_table_in_place():
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE complaints(id INTEGER PRIMARY KEY, message TEXT NOT NULL)"))
        conn.execute(
            sa.text(
                "CREATE TABLE misclassified_complaints(id INTEGER PRIMARY KEY, complaint_id BIGINT, "
                "reviewed BOOLEAN NOT NULL DEFAULT 0, reviewed_at TIMESTAMP)"
            )
        )
        conn.execute(sa.text("INSERT INTO misclassified_complaints(id, complaint_id, reviewed) VALUES (1, 1, 1)"))
    db.ensure_schema(engine)
    db.ensure_schema(engine)  # idempotent
    columns = {c["name"] for c in sa.inspect(engine).get_columns("misclassified_complaints")}
    assert "reviewer" in columns
    assert "gold_labels" in sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, reviewer FROM misclassified_complaints")).all() == [(1, None)]
