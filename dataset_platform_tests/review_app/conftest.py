"""Fixture data for the review app: small form sets with page images, model extractions and complaints."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from dataset_platform.common import db


@pytest.fixture(autouse=True)
def _restore_main_module():
    """AppTest runs the app as ``__main__`` and leaves it there; a process pool spawned later in this test
    process (the OCR workers) would then re-run the Streamlit app in every worker."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


GOOD = {
    "form_info": {
        "form_type": "ส.ส. 5/18",
        "province": "เชียงใหม่",
        "district": "สันทราย",
        "sub_district": "หนองหาร",
        "constituency_number": 3,
        "polling_station_number": 12,
        "election_date": "2023-05-14",
    },
    "voter_statistics": {"eligible_voters": 600, "voters_present": 420},
    "ballot_statistics": {
        "ballots_allocated": 610,
        "ballots_used": 420,
        "good_ballots": 400,
        "bad_ballots": 12,
        "no_vote_ballots": 8,
        "ballots_remaining": 190,
    },
    "vote_results": [
        {
            "candidate_number": 1,
            "candidate_name": "นายสมชาย ใจดี",
            "party_name": "ก้าวไกล",
            "vote_count": 211,
            "vote_count_text": "สองร้อยสิบเอ็ด",
        },
        {
            "candidate_number": 2,
            "candidate_name": "นางมาลี ศรีสุข",
            "party_name": "เพื่อไทย",
            "vote_count": 189,
            "vote_count_text": "หนึ่งร้อยแปดสิบเก้า",
        },
    ],
}


def inconsistent() -> dict:
    bad = json.loads(json.dumps(GOOD))
    bad["form_info"]["district"] = "บางรัก"
    bad["vote_results"][0]["vote_count"] = 210  # breaks vote_sum and words_match_digits
    return bad


def write_page(path: Path, text: str) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 560), "white")
    ImageDraw.Draw(img).text((20, 20), text, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def write_form_set(
    home: Path, form_set_id: str, extraction: dict | None, error: str | None = None, pages: int = 2
) -> None:
    for n in range(1, pages + 1):
        write_page(home / "forms" / form_set_id / f"page_{n:02d}.png", f"{form_set_id} page {n}")
    write_extraction(home, form_set_id, extraction, error)


def write_extraction(home: Path, form_set_id: str, extraction: dict | None, error: str | None = None) -> None:
    """The Tesseract extraction record the forms runner writes for a form set (no tokens, no cost)."""
    record = {
        "form_set_id": form_set_id,
        "model": "tesseract",
        "config_name": "tesseract",
        "prompt_version": "v1",
        "extraction": extraction,
        "error": error,
        "input_tokens": 0,
        "output_tokens": 0,
        "latency_s": 0.1,
        "cost_usd": 0.0,
        "cache_hit": False,
    }
    (home / "extractions").mkdir(parents=True, exist_ok=True)
    (home / "extractions" / f"{form_set_id}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def form_sets(platform_home) -> list[str]:
    """Three form sets: a good extraction, an inconsistent one and a failed one."""
    write_form_set(platform_home, "cnx-d03-s012", GOOD)
    write_form_set(platform_home, "bkk-d01-s001", inconsistent())
    write_form_set(platform_home, "kkc-d02-s007", None, error="ResourceExhausted: quota")
    return ["bkk-d01-s001", "kkc-d02-s007", "cnx-d03-s012"]  # queue order: needs review, failed, unreviewed


COMPLAINTS = [
    {
        "id": 1,
        "message": "ไฟถนนดับมาสามวัน **ด่วน** <script>alert(1)</script>",
        "department": "Infrastructure, Utilities & Natural Resources",
        "urgency": "URGENT",
    },
    {"id": 2, "message": "โรงเรียนไม่มีครู", "department": "Security & Law Enforcement", "urgency": "NORMAL"},
    {"id": 3, "message": "มีการลักขโมยในซอย", "department": None, "urgency": "HIGHLY URGENT"},
]


@pytest.fixture
def seeded_engine(db_url) -> sa.Engine:
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(db.complaints), [{**c, "created_at": dt.datetime(2026, 1, c["id"])} for c in COMPLAINTS])
    return engine
