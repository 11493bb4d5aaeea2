"""Every form kind (5/18, 5/16, 5/17 and the (บช) party-list forms) through the consistency rules, the model-answer
guards, the completeness rule, the reviewer-input validation and the evaluators; pure functions."""

from __future__ import annotations

import copy
import json

import pytest

from dataset_platform.experiments import evaluators as ev
from dataset_platform.forms.consistency import applicable_rules, check_rules, consistency_score
from dataset_platform.forms.schema import FORM_KINDS, FormExtraction, canonical_form_type, kind_problems
from dataset_platform.forms.validation import parse_extraction
from dataset_platform.review_app.validation import ReviewValidationError, validate_extraction
from dataset_platform_tests.forms.helpers import advance_vote_batch, every_form_kind, sample_extraction

KINDS = every_form_kind()


def test_every_kind_is_known():
    assert {canonical_form_type(k) for k in KINDS} == set(FORM_KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_complete_consistent_and_scores_perfectly_against_itself(kind):
    extraction = KINDS[kind]
    assert kind_problems(FormExtraction.model_validate(extraction)) == {}
    assert consistency_score(extraction) == 1.0
    assert ev.evaluate_record({}, extraction, extraction) == {
        "field_accuracy": 1.0,
        "ballot_accuracy": 1.0,
        "vote_accuracy": 1.0,
        "exact_match": True,
        "consistency": 1.0,
    }
    assert validate_extraction(extraction).model_dump(mode="json")["form_info"]["form_type"] == canonical_form_type(
        kind
    )


@pytest.mark.parametrize(
    "form_type", ["ส.ส. 5/16", "ส.ส. ๕/๑๖", "ส.ส. 5/17", "ส.ส. ๕/๑๗", "ส.ส. 5/17 (บช)", "แบบ ส.ส.5/16"]
)
def test_allocation_rule_does_not_apply_to_advance_vote_batches(form_type):
    batch = advance_vote_batch(form_type)
    assert applicable_rules(batch) == ("ballot_sum", "vote_sum", "words_match_digits")
    assert set(check_rules(batch)) == {"ballot_sum", "vote_sum", "words_match_digits"}
    batch["ballot_statistics"]["good_ballots"] = 111  # breaks ballot_sum and vote_sum: 1/3, not 2/4
    assert consistency_score(batch) == pytest.approx(1 / 3)
    assert ev.consistency({}, batch, None) == pytest.approx(1 / 3)


@pytest.mark.parametrize("form_type", ["ส.ส. 5/18", "ส.ส. ๕/๑๘ (บช)", None])
def test_allocation_rule_applies_to_polling_station_forms(form_type):
    form = sample_extraction(ballots_remaining=None)
    form["form_info"]["form_type"] = form_type
    assert check_rules(form)["ballot_balance"] is False and consistency_score(form) == 0.75


def test_a_dash_row_holds_and_other_rows_need_matching_words():
    batch = advance_vote_batch()
    assert check_rules(batch)["words_match_digits"] is True  # row 3: vote_count 0, no words
    batch["vote_results"][2]["vote_count"] = None
    assert check_rules(batch)["words_match_digits"] is False  # a None operand fails its rule


def test_model_answer_dash_reads_as_zero():
    answer = copy.deepcopy(advance_vote_batch())
    answer["ballot_statistics"]["bad_ballots"] = "-"
    answer["vote_results"][2].update(vote_count="-", vote_count_text="(-)")
    answer["ballot_statistics"]["good_ballots"] = "๑๑๐"
    parsed = parse_extraction(json.dumps(answer, ensure_ascii=False))
    assert parsed.ballot_statistics.bad_ballots == 0 and parsed.ballot_statistics.good_ballots == 110
    assert (parsed.vote_results[2].vote_count, parsed.vote_results[2].vote_count_text) == (0, None)


def test_reviewer_dash_and_thai_form_type_are_normalised():
    typed = copy.deepcopy(advance_vote_batch())
    typed["form_info"]["form_type"] = "แบบ ส.ส. ๕/๑๗"
    typed["ballot_statistics"]["no_vote_ballots"] = "๔"
    typed["vote_results"][2].update(vote_count="-", vote_count_text="-")
    clean = validate_extraction(typed)
    assert clean.form_info.form_type == "ส.ส. 5/17" and clean.ballot_statistics.no_vote_ballots == 4
    assert (clean.vote_results[2].vote_count, clean.vote_results[2].vote_count_text) == (0, None)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e["form_info"].update(form_type=None), ("form_info.form_type", "required")),
        (lambda e: e["form_info"].update(form_type="ส.ส. 6/1"), ("form_info.form_type", "not a known form kind")),
        (lambda e: e["form_info"].update(district="เมือง"), ("form_info.district", "not on a ส.ส. 5/16 form")),
        (
            lambda e: e["ballot_statistics"].update(ballots_allocated=130),
            ("ballot_statistics.ballots_allocated", "not on"),
        ),
        (lambda e: e["ballot_statistics"].update(good_ballots=None), ("ballot_statistics.good_ballots", "required")),
        (lambda e: e.update(vote_results=[]), ("vote_results", "at least one candidate row")),
        (lambda e: e["vote_results"][0].update(vote_count=None), ("vote_results[0].vote_count", "required")),
        (lambda e: e["vote_results"][1].update(candidate_name=None), ("vote_results[1].candidate_name", "required")),
    ],
)
def test_incomplete_extractions_are_named_field_by_field(change, problem):
    batch = advance_vote_batch()
    change(batch)
    problems = kind_problems(FormExtraction.model_validate(batch))
    assert problem[0] in problems and problem[1] in problems[problem[0]]
    with pytest.raises(ReviewValidationError) as raised:
        validate_extraction(batch)
    assert problem[0] in raised.value.errors


