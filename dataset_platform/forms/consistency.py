"""The form's four arithmetic rules (DESIGN.md), shared by the asset checks, the evaluators and the review app.

They need no ground truth. A rule with a missing (None) operand fails. Not every rule applies to every
form kind: advance-vote batches (ส.ส. 5/16, 5/17 and their party-list variants) have no allocated or
remaining ballots, so ``ballot_balance`` does not apply to them; ``check_rules`` returns only the rules
that apply, and scores are taken over those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataset_platform.forms.schema import FormExtraction, is_advance_vote_batch
from dataset_platform.forms.thai import thai_words_to_int

RULES: dict[str, str] = {
    "ballot_sum": "good + bad + no_vote ballots = ballots_used",
    "vote_sum": "Σ candidate vote_count = good_ballots",
    "ballot_balance": "ballots_used + ballots_remaining = ballots_allocated",
    "words_match_digits": "every candidate's vote_count_text equals its vote_count",
}

# Fields a reviewer should look at when a rule breaks.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "ballot_sum": ("good_ballots", "bad_ballots", "no_vote_ballots", "ballots_used"),
    "vote_sum": ("vote_results.vote_count", "good_ballots"),
    "ballot_balance": ("ballots_used", "ballots_remaining", "ballots_allocated"),
    "words_match_digits": ("vote_results.vote_count", "vote_results.vote_count_text"),
}


def _as_model(extraction: FormExtraction | Mapping[str, Any]) -> FormExtraction:
    return extraction if isinstance(extraction, FormExtraction) else FormExtraction.model_validate(extraction)


def _sum(*values: int | None) -> int | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def applicable_rules(extraction: FormExtraction | Mapping[str, Any]) -> tuple[str, ...]:
    """The rules that apply to the extraction's form kind (its ``form_type``)."""
    e = _as_model(extraction)
    if is_advance_vote_batch(e.form_info.form_type):
        return tuple(r for r in RULES if r != "ballot_balance")
    return tuple(RULES)


def _row_words_hold(vote_count: int | None, vote_count_text: str | None) -> bool:
    # A row written "-" is vote_count 0 with no words (DESIGN); any other row's words must read as its digits.
    if vote_count == 0 and vote_count_text is None:
        return True
    return vote_count is not None and thai_words_to_int(vote_count_text) == vote_count


def check_rules(extraction: FormExtraction | Mapping[str, Any]) -> dict[str, bool]:
    """Each rule that applies to the form's kind → whether it holds."""
    e = _as_model(extraction)
    b = e.ballot_statistics
    used = b.ballots_used
    ballot_sum = _sum(b.good_ballots, b.bad_ballots, b.no_vote_ballots)
    vote_sum = _sum(*(c.vote_count for c in e.vote_results)) if e.vote_results else 0
    balance = _sum(used, b.ballots_remaining)
    results = {
        "ballot_sum": ballot_sum is not None and used is not None and ballot_sum == used,
        "vote_sum": vote_sum is not None and b.good_ballots is not None and vote_sum == b.good_ballots,
        "ballot_balance": balance is not None and b.ballots_allocated is not None and balance == b.ballots_allocated,
        "words_match_digits": all(_row_words_hold(c.vote_count, c.vote_count_text) for c in e.vote_results),
    }
    return {rule: results[rule] for rule in applicable_rules(e)}


def broken_rules(extraction: FormExtraction | Mapping[str, Any]) -> list[str]:
    return [rule for rule, ok in check_rules(extraction).items() if not ok]


def consistency_score(extraction: FormExtraction | Mapping[str, Any] | None) -> float:
    """Rules satisfied / rules that apply; 0.0 for a failed extraction (None)."""
    if extraction is None:
        return 0.0
    rules = check_rules(extraction)
    return sum(rules.values()) / len(rules)


def broken_candidates(extraction: FormExtraction | Mapping[str, Any]) -> list[int]:
    """Candidate numbers whose words disagree with their digits (a guard against misread Thai numerals)."""
    e = _as_model(extraction)
    return [c.candidate_number for c in e.vote_results if not _row_words_hold(c.vote_count, c.vote_count_text)]
