"""Thai text normalisation shared by OCR, validation and evaluators.

Number words are parsed by pythainlp (imported lazily: loading the Dagster code location must stay fast).
"""

from __future__ import annotations

import re
import unicodedata

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"[0-9][0-9,\.\s]*")

THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
BUDDHIST_ERA_OFFSET = 543


def thai_digits_to_arabic(text: str) -> str:
    return text.translate(_TO_ARABIC)


def arabic_to_thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", THAI_DIGITS))


def fix_ocr_thai(text: str) -> str:
    """Undo OCR/encoding artefacts: NIKHAHIT + SARA AA (``ํา``) → SARA AM (``ำ``), NFC."""
    text = text.replace("\u0e4d\u0e32", "\u0e33").replace("\u0e4d \u0e32", "\u0e33")
    return unicodedata.normalize("NFC", text)


def normalize_text(value: str | None) -> str | None:
    """NFC, Thai digits → Arabic, whitespace collapsed, stripped (the evaluators' string rule)."""
    if value is None:
        return None
    text = thai_digits_to_arabic(fix_ocr_thai(str(value)))
    return _WS.sub(" ", text).strip()


def parse_number(text: str | None) -> int | None:
    """First integer in ``text``: Arabic or Thai digits, thousands separators allowed; None if none."""
    if text is None:
        return None
    match = _NUMBER.search(thai_digits_to_arabic(str(text)))
    if not match:
        return None
    digits = re.sub(r"[^0-9]", "", match.group().split(".")[0])
    return int(digits) if digits else None


def thai_words_to_int(text: str | None) -> int | None:
    """Thai number words (``สองร้อยสิบเอ็ด``) → 211; None if the words are not a number."""
    if text is None:
        return None
    words = _WS.sub("", fix_ocr_thai(text)).strip("()")
    if not words:
        return None
    if words.isdigit():  # a reviewer or OCR may give digits in the words column
        return int(thai_digits_to_arabic(words))
    from pythainlp.util import thaiword_to_num

    try:
        return int(thaiword_to_num(words))
    except (ValueError, TypeError, KeyError, IndexError):
        return None


def int_to_thai_words(value: int) -> str:
    from pythainlp.util import num_to_thaiword

    return num_to_thaiword(int(value))


def parse_thai_date(text: str | None) -> str | None:
    """``14 พฤษภาคม 2566`` (Buddhist era, any digits) → ``2023-05-14``; None if unparseable."""
    if not text:
        return None
    text = normalize_text(text) or ""
    month = next((i for i, name in enumerate(THAI_MONTHS, 1) if name in text), None)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if month is None or len(numbers) < 2:
        return None
    day, year = numbers[0], numbers[-1]
    if year > 2400:
        year -= BUDDHIST_ERA_OFFSET
    if not (1 <= day <= 31 and 1900 <= year <= 2200):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def format_thai_date(iso: str, thai_digits: bool = False) -> str:
    year, month, day = (int(p) for p in iso.split("-"))
    text = f"{day} {THAI_MONTHS[month - 1]} {year + BUDDHIST_ERA_OFFSET}"
    return arabic_to_thai_digits(text) if thai_digits else text
