"""Evaluators of DESIGN.md against hand-computed cases; pure functions, no Dagster, no services."""

from __future__ import annotations

import copy

import pytest

from dataset_platform.experiments import evaluators as ev
from dataset_platform.forms.schema import FormExtraction


def _expected() -> dict:
    return {
        "form_info": {
            "form_type": "ส.ส. 5/18",
            "province": "เชียงใหม่",
            "district": "เมืองเชียงใหม่",
            "sub_district": "ศรีภูมิ",
            "constituency_number": 1,
            "polling_station_number": 12,
            "election_date": "2023-05-14",
        },
        "voter_statistics": {"eligible_voters": 800, "voters_present": 600},
        "ballot_statistics": {
            "ballots_allocated": 820,
            "ballots_used": 600,
            "good_ballots": 580,
            "bad_ballots": 12,
            "no_vote_ballots": 8,
            "ballots_remaining": 220,
        },
        "vote_results": [
            {
                "candidate_number": 1,
                "candidate_name": "นายสมชาย ใจดี",
                "party_name": "พรรคก",
                "vote_count": 369,
                "vote_count_text": "สามร้อยหกสิบเก้า",
            },
            {
                "candidate_number": 2,
                "candidate_name": "นางสาวสมหญิง รักไทย",
                "party_name": "พรรคข",
                "vote_count": 211,
                "vote_count_text": "สองร้อยสิบเอ็ด",
            },
        ],
    }


def _score(pred, exp=None):
    return ev.evaluate_record({}, pred, exp if exp is not None else _expected())


def test_identical_extraction_scores_perfectly_and_is_consistent():
    scores = _score(_expected())
    assert scores == {
        "field_accuracy": 1.0,
        "ballot_accuracy": 1.0,
        "vote_accuracy": 1.0,
        "exact_match": True,
        "consistency": 1.0,
    }


def test_failed_record_scores_zero_everywhere():
    assert _score(None) == {
        "field_accuracy": 0.0,
        "ballot_accuracy": 0.0,
        "vote_accuracy": 0.0,
        "exact_match": False,
        "consistency": 0.0,
    }
    envelope = {"extraction": None, "error": "HTTP 500", "input_tokens": 0, "latency_s": 1.0}
    assert _score(envelope)["field_accuracy"] == 0.0
    assert _score(envelope)["exact_match"] is False


def test_thai_digits_whitespace_and_nfc_variants_are_equal():
    pred = _expected()
    pred["form_info"]["province"] = "  เชียง\u00a0 ใหม่ ".replace("\u00a0 ", "")  # leading/trailing spaces
    pred["form_info"]["district"] = "เมือง   เชียงใหม่".replace("   ", "")  # same text
    pred["form_info"]["form_type"] = "ส.ส.  ๕/๑๘"  # Thai digits + doubled space
    pred["form_info"]["polling_station_number"] = "๑๒"  # Thai-digit string for an integer field
    pred["ballot_statistics"]["ballots_allocated"] = "820"
    pred["vote_results"][0]["vote_count_text"] = "สามร้อยหกสิบเก\u0e49\u0e32"  # already NFC: unchanged
    pred["vote_results"][1]["vote_count_text"] = " สองร\u0e49อยสิบเอ\u0e47ด\n"
    pred["vote_results"][1]["candidate_number"] = "๒"
    pred["vote_results"][0]["candidate_name"] = "นายสมชาย\t ใจดี"
    assert _score(pred)["field_accuracy"] == 1.0
    assert _score(pred)["exact_match"] is True


def test_ocr_nikhahit_sara_aa_equals_sara_am():
    exp = _expected()
    exp["form_info"]["sub_district"] = "บ้านน้ำ"
    pred = copy.deepcopy(exp)
    pred["form_info"]["sub_district"] = "บ้านน\u0e49\u0e4d\u0e32"
    assert _score(pred, exp)["field_accuracy"] == 1.0


def test_none_equals_only_none():
    pred = _expected()
    pred["form_info"]["sub_district"] = ""  # empty string is not None
    pred["voter_statistics"]["voters_present"] = None  # None is not 600
    scores = _score(pred)
    # 23 leaves (15 + 4·2), 2 wrong
    assert scores["field_accuracy"] == pytest.approx(21 / 23)
    both_none = _expected()
    both_none["form_info"]["sub_district"] = None
    assert _score(both_none, both_none)["field_accuracy"] == 1.0


def test_ints_compared_as_ints():
    pred = _expected()
    pred["ballot_statistics"]["good_ballots"] = 580.0
    pred["ballot_statistics"]["bad_ballots"] = "1,2"  # not an integer literal: stays a string, wrong
    scores = _score(pred)
    assert scores["ballot_accuracy"] == pytest.approx(5 / 6)
    assert scores["field_accuracy"] == pytest.approx(22 / 23)


def test_missing_candidate_counts_four_wrong():
    pred = _expected()
    pred["vote_results"] = pred["vote_results"][:1]
    scores = _score(pred)
    assert scores["field_accuracy"] == pytest.approx(19 / 23)
    assert scores["vote_accuracy"] == pytest.approx(1 / 2)
    assert scores["exact_match"] is False
    # Σ votes 369 ≠ good 580 → one rule broken
    assert scores["consistency"] == pytest.approx(3 / 4)


