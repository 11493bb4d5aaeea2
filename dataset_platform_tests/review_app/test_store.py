"""Review-database reads/writes of the review app on SQLite and a real PostgreSQL server; no Streamlit."""

from __future__ import annotations

import copy
import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.review_app import store
from dataset_platform.review_app.validation import ReviewValidationError
from dataset_platform_tests.review_app.conftest import GOOD

T0 = dt.datetime(2026, 1, 1, 12, 0)


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_extraction_reviews_are_append_only_and_latest_wins(seeded_engine):
    engine = seeded_engine
    first = copy.deepcopy(GOOD)
    second = copy.deepcopy(GOOD)
    second["ballot_statistics"]["bad_ballots"] = "๑๒"  # Thai digits, same value
    second["form_info"]["district"] = "เมืองเชียงใหม่"
    a = store.save_extraction_review(engine, "cnx-d03-s012", first, "Somchai", now=T0)
    b = store.save_extraction_review(engine, "cnx-d03-s012", second, "  Malee ", now=T0)  # same clock tick
    history = store.review_history(engine, "cnx-d03-s012")
    assert [r.id for r in history] == [b.id, a.id]
    assert history[0].reviewer == "Malee"
    assert history[0].extraction["ballot_statistics"]["bad_ballots"] == 12
    assert store.latest_reviews(engine)["cnx-d03-s012"].extraction["form_info"]["district"] == "เมืองเชียงใหม่"
    assert store.extraction_reviews_since(engine, None) == 2
    assert store.extraction_reviews_since(engine, T0) == 0
    assert store.extraction_reviews_since(engine, T0 - dt.timedelta(seconds=1)) == 2


def test_concurrent_saves_keep_every_row(seeded_engine, db_url):
    engines = [seeded_engine, store.get_engine(db_url)]
    barrier = threading.Barrier(2)
    errors = []

    def save(i):
        try:
            barrier.wait()
            for n in range(5):
                extraction = copy.deepcopy(GOOD)
                extraction["voter_statistics"]["voters_present"] = 100 * i + n
                store.save_extraction_review(engines[i], "cnx-d03-s012", extraction, f"reviewer-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = store.review_history(seeded_engine, "cnx-d03-s012")
    assert len(history) == 10
    assert sorted(r.extraction["voter_statistics"]["voters_present"] for r in history) == [
        0,
        1,
        2,
        3,
        4,
        100,
        101,
        102,
        103,
        104,
    ]
    assert store.latest_reviews(seeded_engine)["cnx-d03-s012"].id == history[0].id


@pytest.mark.parametrize(
    ("form_set_id", "extraction", "reviewer", "field"),
    [
        ("cnx", {"ballot_statistics": {"good_ballots": "-1"}}, "A", "ballot_statistics.good_ballots"),
        ("cnx", {"ballot_statistics": {"good_ballots": "many"}}, "A", "ballot_statistics.good_ballots"),
        ("cnx", {"form_info": {"province": "x" * 100_000}}, "A", "form_info.province"),
        ("cnx", GOOD, "   ", "reviewer"),
        ("cnx", GOOD, "x" * 101, "reviewer"),
        ("../etc", GOOD, "A", "form_set_id"),
        ("", GOOD, "A", "form_set_id"),
    ],
)
def test_invalid_extraction_review_writes_nothing(seeded_engine, form_set_id, extraction, reviewer, field):
    with pytest.raises(ReviewValidationError) as err:
        store.save_extraction_review(seeded_engine, form_set_id, extraction, reviewer)
    assert field in err.value.errors
    assert _count(seeded_engine, db.extraction_reviews) == 0


def test_grievance_queue_and_reviews(seeded_engine):
    engine = seeded_engine
    assert [c.id for c in store.grievance_queue(engine)] == [1, 2, 3]
    # an unreviewed flag and a NULL complaint_id row must not hide anything from the queue
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.misclassified_complaints),
            [{"complaint_id": 1, "reviewed": False}, {"complaint_id": None, "reviewed": True}],
        )
    assert store.count_grievance_queue(engine) == 3

    confirmed = store.save_grievance_review(
        engine, 1, "Infrastructure, Utilities & Natural Resources", "URGENT", "Nok", now=T0
    )
    assert confirmed.confirmed
    corrected = store.save_grievance_review(
        engine, 2, "Education, Health & Social Welfare", "NORMAL", "Nok", now=T0 + dt.timedelta(minutes=1)
    )
    assert not corrected.confirmed
    assert [c.id for c in store.grievance_queue(engine)] == [3]
    assert [c.id for c in store.grievance_queue(engine, exclude_ids=[3])] == []
    assert store.count_grievance_queue(engine) == 1

    with engine.connect() as conn:
        row = conn.execute(
            sa.select(db.misclassified_complaints).where(db.misclassified_complaints.c.id == corrected.id)
        ).one()
    assert row.model_predicted_department == "Security & Law Enforcement"  # copied from complaints, not from the caller
    assert row.correct_department == "Education, Health & Social Welfare"
    assert row.reviewed is True and row.reviewed_at == T0 + dt.timedelta(minutes=1)
    assert store.grievance_reviews_since(engine, None) == 3
    assert store.grievance_reviews_since(engine, T0) == 1
    assert store.grievance_reviews_since(engine, None, "department") == 2


@pytest.mark.parametrize(
    ("complaint_id", "department", "urgency", "reviewer", "field"),
    [
        (3, "Parks", "URGENT", "Nok", "correct_department"),
        (3, "Security & Law Enforcement", "urgent", "Nok", "correct_urgency"),
        (3, None, "URGENT", "Nok", "correct_department"),
        (3, "Security & Law Enforcement", "URGENT", "", "reviewer"),
        (999, "Security & Law Enforcement", "URGENT", "Nok", "complaint_id"),
        ("3; DROP TABLE complaints", "Security & Law Enforcement", "URGENT", "Nok", "complaint_id"),
        (1, "Security & Law Enforcement", "URGENT", "Nok", "complaint_id"),  # already reviewed
    ],
)
def test_invalid_grievance_review_writes_nothing(seeded_engine, complaint_id, department, urgency, reviewer, field):
    store.save_grievance_review(seeded_engine, 1, "Security & Law Enforcement", "URGENT", "Nok")
    with pytest.raises(ReviewValidationError) as err:
        store.save_grievance_review(seeded_engine, complaint_id, department, urgency, reviewer)
    assert field in err.value.errors
    assert _count(seeded_engine, db.misclassified_complaints) == 1
    assert _count(seeded_engine, db.complaints) == 3


def test_rereview_when_allowed_appends(seeded_engine):
    store.save_grievance_review(seeded_engine, 1, "Security & Law Enforcement", "URGENT", "Nok")
    store.save_grievance_review(seeded_engine, 1, "Security & Law Enforcement", "NORMAL", "Ann", allow_rereview=True)
    assert _count(seeded_engine, db.misclassified_complaints) == 2
