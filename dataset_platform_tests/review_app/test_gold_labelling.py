"""The grievance page serves the ranked queue and, every GOLD_EVERY-th complaint, a random one labelled blind
into gold_labels (Streamlit AppTest, SQLite and a real PostgreSQL server)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

import dataset_platform.review_app as review_app
from dataset_platform.common import db
from dataset_platform.retraining import review_queue
from dataset_platform.review_app import store
from dataset_platform_tests.review_app.conftest import COMPLAINTS
from dataset_platform_tests.review_app.test_app import open_app

APP = Path(review_app.__file__).parent / "app.py"


@pytest.fixture
def engine(db_url, seeded_engine, monkeypatch):
    monkeypatch.setenv("POSTGRES_URL", db_url)
    return seeded_engine


def grievances(email: str = "boss@example.org") -> AppTest:
    """The grievance page for a signed-in user (boss@ is an admin, *@example.org reviewers: test_app.SECRETS)."""
    at = open_app(user={"is_logged_in": True, "sub": f"sub-{email}", "email": email, "email_verified": True})
    at.switch_page("views/grievances.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_ids(at: AppTest) -> list[int]:
    return [c["id"] for c in COMPLAINTS if any(c["message"][:8] in h.value for h in at.get("html"))]


def gold_rows(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(db.gold_labels).order_by(db.gold_labels.c.complaint_id)).all()


def write_ranking(order: list[int]) -> None:
    review_queue.queue_dir().mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"complaint_id": order, "p_wrong": [0.9 - 0.1 * i for i in range(len(order))]}).to_parquet(
        review_queue.ranking_file()
    )


def test_gold_item_hides_the_prediction_and_saves_a_blind_label(engine, monkeypatch):
    monkeypatch.setattr(review_queue, "GOLD_EVERY", 1)  # every complaint served is a gold draw
    at = grievances()
    [cid] = shown_ids(at)
    complaint = next(c for c in COMPLAINTS if c["id"] == cid)
    texts = [c.value for c in at.caption] + [m.value for m in at.markdown]
    assert any("random sample for the gold set" in t for t in texts)
    assert not any("Model predicted" in t for t in texts)
    department, urgency = at.selectbox(key=f"gold{cid}.department"), at.selectbox(key=f"gold{cid}.urgency")
    assert department.value is None and urgency.value is None  # nothing pre-filled from the prediction
    assert all(complaint["department"] not in (s.help or "") for s in at.selectbox if complaint["department"])
    at.button(key="save_gold").click().run()
    assert any("choose a department" in e.value for e in at.error) and gold_rows(engine) == []
    at.selectbox(key=f"gold{cid}.department").set_value("Security & Law Enforcement")
    at.selectbox(key=f"gold{cid}.urgency").set_value("URGENT")
    at.button(key="save_gold").click().run()
    assert any("gold label saved" in s.value for s in at.success), ([e.value for e in at.error], shown_ids(at))
    [row] = gold_rows(engine)
    saved = (row.complaint_id, row.department, row.urgency, row.reviewer)
    assert saved == (cid, "Security & Law Enforcement", "URGENT", "boss@example.org")
    assert shown_ids(at) and shown_ids(at) != [cid]  # the next draw is another complaint
    with pytest.raises(store.ReviewValidationError, match="already in the gold set"):
        store.save_gold_label(engine, cid, "Security & Law Enforcement", "URGENT", "Other")


def test_ranked_queue_then_a_gold_draw(engine, monkeypatch):
    monkeypatch.setattr(review_queue, "GOLD_EVERY", 2)
    write_ranking([3, 1, 2])
    at = grievances()
    assert shown_ids(at) == [3]  # the most likely error first, not the oldest complaint
    assert any("Model predicted" in c.value for c in at.caption)
    at.selectbox(key="g3.department").set_value("Security & Law Enforcement")
    at.button(key="save_grievance").click().run()
    assert any("corrected to Security" in s.value for s in at.success)
    [gold_id] = shown_ids(at)  # second item: a gold draw (any complaint, reviewed or not)
    assert at.selectbox(key=f"gold{gold_id}.department").value is None
    at.button(key="skip_gold").click().run()
    # Back to the ranking: 3 is reviewed, 1 is next, unless the random draw was 1 and it was just skipped.
    assert shown_ids(at) == [1 if gold_id != 1 else 2]


def test_gold_draws_are_for_admins_only(engine, monkeypatch):
    monkeypatch.setattr(review_queue, "GOLD_EVERY", 1)
    at = grievances("nok@example.org")  # a reviewer: served the review queue, never a gold draw
    assert not any("random sample for the gold set" in c.value for c in at.caption)
    assert any("Model predicted" in c.value for c in at.caption)
