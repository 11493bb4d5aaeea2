"""Ground-truth merge (latest review wins) on SQLite and real PostgreSQL, and versioned files; no model calls."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.forms.ground_truth import (
    build_records,
    latest_reviews,
    load_ground_truth,
    status_counts,
    write_ground_truth,
)
from dataset_platform_tests.forms.helpers import make_form_set, sample_extraction


def _insert_review(engine, form_set_id, extraction, reviewer, when):
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.extraction_reviews).values(
                form_set_id=form_set_id, corrected_extraction=extraction, reviewer=reviewer, reviewed_at=when
            )
        )


def test_latest_review_wins_over_model_output(db_url, platform_home):
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    forms = platform_home / "forms"
    for form_set_id in ("a", "b", "c", "d"):
        make_form_set(forms, form_set_id, pages=3)
    old = sample_extraction(ballots_used=1)
    new = sample_extraction(ballots_used=2)
    _insert_review(engine, "a", new, "somchai", datetime(2024, 3, 2, 9, 0))
    _insert_review(engine, "a", old, "malee", datetime(2024, 3, 1, 9, 0))  # inserted later, reviewed earlier
    _insert_review(engine, "b", {"vote_results": "not a list"}, "bad", datetime(2024, 3, 1))
    model_output = sample_extraction(ballots_used=99)
    extractions = {
        "a": {"form_set_id": "a", "model": "gemini-2.5-flash", "extraction": model_output, "error": None},
        "b": {"form_set_id": "b", "model": "gemini-2.5-flash", "extraction": model_output, "error": None},
        "c": {"form_set_id": "c", "model": "gemini-2.5-flash", "extraction": None, "error": "Gemini API error 500"},
    }

    reviews = latest_reviews(engine)
    records = {r["id"]: r for r in build_records(["a", "b", "c", "d"], extractions, reviews, forms)}

    assert [r.reviewer for r in reviews["a"]] == ["somchai", "malee"]  # newest first
    a = records["a"]
    assert a["expected_output"]["ballot_statistics"]["ballots_used"] == 2
    assert a["metadata"] == {"status": "human-reviewed", "model": "gemini-2.5-flash", "reviewer": "somchai",
                             "reviewed_at": "2024-03-02T09:00:00", "error": None, "uncertain_fields": [],
                             "broken_rules": [], "skipped_reviews": []}  # fmt: skip
    assert a["input"]["form_set_name"] == "a" and a["input"]["num_pages"] == 3
    assert a["input"]["image_paths"] == [str(forms / "a" / f"page_0{i}.png") for i in (1, 2, 3)]
    # an invalid review never replaces the extraction; this one breaks a rule (ballots_used 99), so it needs review
    assert records["b"]["metadata"]["status"] == "needs-review"
    assert records["b"]["metadata"]["broken_rules"] == ["ballot_sum", "ballot_balance"]
    assert "not a valid FormExtraction" in records["b"]["metadata"]["error"]
    assert records["c"]["expected_output"] is None
    assert (
        records["c"]["metadata"]["status"] == "unavailable"
        and records["c"]["metadata"]["error"] == "Gemini API error 500"
    )
    assert records["d"]["metadata"]["error"] == "not extracted yet"
    assert status_counts(records.values()) == {
        "human-reviewed": 1, "llm-generated": 0, "needs-review": 1, "unavailable": 2,
    }  # fmt: skip


def test_versions_are_immutable_and_latest_is_tracked(platform_home):
    first = write_ground_truth([{"id": "a", "expected_output": None, "metadata": {"status": "unavailable"}}])
    second = write_ground_truth([{"id": "b", "expected_output": None, "metadata": {"status": "unavailable"}}])
    assert first != second and first.startswith("v") and len(first) == len("vYYYYMMDD_HHMMSS")
    assert load_ground_truth()[0] == second
    assert [r["id"] for r in load_ground_truth(first)[1]] == ["a"]
    assert (platform_home / "ground_truth" / "LATEST").read_text().strip() == second
    lines = (platform_home / "ground_truth" / f"{second}.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["id"] == "b"


def test_missing_ground_truth_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="materialise ground_truth_dataset"):
        load_ground_truth()
