"""The four consistency rules on hand-built extractions (pure functions, no Dagster, no files)."""

import pytest

from dataset_platform.forms.consistency import broken_candidates, check_rules, consistency_score


def _form(**ballots):
    base = dict(
        ballots_allocated=500,
        ballots_used=400,
        good_ballots=380,
        bad_ballots=15,
        no_vote_ballots=5,
        ballots_remaining=100,
    )
    base.update(ballots)
    return {
        "ballot_statistics": base,
        "vote_results": [
            {"candidate_number": 1, "vote_count": 211, "vote_count_text": "สองร้อยสิบเอ็ด"},
            {"candidate_number": 2, "vote_count": 169, "vote_count_text": "หนึ่งร้อยหกสิบเก้า"},
        ],
    }


def test_all_rules_hold():
    assert consistency_score(_form()) == 1.0


@pytest.mark.parametrize(
    "change, broken",
    [
        ({"bad_ballots": 16}, {"ballot_sum"}),
        ({"good_ballots": 381}, {"ballot_sum", "vote_sum"}),
        ({"ballots_remaining": None}, {"ballot_balance"}),
        ({"ballots_used": None}, {"ballot_sum", "ballot_balance"}),
    ],
)
def test_broken_rules(change, broken):
    rules = check_rules(_form(**change))
    assert {name for name, ok in rules.items() if not ok} == broken
    assert consistency_score(_form(**change)) == (4 - len(broken)) / 4


def test_words_must_match_digits_and_none_fails():
    form = _form()
    form["vote_results"][1]["vote_count_text"] = "หนึ่งร้อยห้าสิบเก้า"  # ๖→๕ style misread
    assert check_rules(form)["words_match_digits"] is False
    assert broken_candidates(form) == [2]
    form["vote_results"] = []
    assert check_rules(form)["words_match_digits"] is True
    assert check_rules(form)["vote_sum"] is False  # 0 votes != 380 good ballots
    assert consistency_score(None) == 0.0
