"""PII in one string: find and mask (Thai national ID with checksum, emails, phones, cards with Luhn, IPs).

The patterns and validators are the retraining quality checks' (``retraining/quality.py``: one owner); this
module applies them to one text at a time for the declared pipelines' ``pii`` step and schema inference.
Thai, Devanagari, Arabic-Indic and full-width digits are read as ASCII digits first (same length, so spans
stay right): a phone number written ๐๘๑… or ९८४… is found like 081….
"""

from __future__ import annotations

from dataclasses import dataclass

from dataset_platform.retraining.quality import PII_PATTERNS

_DIGIT_BLOCKS = (0x0E50, 0x0966, 0x0660, 0x06F0, 0xFF10)  # Thai, Devanagari, Arabic-Indic, Persian, full-width
_TO_ASCII = {base + i: ord("0") + i for base in _DIGIT_BLOCKS for i in range(10)}
PLACEHOLDERS = {
    "email": "[EMAIL]", "thai_national_id": "[TH_ID]", "credit_card": "[CARD]", "phone": "[PHONE]",
    "ip_address": "[IP]", "ipv6_address": "[IP]",
}  # fmt: skip
KINDS = tuple(PII_PATTERNS)


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int
    end: int
    text: str


def ascii_digits(text: str) -> str:
    return text.translate(_TO_ASCII)


def find_pii(text: str, kinds: tuple[str, ...] | None = None) -> list[PiiMatch]:
    """Validated matches in text order; a span is claimed by the first kind that matches it (IDs before cards)."""
    if not text:
        return []
    normalized = ascii_digits(text)
    taken: list[PiiMatch] = []
    for kind, (pattern, valid) in PII_PATTERNS.items():
        if kinds is not None and kind not in kinds:
            continue
        for m in pattern.finditer(normalized):
            if any(m.start() < t.end and t.start < m.end() for t in taken) or not valid(m.group()):
                continue
            taken.append(PiiMatch(kind, m.start(), m.end(), text[m.start() : m.end()]))
    return sorted(taken, key=lambda t: t.start)


def mask_pii(text: str, kinds: tuple[str, ...] | None = None) -> str:
    """Each match replaced by its typed placeholder ([EMAIL], [PHONE], [TH_ID], [CARD], [IP])."""
    out, pos = [], 0
    for m in find_pii(text, kinds):
        out += [text[pos : m.start], PLACEHOLDERS[m.kind]]
        pos = m.end
    return "".join(out) + text[pos:] if out else text
