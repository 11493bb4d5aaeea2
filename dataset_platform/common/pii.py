"""PII detection and masking for any text: one owner, used by the retraining track and the pipelines' `pii` step.

    find_pii(text) -> list[Match]      # validated matches, left to right, never overlapping
    mask_pii(text) -> str              # each match replaced by its typed placeholder ([PHONE], [EMAIL], ...)
    scan_column(texts) -> ColumnScan   # the same over a column, with a cheap Arrow (RE2) pre-filter

Kinds and what validates them:
- ``email``; ``ip_address`` / ``ipv6_address`` (parsed by ``ipaddress``);
- ``thai_national_id``: 13 digits with the mod-11 check digit;
- ``credit_card``: 13-19 digits, Luhn-valid, an issuer (IIN) prefix that fits the length, and no device
  context ("IMEI", "serial"); a 15-digit number is a card only for Amex (34/37) or with a card word nearby;
- ``imei``: 15 Luhn-valid digits that are not a card (device identifiers: a stolen phone's IMEI is personal);
- ``phone``: Thai (+66 / 0 mobile and landline), Nepali mobile (96x-98x, optional +977) and landline
  (01-4xxxxxx, 0xx-xxxxxx, +977-1-...), other +country numbers.

Digits of any script count as digits (Devanagari ०-९, Thai ๐-๙, ...): a Nepali complaint writes its phone
number as ९८४१२३४५६७. Every decimal digit is mapped to ASCII one character for one character before matching,
so match offsets are offsets in the original text. Zero-width joiners (ZWJ/ZWNJ, used inside Indic words)
are not separators: a number is never assembled across them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "thai_national_id": "[TH_ID]",
    "credit_card": "[CARD]",
    "imei": "[IMEI]",
    "phone": "[PHONE]",
    "ip_address": "[IP]",
    "ipv6_address": "[IP]",
}


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    text: str

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS[self.kind]

    @property
    def masked(self) -> str:
        """A shortened form for reports (first and last two characters), never the value itself."""
        return masked_example(self.text)


def masked_example(value: str) -> str:
    return value[:2] + "*" * max(0, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


@functools.cache
def _digit_table() -> dict[int, str]:
    """Every Unicode decimal digit (Nd) except ASCII → its ASCII digit."""
    table = {}
    for cp in range(0x80, 0x20000):  # decimal digits exist only in planes 0 and 1
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.decimal(ch))
    return table


_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> str:
    """The text with every decimal digit as ASCII, same length (offsets are preserved)."""
    return text.translate(_digit_table()) if _NON_ASCII_DIGIT.search(text) else text


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in ascii_digits(number) if d.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def thai_id_valid(number: str) -> bool:
    """13 digits; the last is (11 − Σ dᵢ·(13 − i) mod 11) mod 10 over the first 12."""
    digits = [int(d) for d in ascii_digits(number) if d.isdigit()]
    if len(digits) != 13 or digits[0] == 0:
        return False
    total = sum(d * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == digits[12]


# Issuer prefixes with their lengths (ISO/IEC 7812 IIN ranges of the big networks).
_CARD_ISSUERS: tuple[tuple[Callable[[str], bool], frozenset[int]], ...] = (
    (lambda d: d.startswith("4"), frozenset({13, 16, 19})),  # Visa
    (lambda d: 51 <= int(d[:2]) <= 55 or 2221 <= int(d[:4]) <= 2720, frozenset({16})),  # Mastercard
    (lambda d: d[:2] in ("34", "37"), frozenset({15})),  # American Express
    (lambda d: d.startswith(("6011", "65")) or 644 <= int(d[:3]) <= 649, frozenset({16, 17, 18, 19})),  # Discover
    (lambda d: 3528 <= int(d[:4]) <= 3589, frozenset({16, 17, 18, 19})),  # JCB
    (lambda d: 300 <= int(d[:3]) <= 305 or d[:2] in ("36", "38", "39"), frozenset({14, 16})),  # Diners
    (lambda d: d.startswith("62"), frozenset({16, 17, 18, 19})),  # UnionPay
    (lambda d: d[:2] in ("50", "56", "57", "58", "67"), frozenset({13, 16, 19})),  # Maestro (common lengths)
)
_CARD_WORDS = re.compile(r"card|credit|debit|visa|master|amex|บัตร|कार्ड|क्रेडिट", re.IGNORECASE)
_DEVICE_WORDS = re.compile(r"imei|serial|s/n|\bsn\b|device|handset|मोबाइल सेट|อีมี่|หมายเลขเครื่อง", re.IGNORECASE)
CONTEXT_CHARS = 24


def _issuer_fits(digits: str) -> bool:
    return any(prefix(digits) and len(digits) in lengths for prefix, lengths in _CARD_ISSUERS)


def _card_or_imei(text: str, start: int, end: int) -> str | None:
    """'credit_card', 'imei' or None for a 13-19 digit candidate at text[start:end]."""
    digits = "".join(ch for ch in ascii_digits(text[start:end]) if ch.isdigit())
    if not luhn_valid(digits):
        return None
    before = text[max(0, start - CONTEXT_CHARS) : start]
    if _DEVICE_WORDS.search(before):
        return "imei" if len(digits) == 15 else None
    card_word = bool(_CARD_WORDS.search(before))
    if len(digits) == 15 and not (digits[:2] in ("34", "37") or card_word):
        return "imei"  # 15 Luhn-valid digits without an Amex prefix: the IMEI format, not a card
    return "credit_card" if _issuer_fits(digits) else None


def _ipv4_valid(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def _ipv6_valid(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
        return text.count(":") >= 2
    except ValueError:
        return False


_SEP = r"[ \-.]?"  # one optional space, hyphen or dot between digit groups (never a joiner)
_D = r"\d"
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", re.ASCII)),
    ("thai_national_id", re.compile(rf"(?<!\d)\d{_SEP}\d{{4}}{_SEP}\d{{5}}{_SEP}\d{{2}}{_SEP}\d(?!\d)", re.ASCII)),
    ("card_or_imei", re.compile(r"(?<![\d+])\d(?:[ \-]?\d){12,18}(?!\d)", re.ASCII)),
    (
        "phone",
        re.compile(
            r"(?<![\d+])(?:"
            # Thai: +66 or 0, then mobile 6/8/9 + 8 digits, Bangkok 2 + 7, provincial 3-7 + 7.
            rf"(?:\+66{_SEP}|0)(?:[689](?:{_SEP}\d){{8}}|[2-7](?:{_SEP}\d){{7}})"
            # Nepal mobile: 96x-98x + 7 digits, optionally +977.
            rf"|(?:\+?977{_SEP})?9[678]\d(?:{_SEP}\d){{7}}"
            # Nepal landline: Kathmandu (0)1-4xxxxxx, elsewhere 0xx-xxxxxx; +977 drops the 0.
            rf"|(?:\+977{_SEP}|0)1{_SEP}\d(?:{_SEP}?\d){{6}}"
            rf"|(?:\+977{_SEP})[2-9]\d{_SEP}\d(?:{_SEP}?\d){{5}}"
            # Any other international number.
            rf"|\+\d{{1,3}}{_SEP}\(?\d{{1,4}}\)?(?:{_SEP}\d){{6,10}}"
            r")(?!\d)",
            re.ASCII,
        ),
    ),
    ("ip_address", re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", re.ASCII)),
    ("ipv6_address", re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])", re.ASCII)),
)
_VALIDATORS: dict[str, Callable[[str], bool]] = {
    "thai_national_id": thai_id_valid,
    "ip_address": _ipv4_valid,
    "ipv6_address": _ipv6_valid,
}


_ASCII_DIGIT = re.compile(r"\d", re.ASCII)


def _may_match(kind: str, probe: str, n_digits: int) -> bool:
    """Cheap necessary conditions, so most texts skip most regexes."""
    if kind == "email":
        return "@" in probe
    if kind == "ipv6_address":
        return ":" in probe
    if kind == "ip_address":
        return "." in probe
    return n_digits >= 8


def find_pii(text: str) -> list[Match]:
    """Validated PII matches in ``text``, left to right; an earlier kind wins an overlap (ID before card)."""
    if not text:
        return []
    probe = ascii_digits(text)
    taken: list[Match] = []
    n_digits = len(_ASCII_DIGIT.findall(probe))
    for kind, pattern in _PATTERNS:
        if not _may_match(kind, probe, n_digits):
            continue
        for m in pattern.finditer(probe):
            start, end = m.span()
            if any(start < t.end and t.start < end for t in taken):
                continue
            found: str | None = kind
            if kind == "card_or_imei":
                found = _card_or_imei(text, start, end)
            elif kind in _VALIDATORS and not _VALIDATORS[kind](m.group()):
                found = None
            if found:
                taken.append(Match(kind=found, start=start, end=end, text=text[start:end]))
    return sorted(taken, key=lambda match: match.start)


def mask_pii(text: str, matches: list[Match] | None = None) -> str:
    """``text`` with every match replaced by its placeholder."""
    matches = find_pii(text) if matches is None else matches
    for match in sorted(matches, key=lambda m: m.start, reverse=True):
        text = text[: match.start] + match.placeholder + text[match.end :]
    return text


@functools.cache
def prefilter_pattern() -> str:
    """RE2 pattern true for every text that can hold a match, false for most others.

    An '@'; eight digits (any script) close together, the fewest any phone, card or ID pattern needs;
    a dotted quad; a hex-colon group. Texts with short numbers (house numbers, years, reference ids)
    never reach the Python matchers.
    """
    digits = sorted({0x30 + i for i in range(10)} | set(_digit_table()))
    ranges: list[str] = []
    start: int | None = digits[0]
    for prev, cp in zip(digits, [*digits[1:], None]):
        if cp != prev + 1:
            ranges.append(f"\\x{{{start:x}}}-\\x{{{prev:x}}}")
            start = cp
    d = "[" + "".join(ranges) + "]"
    close_digits = d + rf"(?:[ .\-()+]{{0,2}}{d}){{7}}"
    dotted_quad = rf"{d}{{1,3}}\.{d}{{1,3}}\.{d}{{1,3}}\.{d}{{1,3}}"
    return rf"@|{close_digits}|{dotted_quad}|[0-9A-Fa-f]{{1,4}}:[0-9A-Fa-f]{{0,4}}:"


@dataclass
class ColumnScan:
    """PII found in a column: matches per row position (only rows with a match appear)."""

    rows: dict[int, list[Match]] = field(default_factory=dict)

    @property
    def kinds(self) -> dict[str, int]:
        return dict(Counter(m.kind for matches in self.rows.values() for m in matches))

    @property
    def n_matches(self) -> int:
        return sum(len(matches) for matches in self.rows.values())

    def examples(self, limit: int = 5) -> list[str]:
        out = [f"{m.kind}: {m.masked}" for matches in self.rows.values() for m in matches]
        return out[:limit]


def scan_column(texts: Iterable[str | None]) -> ColumnScan:
    """``find_pii`` over a column; only rows the Arrow pre-filter selects reach Python."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        arr = texts
    else:
        arr = pa.array([t if isinstance(t, str) else None for t in texts], pa.large_string())
    hits = pc.fill_null(pc.match_substring_regex(arr, prefilter_pattern()), False)
    (candidates,) = np.nonzero(hits.to_numpy(zero_copy_only=False))
    scan = ColumnScan()
    if len(candidates):
        values = pc.take(arr, pa.array(candidates)).to_pylist()
        for pos, text in zip(candidates.tolist(), values):
            if matches := find_pii(text):
                scan.rows[pos] = matches
    return scan
