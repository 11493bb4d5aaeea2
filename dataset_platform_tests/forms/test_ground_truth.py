"""Ground-truth merge (latest complete review wins; needs-review; bad review rows skipped per row) on SQLite and
real PostgreSQL, and versioned files; no model calls."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.forms.consistency import RULES
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
    assert a["metadata"] == {
        "status": "human-reviewed",
        "model": "gemini-2.5-flash",
        "reviewer": "somchai",
        "reviewed_at": "2024-03-02T09:00:00",
        "error": None,
        "uncertain_fields": [],
        "broken_rules": [],
        "skipped_reviews": [],
    }
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
        "human-reviewed": 1,
        "llm-generated": 0,
        "needs-review": 1,
        "unavailable": 2,
    }


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


def _insert_raw(engine, form_set_id, text, when):
    """A review row whose JSON column holds ``text`` as stored (no encoding by SQLAlchemy)."""
    value = "CAST(:j AS JSON)" if engine.dialect.name == "postgresql" else ":j"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO extraction_reviews (form_set_id, corrected_extraction, reviewer, reviewed_at) "
                f"VALUES (:f, {value}, 'r', :t)"
            ),
            {"f": form_set_id, "j": text, "t": when},
        )


def _record(form_set_id, extraction, **extra):
    return {"form_set_id": form_set_id, "model": "offline", "extraction": extraction, "error": None, **extra}


def test_invalid_empty_and_partial_reviews_are_skipped_per_row(db_url, platform_home):
    from dataset_platform.forms.ground_truth import skipped_reviews
    from dataset_platform_tests.forms.helpers import advance_vote_batch

    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    t1, t2 = datetime(2026, 2, 1), datetime(2026, 2, 2)
    if engine.dialect.name == "sqlite":
        _insert_raw(engine, "a", "{not json", t2)  # SQLite stores any text
    else:
        with pytest.raises(sa.exc.DataError):  # PostgreSQL's json type refuses it: the fault cannot occur there
            _insert_raw(engine, "a", "{not json", t2)
        _insert_raw(engine, "a", '"not an object"', t2)
    _insert_review(engine, "b", sample_extraction(bad_ballots=13), "older", t1)
    _insert_review(engine, "b", {}, "empty", t2)
    _insert_review(engine, "c", {"form_info": {"form_type": "ส.ส. 5/18", "province": "ลำพูน"}}, "partial", t2)
    _insert_raw(engine, "d", "[1, 2]", t2)
    _insert_review(engine, "e", advance_vote_batch(), "malee", t2)
    extractions = {k: _record(k, sample_extraction()) for k in "abcde"}

    records = {r["id"]: r for r in build_records([], extractions, latest_reviews(engine))}

    skipped = {s["form_set_id"]: s for s in skipped_reviews(records.values())}
    assert set(skipped) == {"a", "b", "c", "d"}
    a_reason = "is not valid JSON" if engine.dialect.name == "sqlite" else "is a JSON str, not an extraction object"
    assert skipped["a"]["reason"].startswith("review ") and "of form set a " in skipped["a"]["reason"]
    assert a_reason in skipped["a"]["reason"]
    assert "of form set b is empty" in skipped["b"]["reason"]
    assert "of form set c is incomplete: form_info.district required on a ส.ส. 5/18 form" in skipped["c"]["reason"]
    assert "(+" in skipped["c"]["reason"]  # the rest of the missing fields are counted, not listed
    assert "is a JSON list" in skipped["d"]["reason"]
    # the rest still come out: the model's clean extraction, or the next older complete review
    assert [records[k]["metadata"]["status"] for k in "acd"] == ["llm-generated"] * 3
    assert records["c"]["metadata"]["error"] == skipped["c"]["reason"]
    b = records["b"]
    assert b["metadata"]["status"] == "human-reviewed" and b["metadata"]["reviewer"] == "older"
    assert b["expected_output"]["ballot_statistics"]["bad_ballots"] == 13 and b["metadata"]["error"] is None
    assert records["e"]["metadata"]["status"] == "human-reviewed"
    assert records["e"]["expected_output"]["form_info"]["form_type"] == "ส.ส. 5/16"


def test_needs_review_unless_clean(platform_home):
    from dataset_platform_tests.forms.helpers import advance_vote_batch

    extractions = {
        "clean": _record("clean", sample_extraction()),
        "batch": _record("batch", advance_vote_batch("ส.ส. ๕/๑๗")),  # no allocation rule on a batch
        "uncertain": _record("uncertain", sample_extraction(), uncertain_fields=["vote_results[2].vote_count"]),
        "broken": _record("broken", sample_extraction(good_ballots=381)),
        "malformed": _record("malformed", {"vote_results": "x"}),
    }
    records = {r["id"]: r for r in build_records([], extractions, {})}
    status = {k: r["metadata"]["status"] for k, r in records.items()}
    assert status == {
        "clean": "llm-generated",
        "batch": "llm-generated",
        "uncertain": "needs-review",
        "broken": "needs-review",
        "malformed": "needs-review",
    }
    assert records["uncertain"]["metadata"]["uncertain_fields"] == ["vote_results[2].vote_count"]
    assert records["broken"]["metadata"]["broken_rules"] == ["ballot_sum", "vote_sum"]
    assert records["malformed"]["metadata"]["broken_rules"] == list(RULES)
    assert status_counts(records.values())["needs-review"] == 3


def test_pdf_form_set_input_lists_the_file_once_and_counts_its_pages(platform_home):
    from dataset_platform_tests.forms.test_pages import write_pdf

    pdf = write_pdf(platform_home / "forms" / "p" / "scan.pdf", [(255, 255, 255)] * 3)
    [record] = build_records(["p"], {}, {}, platform_home / "forms")
    assert record["input"] == {"form_set_name": "p", "image_paths": [str(pdf)], "num_pages": 3}
