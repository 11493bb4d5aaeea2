"""The form's own arithmetic as a check on what was read — never as a source of numbers.

A rule (``good + bad + no_vote = used``, ``Σ votes = good``, ``used + remaining = allocated``) may
* verify: every term was read and the rule holds → the terms are confident;
* choose: when the recogniser read the same ink two ways (`Term.alternatives`), the one reading
  that makes the rule hold is kept — only if exactly one combination does;
* fill: exactly one term is unread and every other term was read confidently → that term is
  computed, and listed as uncertain (a person confirms it).
It never changes a value that was read into another number, and never fills two terms.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

MAX_CHOICES = 512  # combinations of alternative readings tried per rule


@dataclass(frozen=True)
class Term:
    """One number of the form: its path (``ballot_statistics.good_ballots``), the value read (None if
    unreadable), whether the reading alone is trusted, other readings of the same ink."""

    path: str
    value: int | None
    confident: bool = False
    alternatives: tuple[int, ...] = ()
    filled: bool = False
    verified: bool = False
    contradicted: bool = False  # a term of a rule that does not hold
    discarded: bool = False  # its reading could not be true (e.g. a vote above the good ballots)
    score: float = 0.0


@dataclass
class RuleOutcome:
    terms: list[Term]
    total: Term
    held: bool | None  # None: not checkable (a term missing and not fillable)
    notes: list[str] = field(default_factory=list)


def check_sum(parts: Sequence[Term], total: Term) -> RuleOutcome:
    """Apply ``Σ parts = total`` to what was read (see the module docstring)."""
    parts = list(parts)
    notes: list[str] = []
    if total.value is not None and (total.confident or total.verified):
        # a part larger than a sure total cannot be: that reading is dropped (None), and never refilled
        impossible = [t for t in parts if t.value is not None and t.value > total.value]
        for t in impossible:
            notes.append(f"{t.path}: read {t.value}, more than the total {total.value}; dropped")
        parts = [replace(t, value=None, discarded=True) if t in impossible else t for t in parts]
    everything = parts + [total]
    missing = [t for t in everything if t.value is None]
    if not missing:
        if sum(t.value for t in parts) == total.value:  # type: ignore[misc]
            return RuleOutcome([replace(t, verified=True) for t in parts], replace(total, verified=True), True, notes)
        chosen = _choose(parts, total)
        if chosen is not None:
            new_parts, new_total = chosen
            return RuleOutcome(new_parts, new_total, True, notes + ["chose between two readings so that the sum holds"])
        flagged = [replace(t, contradicted=True) for t in everything]
        return RuleOutcome(flagged[:-1], flagged[-1], False, notes)
    if len(missing) == 1 and not missing[0].discarded and all(t.confident for t in everything if t.value is not None):
        gap = missing[0]
        if gap is total:
            value = sum(t.value for t in parts)  # type: ignore[misc]
        else:
            value = total.value - sum(t.value for t in parts if t.value is not None)  # type: ignore[operator]
        if value >= 0:
            filled = replace(gap, value=value, filled=True)
            new_parts = [filled if t is gap else t for t in parts]
            notes.append(f"{gap.path} filled from the sum")
            return RuleOutcome(new_parts, filled if gap is total else total, None, notes)
    return RuleOutcome(parts, total, None, notes)


def _sums(combination: tuple[int | None, ...]) -> bool:
    """The parts add up to the total (the last value); an unread term never does."""
    values = [v for v in combination if v is not None]
    return len(values) == len(combination) and sum(values[:-1]) == values[-1]


def _choose(parts: list[Term], total: Term) -> tuple[list[Term], Term] | None:
    """The single combination of readings (each term's value or one of its alternatives) whose sum holds."""
    everything = parts + [total]
    options = [(t.value,) + tuple(a for a in t.alternatives if a != t.value) for t in everything]
    if all(len(o) == 1 for o in options):
        return None
    count = 1
    for o in options:
        count *= len(o)
    if count > MAX_CHOICES:
        return None
    matches = [c for c in itertools.product(*options) if _sums(c)]
    if len(matches) != 1:
        return None
    values = matches[0]
    new = [replace(t, value=v, verified=True) for t, v in zip(everything, values)]
    return new[:-1], new[-1]