def test_party_list_rows_have_no_candidate_name_and_polling_station_forms_need_every_field():
    rows = copy.deepcopy(KINDS["ส.ส. 5/18 (บช)"])
    rows["vote_results"][0]["candidate_name"] = "ไม่ควรมี"
    assert "candidate_name" in next(iter(kind_problems(FormExtraction.model_validate(rows))))
    station = sample_extraction()
    station["voter_statistics"]["voters_present"] = None
    assert kind_problems(FormExtraction.model_validate(station)) == {
        "voter_statistics.voters_present": "required on a ส.ส. 5/18 form"
    }
    assert kind_problems(FormExtraction()) == {
        "form_info.form_type": kind_problems(FormExtraction())["form_info.form_type"]
    }


def test_evaluators_on_a_batch_and_a_party_list_form():
    expected = advance_vote_batch("ส.ส. 5/17")
    predicted = copy.deepcopy(expected)
    predicted["form_info"]["form_type"] = "ส.ส. ๕/๑๗"  # Thai digits normalise to the same kind
    predicted["ballot_statistics"]["ballots_allocated"] = 130  # a value this kind does not carry: wrong
    predicted["vote_results"][2]["vote_count"] = "-"  # "-" reads as 0
    scores = ev.evaluate_record({}, predicted, expected)
    assert scores["field_accuracy"] == pytest.approx((15 - 1 + 4 * 3) / (15 + 4 * 3))
    assert scores["ballot_accuracy"] == pytest.approx(5 / 6) and scores["vote_accuracy"] == 1.0

    expected = KINDS["ส.ส. 5/18 (บช)"]
    predicted = copy.deepcopy(expected)
    predicted["vote_results"][0]["candidate_name"] = "นายสมชาย ใจดี"  # names are not on party-list forms
    predicted["vote_results"] = predicted["vote_results"][:2]  # one party row missed
    scores = ev.evaluate_record({}, predicted, expected)
    assert scores["field_accuracy"] == pytest.approx((15 + 3 + 4) / (15 + 4 * 3))
    assert scores["vote_accuracy"] == pytest.approx(2 / 3)
