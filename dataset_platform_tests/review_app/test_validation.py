"""Reviewer input validation and normalisation (pure functions); no database, no Streamlit."""

from __future__ import annotations

import copy

import pytest

from dataset_platform.review_app.validation import (
    MAX_TEXT_CHARS,
    ReviewValidationError,
    normalise_extraction,
    parse_count,
    parse_date,
    validate_extraction,
)
from dataset_platform_tests.review_app.conftest import GOOD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("211", 211),
        ("๒๑๑", 211),
        ("1,234", 1234),
        ("๑,๒๓๔", 1234),
        (" 42 ", 42),
        ("", None),
        (None, None),
        (7, 7),
        (7.0, 7),
    ],
)
def test_parse_count_accepts_thai_and_grouped_digits(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "negative"),
        ("-๕", "negative"),
        (-5, "negative"),
        ("abc", "not a number"),
        ("12a", "not a number"),
        ("1,23", "not a number"),
        ("3.5", "not a number"),
        (3.5, "whole number"),
        (True, "whole number"),
        ("99999999999", "too large"),
    ],
)
def test_parse_count_rejects_bad_counts(text, message):
    with pytest.raises(ValueError, match=message):
        parse_count(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-14", "2023-05-14"),
        ("๒๐๒๓-๐๕-๑๔", "2023-05-14"),
        ("14 พฤษภาคม 2566", "2023-05-14"),
        ("๑๔ พฤษภาคม ๒๕๖๖", "2023-05-14"),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2566-05-14", "2023-13-01"])
def test_parse_date_rejects(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_valid_extraction_round_trips_and_thai_digits_are_normalised():
    raw = copy.deepcopy(GOOD)
    raw["ballot_statistics"]["good_ballots"] = "๔๐๐"
    raw["vote_results"][0]["vote_count"] = "๒๑๑"
    raw["vote_results"].append(
        {
            "candidate_number": None,
            "candidate_name": "",
            "party_name": None,
            "vote_count": None,
            "vote_count_text": None,
        }
    )
    model = validate_extraction(raw)
    assert model.model_dump(mode="json") == GOOD


def test_errors_are_per_field_and_bad_fields_become_none():
    raw = copy.deepcopy(GOOD)
    raw["ballot_statistics"]["bad_ballots"] = "-3"
    raw["voter_statistics"]["voters_present"] = "สี่ร้อย"
    raw["form_info"]["province"] = "ก" * (MAX_TEXT_CHARS + 1)
    raw["vote_results"][1]["candidate_number"] = 1
    raw["vote_results"].append({"candidate_name": "ไม่มีหมายเลข"})
    cleaned, errors = normalise_extraction(raw)
    assert errors == {
        "ballot_statistics.bad_ballots": "must not be negative",
        "voter_statistics.voters_present": "not a number: 'สี่ร้อย'",
        "form_info.province": f"too long ({MAX_TEXT_CHARS + 1} characters, max {MAX_TEXT_CHARS})",
        "vote_results[1].candidate_number": "duplicate candidate number 1 (also row 1)",
        "vote_results[2].candidate_number": "required",
    }
    assert cleaned["ballot_statistics"]["bad_ballots"] is None
    assert [c["candidate_number"] for c in cleaned["vote_results"]] == [1]
    with pytest.raises(ReviewValidationError) as err:
        validate_extraction(raw)
    assert set(err.value.errors) == set(errors)


def test_unknown_fields_and_wrong_shapes_are_rejected():
    _, errors = normalise_extraction({"form_info": {"provinec": "x"}, "extra": 1, "vote_results": "1,2"})
    assert errors == {
        "extra": "unknown field",
        "form_info.provinec": "unknown field",
        "vote_results": "must be a list of candidates",
    }


def test_text_is_normalised():
    _, errors = normalise_extraction({"form_info": {"province": "  เชียง\tใหม่\x00 "}})
    assert errors == {"form_info.province": "contains control characters"}
    cleaned, errors = normalise_extraction({"form_info": {"province": "  กรุงเทพ   มหานคร ", "district": "อําเภอ"}})
    assert not errors
    assert cleaned["form_info"]["province"] == "กรุงเทพ มหานคร"
    assert cleaned["form_info"]["district"] == "อำเภอ"  # OCR-style NIKHAHIT + SARA AA fixed
