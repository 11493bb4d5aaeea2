"""Shared builders for the forms tests: tiny page images and a consistent sample extraction."""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from dataset_platform.forms.gemini import GeminiOptions
from dataset_platform.forms.model_api import RetryPolicy
from dataset_platform.forms.openai_compat import OpenAIOptions

SAMPLE_EXTRACTION: dict[str, Any] = {
    "form_info": {
        "form_type": "ส.ส. 5/18",
        "province": "เชียงใหม่",
        "district": "เมืองเชียงใหม่",
        "sub_district": "ศรีภูมิ",
        "constituency_number": 1,
        "polling_station_number": 7,
        "election_date": "2023-05-14",
    },
    "voter_statistics": {"eligible_voters": 620, "voters_present": 400},
    "ballot_statistics": {
        "ballots_allocated": 500,
        "ballots_used": 400,
        "good_ballots": 380,
        "bad_ballots": 12,
        "no_vote_ballots": 8,
        "ballots_remaining": 100,
    },
    "vote_results": [
        {
            "candidate_number": 1,
            "candidate_name": "สมชาย ใจดี",
            "party_name": "พรรคหนึ่ง",
            "vote_count": 200,
            "vote_count_text": "สองร้อย",
        },
        {
            "candidate_number": 2,
            "candidate_name": "สมหญิง รักไทย",
            "party_name": "พรรคสอง",
            "vote_count": 150,
            "vote_count_text": "หนึ่งร้อยห้าสิบ",
        },
        {
            "candidate_number": 3,
            "candidate_name": "ประยูร มั่นคง",
            "party_name": "พรรคสาม",
            "vote_count": 30,
            "vote_count_text": "สามสิบ",
        },
    ],
}


def sample_extraction(**ballot_overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE_EXTRACTION)
    data["ballot_statistics"].update(ballot_overrides)
    return data


def make_form_set(root: Path, form_set_id: str, pages: int = 2, seed: int = 0) -> Path:
    """A folder of ``pages`` small PNGs whose bytes differ per (form set, page, seed)."""
    import hashlib

    from PIL import Image

    folder = Path(root) / form_set_id
    folder.mkdir(parents=True, exist_ok=True)
    for page in range(1, pages + 1):
        digest = hashlib.sha256(f"{form_set_id}/{page}/{seed}".encode()).digest()
        image = Image.new("RGB", (24, 32), (255, 255, 255))
        image.putdata([tuple(digest[(i * 3 + k) % 32] for k in range(3)) for i in range(24 * 32)])
        image.save(folder / f"page_{page:02d}.png")
    return folder


_RETRY_FIELDS = {f.name for f in fields(RetryPolicy)}
# Retries in milliseconds, so retry tests run fast; timeouts long enough for a loaded 2-core machine.
TEST_RETRY = RetryPolicy(attempts=3, initial_delay_s=0.01, max_delay_s=0.05, timeout_s=5.0)


def _split(overrides: dict[str, Any]) -> tuple[RetryPolicy, dict[str, Any]]:
    """``timeout_s=0.3, attempts=2, api_key=...`` → (the test RetryPolicy with those changes, the other fields)."""
    retry = {k: v for k, v in overrides.items() if k in _RETRY_FIELDS}
    return replace(TEST_RETRY, **retry), {k: v for k, v in overrides.items() if k not in _RETRY_FIELDS}


def options_for(server: Any, **overrides: Any) -> GeminiOptions:
    retry, rest = _split(overrides)
    return GeminiOptions(**{"api_key": "test-key", "base_url": server.url, "retry": retry, **rest})


def openai_options_for(server: Any, **overrides: Any) -> OpenAIOptions:
    retry, rest = _split(overrides)
    return OpenAIOptions(**{"api_key": OPENAI_TEST_KEY, "base_url": server.base_url, "retry": retry, **rest})


OPENAI_TEST_KEY = "sk-test-secret-4f1c"


def advance_vote_batch(form_type: str = "ส.ส. 5/16") -> dict[str, Any]:
    """A complete 5/16 or 5/17 batch: province, constituency and the four batch counts; one "-" row."""
    return {
        "form_info": {
            "form_type": form_type,
            "province": "ลำพูน",
            "district": None,
            "sub_district": None,
            "constituency_number": 2,
            "polling_station_number": None,
            "election_date": None,
        },
        "voter_statistics": {"eligible_voters": None, "voters_present": None},
        "ballot_statistics": {
            "ballots_allocated": None,
            "ballots_used": 120,
            "good_ballots": 110,
            "bad_ballots": 6,
            "no_vote_ballots": 4,
            "ballots_remaining": None,
        },
        "vote_results": [
            {
                "candidate_number": 1,
                "candidate_name": "นายหนึ่ง ใจดี",
                "party_name": "พรรคหนึ่ง",
                "vote_count": 60,
                "vote_count_text": "หกสิบ",
            },
            {
                "candidate_number": 2,
                "candidate_name": "นางสอง รักดี",
                "party_name": "พรรคสอง",
                "vote_count": 50,
                "vote_count_text": "ห้าสิบ",
            },
            {
                "candidate_number": 3,
                "candidate_name": "นายสาม มาดี",
                "party_name": "พรรคสาม",
                "vote_count": 0,
                "vote_count_text": None,
            },
        ],
    }


def party_list(base: dict[str, Any], form_type: str) -> dict[str, Any]:
    """The party-list (บช) form of the same unit: rows keyed by list number, no candidate names."""
    data = copy.deepcopy(base)
    data["form_info"]["form_type"] = form_type
    for row in data["vote_results"]:
        row["candidate_name"] = None
    return data


def every_form_kind() -> dict[str, dict[str, Any]]:
    """One complete, consistent extraction per form kind (form_type in Arabic or Thai digits)."""
    return {
        "ส.ส. 5/18": sample_extraction(),
        "ส.ส. 5/16": advance_vote_batch("ส.ส. 5/16"),
        "ส.ส. ๕/๑๗": advance_vote_batch("ส.ส. ๕/๑๗"),
        "ส.ส. 5/18 (บช)": party_list(sample_extraction(), "ส.ส. 5/18 (บช)"),
        "ส.ส. 5/16 (บช)": party_list(advance_vote_batch(), "ส.ส. 5/16 (บช)"),
        "ส.ส. 5/17 (บช)": party_list(advance_vote_batch(), "ส.ส. 5/17 (บช)"),
    }
