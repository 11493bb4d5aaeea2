"""Post-response guards: parse the model's JSON into a ``FormExtraction`` and flag its known failure modes.

Published failure modes of Gemini on these forms are phantom candidate rows, swapped or skipped
candidate numbers and misread Thai numerals (๖→๕, ๘→๔, ๐↔๒). Digits that disagree with the Thai
number words of the same row expose the last kind.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from dataset_platform.forms.consistency import broken_candidates
from dataset_platform.forms.schema import SECTION_INT_FIELDS, FormExtraction
from dataset_platform.forms.thai import parse_number


class InvalidResponse(ValueError):
    """The model's answer is not a FormExtraction; the message says why (recorded as the failure reason)."""


# What the forms write for zero (DESIGN: "-" reads as 0): hyphen, en/em dash, minus sign.
DASHES = frozenset({"-", "–", "—", "−"})


def is_dash(value: Any) -> bool:
    return isinstance(value, str) and value.strip().strip("()").strip() in DASHES


def _as_int(value: Any) -> Any:
    # Models sometimes answer "๑,๒๓๔" or "1,234" in an integer field; that is a formatting slip, not a misread.
    if isinstance(value, str):
        if not value.strip():
            return None
        if is_dash(value):
            return 0
        parsed = parse_number(value)
        return parsed if parsed is not None else value  # unparseable text stays, so validation reports it
    return value


def _coerce_numbers(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    for section, fields in SECTION_INT_FIELDS.items():
        block = data.get(section)
        if isinstance(block, dict):
            for field in fields:
                if field in block:
                    block[field] = _as_int(block[field])
    rows = data.get("vote_results")
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, dict):
                for field in ("candidate_number", "vote_count"):
                    if field in row:
                        row[field] = _as_int(row[field])
                if is_dash(row.get("vote_count_text")):  # a "-" row: vote_count 0, no words (DESIGN)
                    row["vote_count_text"] = None
    return data


def parse_extraction(text: str | None, finish_reason: str | None = None) -> FormExtraction:
    """The answer text as a FormExtraction, or ``InvalidResponse`` with a one-line reason."""
    # Gemini says STOP, OpenAI-compatible servers say stop; anything else (length, MAX_TOKENS) explains a cut answer.
    suffix = f" (finish_reason={finish_reason})" if finish_reason and finish_reason.upper() != "STOP" else ""
    if not text or not text.strip():
        raise InvalidResponse("empty response" + suffix)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidResponse(f"response is not valid JSON: {exc.msg} at char {exc.pos}{suffix}") from None
    if not isinstance(data, dict):
        raise InvalidResponse(f"response is a JSON {type(data).__name__}, expected an object{suffix}")
    try:
        return FormExtraction.model_validate(_coerce_numbers(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidResponse(
            f"response does not match the FormExtraction schema: {where}: {first['msg']} "
            f"({exc.error_count()} error(s)){suffix}"
        ) from None


def drop_phantom_rows(extraction: FormExtraction) -> tuple[FormExtraction, int]:
    """Remove candidate rows that carry nothing but a number (a row the model invented to fill a sequence)."""
    kept = [
        c
        for c in extraction.vote_results
        if any(v is not None and v != "" for v in (c.candidate_name, c.party_name, c.vote_count, c.vote_count_text))
    ]
    dropped = len(extraction.vote_results) - len(kept)
    return (extraction.model_copy(update={"vote_results": kept}) if dropped else extraction), dropped


def guard_issues(extraction: FormExtraction) -> list[str]:
    """Human-readable problems with the candidate table; empty when the table looks sound."""
    issues: list[str] = []
    numbers = [c.candidate_number for c in extraction.vote_results]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        issues.append(f"duplicate candidate numbers {duplicates}")
    if numbers and sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        issues.append(f"candidate numbers are not contiguous 1..{len(set(numbers))}: {sorted(set(numbers))}")
    elif numbers != sorted(numbers):
        issues.append("candidate rows are out of order")
    broken = broken_candidates(extraction)
    if broken:
        issues.append(f"vote_count digits disagree with the Thai number words for candidate(s) {broken}")
    return issues
