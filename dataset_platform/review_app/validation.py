"""Reviewer input → a clean `FormExtraction`, with one clear message per bad field.

Reviewers type what they read off the scan: Thai or Arabic digits, thousands separators, Thai dates.
`normalise_extraction` accepts all of that, and reports (rather than guesses) anything else: negative
or non-numeric counts, unknown fields, duplicate candidates, text too long for a form field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from dataset_platform.forms.schema import (
    CANDIDATE_FIELDS,
    HEADER_INT_FIELDS,
    SECTION_FIELDS,
    FormExtraction,
    canonical_form_type,
    kind_problems,
)
from dataset_platform.forms.thai import fix_ocr_thai, parse_thai_date, thai_digits_to_arabic
from dataset_platform.forms.validation import is_dash

MAX_TEXT_CHARS = 300
MAX_COUNT = 10_000_000  # far above any polling station; catches pasted junk and digit runs
MAX_CANDIDATES = 300
MAX_REVIEWER_CHARS = 100


_PLAIN_INT = re.compile(r"\d+")
_GROUPED_INT = re.compile(r"\d{1,3}(?:[,\s]\d{3})+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS = re.compile(r"\s+")


class ReviewValidationError(ValueError):
    """Raised with field path → message; nothing has been written."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_count(value: Any) -> int | None:
    """A non-negative integer from an int or text in Thai/Arabic digits (``๑,๒๓๔``); ``-`` (the forms' zero)
    → 0; blank → None."""
    if _is_blank(value):
        return None
    if is_dash(value):
        return 0
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = thai_digits_to_arabic(str(value)).strip()
        if text.startswith(("-", "−")) and _PLAIN_INT.fullmatch(text[1:].strip().replace(",", "")):
            raise ValueError("must not be negative")
        if not (_PLAIN_INT.fullmatch(text) or _GROUPED_INT.fullmatch(text)):
            raise ValueError(f"not a number: {text[:40]!r}")
        number = int(re.sub(r"\D", "", text))
    if number < 0:
        raise ValueError("must not be negative")
    if number > MAX_COUNT:
        raise ValueError(f"too large (max {MAX_COUNT:,})")
    return number


def clean_text(value: Any, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """NFC, OCR Thai fixes, whitespace collapsed; blank → None; too long or control characters → error."""
    if _is_blank(value):
        return None
    text = str(value)
    if len(text) > max_chars:
        raise ValueError(f"too long ({len(text):,} characters, max {max_chars})")
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    return _WS.sub(" ", fix_ocr_thai(text)).strip()


def parse_date(value: Any) -> str | None:
    """ISO ``2023-05-14`` or a Thai date ``14 พฤษภาคม 2566`` (any digits) → ISO; blank → None."""
    text = clean_text(value, max_chars=60)
    if text is None:
        return None
    arabic = thai_digits_to_arabic(text)
    try:
        date = dt.date.fromisoformat(arabic)
    except ValueError:
        iso = parse_thai_date(text)
        if iso is None:
            raise ValueError("not a date: use YYYY-MM-DD or e.g. 14 พฤษภาคม 2566") from None
        return iso
    if not 1900 <= date.year <= 2200:
        raise ValueError("year out of range (Gregorian YYYY-MM-DD; Buddhist-era years go in the Thai form)")
    return date.isoformat()


def clean_reviewer(value: Any) -> str:
    name = clean_text(value, max_chars=MAX_REVIEWER_CHARS)
    if not name:
        raise ValueError("a reviewer name is required")
    return name


def _field(name: str, value: Any) -> Any:
    if name in HEADER_INT_FIELDS:  # candidates' numbers are checked on their own
        return parse_count(value)
    if name == "election_date":
        return parse_date(value)
    text = clean_text(value)
    if name == "form_type" and text is not None:
        return canonical_form_type(text) or text  # ``แบบ ส.ส. ๕/๑๖`` → ``ส.ส. 5/16``; unknown text stays, reported
    return text


def _mapping(value: Any, path: str, errors: dict[str, str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors[path] = "must be an object"
        return {}
    return value


def normalise_extraction(raw: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned extraction dict (bad fields set to None) and field path → error message.

    Used live while a reviewer types (rules are re-evaluated on what is valid so far) and by
    `validate_extraction` before anything is saved.
    """
    errors: dict[str, str] = {}
    raw = _mapping(raw, "extraction", errors)
    for key in raw:
        if key not in (*SECTION_FIELDS, "vote_results"):
            errors[str(key)[:60]] = "unknown field"
    cleaned: dict[str, Any] = {}
    for section, fields in SECTION_FIELDS.items():
        values = _mapping(raw.get(section), section, errors)
        cleaned[section] = {}
        for key in values:
            if key not in fields:
                errors[f"{section}.{str(key)[:60]}"] = "unknown field"
        for name in fields:
            try:
                cleaned[section][name] = _field(name, values.get(name))
            except ValueError as exc:
                errors[f"{section}.{name}"] = str(exc)
                cleaned[section][name] = None

    rows = raw.get("vote_results") or []
    if not isinstance(rows, (list, tuple)):
        errors["vote_results"] = "must be a list of candidates"
        rows = []
    if len(rows) > MAX_CANDIDATES:
        errors["vote_results"] = f"too many candidates ({len(rows)}, max {MAX_CANDIDATES})"
        rows = []
    candidates: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for i, row in enumerate(rows):
        path = f"vote_results[{i}]"
        row = _mapping(row, path, errors)
        if all(_is_blank(row.get(k)) for k in ("candidate_number", *CANDIDATE_FIELDS)):
            continue  # an empty row added in the table editor and left blank
        for key in row:
            if key not in ("candidate_number", *CANDIDATE_FIELDS):
                errors[f"{path}.{str(key)[:60]}"] = "unknown field"
        candidate: dict[str, Any] = {}
        for name in ("candidate_number", *CANDIDATE_FIELDS):
            try:
                candidate[name] = (
                    parse_count(row.get(name))
                    if name in ("candidate_number", "vote_count")
                    else clean_text(row.get(name))
                )
                if name == "vote_count_text" and is_dash(candidate[name]):
                    candidate[name] = None  # a "-" row: vote_count 0, no words (DESIGN)
            except ValueError as exc:
                errors[f"{path}.{name}"] = str(exc)
                candidate[name] = None
        number = candidate["candidate_number"]
        if number is None:
            errors.setdefault(f"{path}.candidate_number", "required")
            continue
        if number in seen:
            errors[f"{path}.candidate_number"] = f"duplicate candidate number {number} (also row {seen[number] + 1})"
            continue
        seen[number] = i
        candidates.append(candidate)
    cleaned["vote_results"] = sorted(candidates, key=lambda c: c["candidate_number"])
    return cleaned, errors


def validate_extraction(raw: Mapping[str, Any] | FormExtraction | None) -> FormExtraction:
    """A valid, complete `FormExtraction` of its form kind (``kind_problems``, the rule the ground truth applies
    too) or `ReviewValidationError` listing every bad or missing field."""
    if isinstance(raw, FormExtraction):
        raw = raw.model_dump(mode="json")
    cleaned, errors = normalise_extraction(raw)
    if errors:
        raise ReviewValidationError(errors)
    extraction = FormExtraction.model_validate(cleaned)
    problems = kind_problems(extraction)
    if problems:
        raise ReviewValidationError(problems)
    return extraction
