"""Form queue ordering, filters, status strip and export data, from files and the review DB (SQLite and Postgres)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from dataset_platform.review_app import form_queue, status, store
from dataset_platform_tests.review_app.conftest import GOOD, write_form_set


def test_queue_order_needs_review_then_failed_then_unreviewed_then_reviewed(platform_home, form_sets):
    items = form_queue.build_queue({})
    assert [(i.form_set_id, i.status) for i in items] == [
        ("bkk-d01-s001", "inconsistent"),
        ("kkc-d02-s007", "failed"),
        ("cnx-d03-s012", "unreviewed"),
    ]
    assert items[1].error == "ResourceExhausted: quota"
    assert items[0].broken_rules == ("vote_sum", "words_match_digits") and items[0].consistency == 0.5
    assert items[0].rules_ok == "2/4"
    assert items[2].num_pages == 2 and items[2].district == "สันทราย"


def test_reviewed_goes_last_and_filters(seeded_engine, form_sets):
    store.save_extraction_review(seeded_engine, "kkc-d02-s007", GOOD, "Somchai")
    items = form_queue.build_queue(store.latest_reviews(seeded_engine))
    assert [i.status for i in items] == ["inconsistent", "unreviewed", "reviewed"]  # kkc reviewed: goes last
    assert items[-1].form_set_id == "kkc-d02-s007" and items[-1].reviewer == "Somchai"
    assert [i.form_set_id for i in form_queue.filter_queue(items, ["reviewed", "unreviewed"], "สันทราย")] == [
        "cnx-d03-s012",
        "kkc-d02-s007",
    ]
    assert form_queue.districts(items) == ["บางรัก", "สันทราย"]


def test_missing_and_unreadable_extractions_are_failed(platform_home):
    write_form_set(platform_home, "a", GOOD)
    (platform_home / "extractions" / "a.json").write_text("{not json", encoding="utf-8")
    (platform_home / "forms" / "b").mkdir(parents=True)
    (platform_home / "forms" / "b" / "page_01.jpg").write_bytes(b"")
    (platform_home / "forms" / "empty").mkdir()
    items = {i.form_set_id: i for i in form_queue.build_queue({})}
    assert set(items) == {"a", "b"}
    assert items["a"].status == "failed" and items["a"].error.startswith("unreadable extraction file")
    assert items["b"].status == "failed" and items["b"].error == "no model extraction yet"


def test_paths_cannot_escape_the_home(platform_home):
    with pytest.raises(ValueError):
        form_queue.page_images("../../etc")
    with pytest.raises(ValueError):
        form_queue.load_extraction_record("a/b")


def test_status_strip_counts_reviews_since_the_last_rebuilds(seeded_engine, platform_home, form_sets):
    engine = seeded_engine
    empty = status.platform_status(engine)
    assert empty.ground_truth_version is None and empty.form_reviews_pending == 0
    assert empty.published == {"department": None, "urgency": None}
    assert empty.dagster_url == "http://localhost:3000/assets/ground_truth_dataset"

    store.save_extraction_review(engine, "cnx-d03-s012", GOOD, "A", now=dt.datetime(2026, 1, 1, 9))
    store.save_extraction_review(engine, "bkk-d01-s001", GOOD, "A", now=dt.datetime(2026, 1, 1, 11))
    store.save_grievance_review(engine, 1, "Security & Law Enforcement", "URGENT", "A", now=dt.datetime(2026, 1, 1, 11))
    gt = platform_home / "ground_truth"
    gt.mkdir()
    (gt / "v20260101_100000.jsonl").write_text("")
    (gt / "LATEST").write_text("v20260101_100000\n")
    (platform_home / "hub" / "local" / "department-dataset" / "v20260101_120000").mkdir(parents=True)
    (platform_home / "hub" / "local" / "department-dataset" / "v20251231_120000").mkdir(parents=True)
    s = status.platform_status(engine)
    assert s.ground_truth_version == "v20260101_100000"
    assert s.ground_truth_built_at == dt.datetime(2026, 1, 1, 10)
    assert s.form_reviews_pending == 1
    assert s.published == {"department": "v20260101_120000", "urgency": None}
    assert s.grievance_reviews_pending == {"department": 0, "urgency": 1}


def test_exports(seeded_engine, platform_home, form_sets):
    assert status.latest_datadog_export() is None
    (platform_home / "exports").mkdir()
    (platform_home / "exports" / "dd.json").write_text("{}")
    assert status.latest_datadog_export().name == "dd.json"

    reviewed = copy.deepcopy(GOOD)
    reviewed["form_info"]["district"] = "แม่แตง"
    store.save_extraction_review(seeded_engine, "bkk-d01-s001", reviewed, "Somchai")
    records = {r["id"]: r for r in status.live_ground_truth(seeded_engine)}
    assert {k: r["metadata"]["status"] for k, r in records.items()} == {
        "bkk-d01-s001": "human-reviewed",
        "cnx-d03-s012": "llm-generated",
        "kkc-d02-s007": "unavailable",
    }
    assert records["bkk-d01-s001"]["expected_output"]["form_info"]["district"] == "แม่แตง"
    assert records["kkc-d02-s007"]["metadata"]["error"] == "ResourceExhausted: quota"
    assert records["cnx-d03-s012"]["input"]["num_pages"] == 2
    name, data, _ = status.ground_truth_download(seeded_engine)
    assert name.endswith(".jsonl")
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert len(lines) == 3


def test_pages_are_listed_in_the_order_the_model_reads_them(platform_home):
    from dataset_platform.forms.pages import readable_pages
    from dataset_platform_tests.forms.test_pages import write_pdf
    from dataset_platform_tests.review_app.conftest import write_page

    folder = platform_home / "forms" / "a"
    for n in (10, 2, 1):
        write_page(folder / f"page_{n}.png", f"page {n}")
    write_page(folder / ".page_0.png", "hidden")
    assert [p.name for p in form_queue.page_images("a")] == ["page_1.png", "page_2.png", "page_10.png"]
    assert [p.name for p in form_queue.page_images("a")] == [p.name for p in readable_pages(folder)]
    write_pdf(platform_home / "forms" / "pdf" / "scan.pdf", [(255, 255, 255)] * 2)
    assert [p.name for p in form_queue.page_images("pdf")] == ["scan.pdf#1", "scan.pdf#2"]
    items = {i.form_set_id: i for i in form_queue.build_queue({})}
    assert items["a"].num_pages == 3 and items["pdf"].num_pages == 2


def test_uncertain_extractions_come_first_with_their_fields(platform_home, form_sets):
    write_form_set(platform_home, "zzz-uncertain", GOOD)
    path = platform_home / "extractions" / "zzz-uncertain.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["uncertain_fields"] = ["ballot_statistics.good_ballots", "vote_results[1].vote_count"]
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    items = form_queue.build_queue({})
    assert [i.status for i in items][:2] == ["uncertain", "inconsistent"]
    assert items[0].form_set_id == "zzz-uncertain"
    assert items[0].uncertain_fields == ("ballot_statistics.good_ballots", "vote_results[1].vote_count")


def test_advance_vote_batch_scores_over_the_rules_that_apply(platform_home):
    batch = copy.deepcopy(GOOD)
    batch["form_info"].update(
        form_type="ส.ส. ๕/๑๗", district=None, sub_district=None, polling_station_number=None, election_date=None
    )
    batch["voter_statistics"] = {"eligible_voters": None, "voters_present": None}
    batch["ballot_statistics"].update(ballots_allocated=None, ballots_remaining=None)
    write_form_set(platform_home, "batch", batch)
    [item] = form_queue.build_queue({})
    assert item.status == "unreviewed" and item.broken_rules == () and item.rules_ok == "3/3"
