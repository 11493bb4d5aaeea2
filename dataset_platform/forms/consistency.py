"""The form's four arithmetic rules (DESIGN.md), shared by the asset checks, the evaluators and the review app.

They need no ground truth. A rule with a missing (None) operand fails.
"""

from __future__ import annotations

from typing import Any, Mapping

from dataset_platform.forms.schema import FormExtraction
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


def check_rules(extraction: FormExtraction | Mapping[str, Any]) -> dict[str, bool]:
    """Each rule name → whether it holds."""
    e = _as_model(extraction)
    b = e.ballot_statistics
    used = b.ballots_used
    ballot_sum = _sum(b.good_ballots, b.bad_ballots, b.no_vote_ballots)
    vote_sum = _sum(*(c.vote_count for c in e.vote_results)) if e.vote_results else 0
    balance = _sum(used, b.ballots_remaining)
    return {
        "ballot_sum": ballot_sum is not None and used is not None and ballot_sum == used,
        "vote_sum": vote_sum is not None and b.good_ballots is not None and vote_sum == b.good_ballots,
        "ballot_balance": balance is not None and b.ballots_allocated is not None and balance == b.ballots_allocated,
        "words_match_digits": all(
            c.vote_count is not None and thai_words_to_int(c.vote_count_text) == c.vote_count for c in e.vote_results
        ),
    }


def consistency_score(extraction: FormExtraction | Mapping[str, Any] | None) -> float:
    """Rules satisfied / 4; 0.0 for a failed extraction (None)."""
    if extraction is None:
        return 0.0
    return sum(check_rules(extraction).values()) / len(RULES)


def broken_candidates(extraction: FormExtraction | Mapping[str, Any]) -> list[int]:
    """Candidate numbers whose words disagree with their digits (a guard against misread Thai numerals)."""
    e = _as_model(extraction)
    return [
        c.candidate_number
        for c in e.vote_results
        if c.vote_count is None or thai_words_to_int(c.vote_count_text) != c.vote_count
    ]