def test_extra_phantom_candidate_enlarges_k():
    pred = _expected()
    pred["vote_results"].append(
        {"candidate_number": 3, "candidate_name": "ผี", "party_name": None, "vote_count": 0, "vote_count_text": "ศูนย์"}
    )
    scores = _score(pred)
    # K = {1,2,3}: 15 + 12 = 27 leaves, the 4 of candidate 3 wrong
    assert scores["field_accuracy"] == pytest.approx(23 / 27)
    assert scores["vote_accuracy"] == pytest.approx(2 / 3)


def test_swapped_candidate_numbers_matched_by_number():
    pred = _expected()
    pred["vote_results"][0]["candidate_number"], pred["vote_results"][1]["candidate_number"] = 2, 1
    scores = _score(pred)
    # every candidate leaf now disagrees: 8 wrong of 23; vote counts both wrong
    assert scores["field_accuracy"] == pytest.approx(15 / 23)
    assert scores["vote_accuracy"] == 0.0
    # order alone does not matter
    reordered = _expected()
    reordered["vote_results"].reverse()
    assert _score(reordered)["field_accuracy"] == 1.0


def test_no_candidates_either_side():
    exp = _expected()
    exp["vote_results"] = []
    pred = copy.deepcopy(exp)
    pred["ballot_statistics"]["ballots_remaining"] = 221
    scores = _score(pred, exp)
    assert scores["vote_accuracy"] == 1.0
    assert scores["field_accuracy"] == pytest.approx(14 / 15)
    assert scores["ballot_accuracy"] == pytest.approx(5 / 6)


def test_consistency_uses_output_only_and_none_operands_fail():
    pred = _expected()
    pred["ballot_statistics"]["ballots_remaining"] = None  # balance rule fails
    pred["vote_results"][1]["vote_count_text"] = "สองร้อยสิบสอง"  # 212 ≠ 211
    assert ev.consistency({}, pred, None) == pytest.approx(2 / 4)


def test_pydantic_model_and_envelope_inputs():
    model = FormExtraction.model_validate(_expected())
    assert _score(model)["exact_match"] is True
    assert _score({"extraction": _expected(), "error": None})["field_accuracy"] == 1.0


def test_missing_expected_output_is_an_error():
    with pytest.raises(ValueError, match="no expected output"):
        ev.field_accuracy({}, _expected(), None)


def test_summary_over_mixed_records():
    half = _expected()
    half["vote_results"] = half["vote_results"][:1]  # field 19/23, ballot 1.0
    outputs = [
        {"extraction": _expected(), "input_tokens": 100, "output_tokens": 50, "latency_s": 1.0, "cost_usd": 0.01},
        {"extraction": half, "input_tokens": 200, "output_tokens": 20, "latency_s": 3.0, "cost_usd": 0.02},
        {
            "extraction": None,
            "error": "timeout",
            "input_tokens": 0,
            "output_tokens": 0,
            "latency_s": 5.0,
            "cost_usd": 0.0,
        },
    ]
    expected = [_expected()] * 3
    per_record = [ev.evaluate_record({}, o, e) for o, e in zip(outputs, expected)]
    results = {name: [r[name] for r in per_record] for name in ev.RECORD_EVALUATOR_NAMES}
    summary = ev.summarize([{}] * 3, outputs, expected, results)
    assert summary["overall_accuracy"] == pytest.approx((1 + 19 / 23 + 0) / 3)
    assert summary["success_rate"] == pytest.approx(2 / 3)
    assert summary["avg_ballot_accuracy"] == pytest.approx(2 / 3)
    assert summary["total_tokens"] == 370
    assert summary["estimated_cost_usd"] == pytest.approx(0.03)
    assert summary["latency_p50_s"] == pytest.approx(3.0)
    assert summary["latency_p95_s"] == pytest.approx(4.8)
    assert summary["num_records"] == 3
    assert 0.0 <= summary["overall_accuracy_ci_low"] <= summary["overall_accuracy"]
    assert summary["overall_accuracy"] <= summary["overall_accuracy_ci_high"] <= 1.0
    # results are recomputed identically when ddtrace passes no per-record results
    assert ev.summarize([{}] * 3, outputs, expected, None)["overall_accuracy"] == summary["overall_accuracy"]


def test_summary_errored_evaluations_count_zero():
    assert ev.overall_accuracy([], [{}, {}], [{}, {}], {"field_accuracy": [1.0, None]}) == 0.5


def test_bootstrap_ci_is_reproducible_and_degenerate_cases():
    values = [0.0, 0.5, 1.0, 1.0, 0.25, 0.75]
    assert ev.bootstrap_ci(values) == ev.bootstrap_ci(values)
    low, high = ev.bootstrap_ci(values)
    assert low < sum(values) / len(values) < high
    assert ev.bootstrap_ci([0.8] * 5) == (pytest.approx(0.8), pytest.approx(0.8))
    assert ev.bootstrap_ci([]) == (0.0, 0.0)


def test_summary_without_usage_figures():
    summary = ev.summarize([{}], [_expected()], [_expected()])
    assert summary["total_tokens"] == 0
    assert summary["latency_p50_s"] is None
    assert summary["overall_accuracy"] == 1.0


def test_consistency_of_an_invalid_prediction_is_zero():
    pred = _expected()
    pred["ballot_statistics"]["good_ballots"] = "many"
    assert ev.consistency({}, pred, None) == 0.0
    thai = _expected()
    thai["ballot_statistics"]["good_ballots"] = "๕๘๐"
    assert ev.consistency({}, thai, None) == 1.0
