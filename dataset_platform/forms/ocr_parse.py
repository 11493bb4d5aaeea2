"""OCR text of a ส.ส. 5/18 form set → `FormExtraction`, by the printed labels of DESIGN.md (pure, no I/O).

Tolerant of what Tesseract does to Thai: spaces inserted or dropped, ``ํา`` for ``ำ``, Thai digits
read as look-alikes, lost tone marks, table rules read as ``|``. Where the form repeats itself (vote
digits and Thai number words; the ballot arithmetic) the reading that is consistent wins.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher, get_close_matches
from typing import cast

from dataset_platform.forms.schema import BallotStatistics, FormExtraction, FormInfo, VoteResult, VoterStatistics
from dataset_platform.forms.thai import (
    THAI_MONTHS,
    fix_ocr_thai,
    parse_thai_date,
    thai_digits_to_arabic,
    thai_words_to_int,
)

FORM_TYPE = "ส.ส. 5/18"

# field → printed label, in the order of the form (DESIGN.md layout table)
LABELS: dict[str, str] = {
    "province": "จังหวัด",
    "district": "เขต/อำเภอ",
    "sub_district": "แขวง/ตำบล",
    "constituency_number": "เขตเลือกตั้งที่",
    "polling_station_number": "หน่วยเลือกตั้งที่",
    "election_date": "วันที่เลือกตั้ง",
    "eligible_voters": "จำนวนผู้มีสิทธิเลือกตั้ง",
    "voters_present": "จำนวนผู้มาแสดงตน",
    "ballots_allocated": "จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร",
    "ballots_used": "จำนวนบัตรเลือกตั้งที่ใช้",
    "good_ballots": "บัตรดี",
    "bad_ballots": "บัตรเสีย",
    "no_vote_ballots": "บัตรไม่เลือกผู้สมัครผู้ใด",
    "ballots_remaining": "จำนวนบัตรเลือกตั้งที่เหลือ",
}
TEXT_FIELDS = ("province", "district", "sub_district")
NUMBER_FIELDS = tuple(f for f in LABELS if f not in TEXT_FIELDS and f != "election_date")
UNITS = ("คน", "บัตร")
TITLES = ("นางสาว", "นาง", "นาย", "ว่าที่")
LABEL_MIN_SCORE = 0.78

# Thai number words; the OCR often drops tone marks, so matching happens with marks stripped
NUMBER_WORDS = (
    "ศูนย์",
    "หนึ่ง",
    "สอง",
    "สาม",
    "สี่",
    "ห้า",
    "หก",
    "เจ็ด",
    "แปด",
    "เก้า",
    "สิบ",
    "ยี่",
    "เอ็ด",
    "ร้อย",
    "พัน",
    "หมื่น",
    "แสน",
    "ล้าน",
)
_MARKS = re.compile("[\u0e31\u0e47-\u0e4e]")  # ั and tone/diacritic marks (่ ้ ๊ ๋ ็ ์ ํ ...)
_VOWEL_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
_THAI_LETTER = re.compile("[\u0e01-\u0e2e]")
_DIGIT = "0-9\u0e50-\u0e59"
_ENUM = re.compile(rf"^[\s\[\(|]*(?:[{_DIGIT}]{{1,2}}(?:\s*[\.,]\s*|\s+)?){{1,3}}[\)\]\.]?\s*(?=[^\s{_DIGIT}])")
# Thai digits Tesseract confuses with one another (published failure modes: ๖→๕, ๘→๔, ๐↔๒)
THAI_DIGIT_CONFUSIONS = {"๔": "๕๘", "๕": "๔๖", "๖": "๕", "๘": "๔", "๐": "๒", "๒": "๐", "๗": "๓", "๓": "๗"}


def _stripped(text: str) -> str:
    return _MARKS.sub("", text)


def normalize_line(line: str) -> str:
    """NFC, ``ํา`` → ``ำ``, OCR table rules (``|``, ``[``) and stray quotes out, spaces kept."""
    line = fix_ocr_thai(unicodedata.normalize("NFC", line))
    line = re.sub(r"[|\[\]{}‘’“”_—~]", " ", line)
    return line.rstrip()


def _compact(text: str) -> tuple[str, list[int]]:
    """Text without whitespace, plus each kept character's index in the original."""
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def _one_letter_off(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


class _Vocabulary:
    """Number words under one normalisation (tone marks stripped, or only the consonant skeleton left)."""

    def __init__(self, normalise):
        self.normalise = normalise
        self.by_form = {normalise(w): w for w in NUMBER_WORDS}
        self.forms = sorted(self.by_form, key=len, reverse=True)
        self.places = tuple(normalise(w) for w in ("สิบ", "ร้อย", "พัน"))  # counts stay below ten thousand

    def tokens(self, plain: str, fuzzy: bool) -> list[str] | None:
        tokens: list[str] = []
        i = skipped = 0
        while i < len(plain):
            match = next((w for w in self.forms if plain.startswith(w, i)), None)
            if match is None and fuzzy:
                # one misread letter; in a two-letter word only before a place word (``ทาร้อย`` → ``ห้าร้อย``)
                # or as the last word (``สิบทก`` → ``สิบหก``)
                match = next(
                    (
                        w
                        for w in self.forms
                        if len(w) >= 2
                        and _one_letter_off(plain[i : i + len(w)], w)
                        and (
                            len(w) >= 3
                            or any(plain.startswith(v, i + 2) for v in self.places)
                            or (tokens and i + 2 == len(plain))
                        )
                    ),
                    None,
                )
            if match is None and fuzzy:
                # a doubled or stray glyph (``สิสิบ``): skip at most two letters in the whole cell
                skip = next(
                    (
                        k
                        for k in (1, 2)
                        if tokens and skipped + k <= 2 and any(plain.startswith(w, i + k) for w in self.forms)
                    ),
                    None,
                )
                if skip is not None:
                    skipped += skip
                    i += skip
                    continue
            if match is None:
                return None
            tokens.append(self.by_form[match])
            i += len(match)
        return tokens


def _skeleton_form(text: str) -> str:
    return _VOWEL_MARKS.sub("", text).replace("\u0e33", "\u0e32")


# First with tone marks stripped (what OCR loses most); then by consonant skeleton, for cells whose
# upper vowels the OCR split off onto a line of their own (``สสบเอด`` → ``สี่สิบเอ็ด``).
_VOCABULARIES = (_Vocabulary(lambda t: _stripped(t).replace("\u0e33", "\u0e32")), _Vocabulary(_skeleton_form))


def read_thai_number_words(text: str | None) -> tuple[int | None, str | None]:
    """Thai number words as OCR'd (spaces, lost tone marks, junk) → (value, canonical words).

    The words are repaired token by token against the number vocabulary and then parsed by
    pythainlp (`thai_words_to_int`); (None, None) when they are not a number.
    """
    if not text:
        return None, None
    raw = re.sub(r"[^\u0e01-\u0e4e]", "", fix_ocr_thai(text))  # ``ห้า`` read as ``หํา`` → ``หำ`` → ``หา``
    # exact readings first (marks stripped, then skeleton); a one-letter repair only when none exists
    for vocabulary, fuzzy in ((_VOCABULARIES[0], False), (_VOCABULARIES[1], False), (_VOCABULARIES[0], True)):
        plain = vocabulary.normalise(raw)
        tokens = vocabulary.tokens(plain, fuzzy) if plain else None
        if tokens:
            canonical = "".join(tokens)
            value = thai_words_to_int(canonical)
            if value is not None:
                return value, canonical
    return None, None


def _digits_of(text: str) -> tuple[int | None, bool]:
    """Integer in a value cell (Arabic/Thai digits, separators) and whether the cell was clean digits."""
    ascii_digits = thai_digits_to_arabic(text)
    digits = re.sub(r"[^0-9]", "", ascii_digits)
    if not digits:
        return None, False
    clean = re.fullmatch(r"[0-9][0-9,\.\s']*", ascii_digits.strip(" .,:;'`-")) is not None
    return int(digits), clean


def _skeleton(text: str) -> str:
    return _VOWEL_MARKS.sub("", text)


def match_label(line: str) -> tuple[str, str, float] | None:
    """(field, value text, score) when the line starts (after any ``2.3`` numbering) with a printed label."""
    body = _ENUM.sub("", line, count=1)
    compact, index = _compact(body)
    if not compact:
        return None
    best: tuple[float, str, int] | None = None
    for field, label in LABELS.items():
        for cut in range(max(1, len(label) - 2), min(len(compact), len(label) + 2) + 1):
            score = max(
                SequenceMatcher(None, label, compact[:cut], autojunk=False).ratio(),
                # OCR swaps vowel marks (``บัตรดี`` → ``บุตรดิ``): compare consonant skeletons too
                SequenceMatcher(None, _skeleton(label), _skeleton(compact[:cut]), autojunk=False).ratio() - 0.08,
            )
            rest = compact[cut:]
            if field in NUMBER_FIELDS:
                # a number must follow: Thai letters before the first digit mean a longer label was cut short
                before = re.split(rf"[{_DIGIT}]", rest, maxsplit=1)[0]
                score -= 0.04 * len(_THAI_LETTER.findall(before))
                if not re.search(rf"[{_DIGIT}]", rest) and not re.search(r"[A-Za-z\u0e01-\u0e2e]", rest):
                    score -= 0.3
            if best is None or score > best[0] + 1e-9 or (abs(score - best[0]) < 1e-9 and cut > best[2]):
                best = (score, field, cut)
    if best is None or best[0] < LABEL_MIN_SCORE:
        return None
    score, field, cut = best
    value = body[index[cut] :] if cut < len(compact) else ""
    return field, value.strip(), score


def _place_name(value: str) -> str | None:
    value = re.sub(r"^[\s:.\-]+|[\s.]+$", "", value)
    # Thai writes no spaces inside a name; OCR inserts them between glyph clusters
    value = re.sub(r"(?<=[\u0e01-\u0e4e])\s+(?=[\u0e01-\u0e4e])", "", value)
    return value or None


def _province(value: str) -> str | None:
    """The province as read, snapped to the official name it is closest to (pythainlp's list of 77)."""
    name = _place_name(value)
    if not name:
        return None
    from pythainlp.corpus import provinces

    official = cast("frozenset[str]", provinces())  # details=False: the names (the stub unions both shapes)
    close = get_close_matches(name, sorted(official), n=1, cutoff=0.6)
    return close[0] if close else name


def _election_date(label_value: str | None, announcement: str | None) -> str | None:
    """The date by the label; the signature page repeats it, and a reading in Arabic digits (which OCR
    reads reliably) wins over one in Thai digits."""
    readings = [(v, _thai_date(v)) for v in (label_value, announcement) if v]
    readings = [(v, d) for v, d in readings if d]
    arabic = [d for v, d in readings if not re.search("[\u0e50-\u0e59]", v)]
    return (arabic or [d for _, d in readings] or [None])[0]


def _thai_date(value: str) -> str | None:
    parsed = parse_thai_date(value)
    if parsed:
        return parsed
    words = re.findall(r"[\u0e01-\u0e4e]+", value.replace(" ", ""))
    for word in words:
        month = get_close_matches(_stripped(word), [_stripped(m) for m in THAI_MONTHS], n=1, cutoff=0.6)
        if month:
            real = next(m for m in THAI_MONTHS if _stripped(m) == month[0])
            return parse_thai_date(value.replace(" ", "").replace(word, f" {real} "))
    return None


@dataclass
class _Number:
    value: int | None
    raw: str
    clean: bool


def _number_value(value: str) -> _Number:
    for unit in UNITS:
        value = value.split(unit)[0]
    value = re.sub(r"\b(au|tins|us|UN|aU)\b.*$", "", value)  # `คน`/`บัตร` read by the English model
    value = value.strip(" .:")
    number, clean = _digits_of(value)
    return _Number(number, value, clean)


@dataclass
class CandidateRow:
    number: int | None
    name: str | None
    party: str | None
    digits: int | None
    digits_clean: bool
    digits_thai: bool
    words_value: int | None
    words_text: str | None
    digits_raw: str = ""


def _is_digit_cell(token: str) -> bool:
    digits = len(re.findall(rf"[{_DIGIT}]", token))
    return digits >= max(1, len(token) / 2) or not _THAI_LETTER.search(token)


def _clean_name(name: str) -> str | None:
    name = re.sub(r"^[^\u0e01-\u0e4e]+", "", name).strip()
    for title in TITLES:
        at = name.find(title, 0, len(title) + 4)
        if 0 < at <= 4 and " " not in name[:at]:  # stray glyphs from the table rule before the title
            name = name[at:]
            break
    return re.sub(r"\s+", " ", name) or None


def _has_title(text: str) -> bool:
    text = text.lstrip()
    return any(0 <= text.find(title, 0, len(title) + 4) <= 4 for title in TITLES)


def parse_candidate_row(line: str) -> CandidateRow | None:
    """One table row: number, name, party, vote digits, vote words — or None if the line is no row."""
    line = normalize_line(line)
    m = re.match(rf"^[\s\.,:;'`»«>-]*([{_DIGIT}]{{1,2}})[\s\.]+(?=\S)", line)
    number = int(thai_digits_to_arabic(m.group(1))) if m else None
    rest = line[m.end() :] if m else line
    # cells glued together by the OCR (``ประชาชาติ263สองร้อย``): split where Thai letters meet digits
    # (a single letter beside digits is a misread digit, ``๓ซ``, and stays in its cell)
    rest = re.sub(rf"(?<=[\u0e01-\u0e4e]{{2}})(?=[{_DIGIT}])|(?<=[{_DIGIT}])(?=[\u0e01-\u0e4e]{{2}})", " ", rest)
    # punctuation-only tokens are specks and table rules, not cells
    tokens = [t for t in rest.split() if re.search(rf"[{_DIGIT}A-Za-z\u0e01-\u0e4e]", t)]
    if m is None:
        # the number cell misread as a glyph or two (``>``, ``ฆ``, ``ab``): drop it when a titled name follows
        titled = next((k for k, t in enumerate(tokens[:3]) if _has_title(t)), None)
        if titled:
            tokens = tokens[titled:]
    if len(tokens) < 2:
        return None
    # the number-words column: the longest run of trailing tokens that reads as a number
    words_value, words_text, cut = None, None, len(tokens)
    for k in range(len(tokens) - 1, max(len(tokens) - 4, 0) - 1, -1):
        if re.search(rf"[{_DIGIT}]", tokens[k]) or not _THAI_LETTER.search(tokens[k]):
            break
        value, canonical = read_thai_number_words("".join(tokens[k:]))
        if value is not None:
            words_value, words_text, cut = value, canonical, k
    last_has_digit = re.search(rf"[{_DIGIT}]", tokens[-1]) is not None
    if words_value is None and len(tokens) >= 3 and not last_has_digit and re.search(rf"[{_DIGIT}]", tokens[-2]):
        # unreadable words (``aua``): the digits still count; Latin garbage is no reading of Thai words
        words_text, cut = (tokens[-1] if _THAI_LETTER.search(tokens[-1]) else None), len(tokens) - 1
    digits, clean, thai, digit_tokens = None, False, False, 0
    while cut - digit_tokens - 1 >= 1 and _is_digit_cell(tokens[cut - digit_tokens - 1]) and digit_tokens < 3:
        digit_tokens += 1
    if digit_tokens:
        cell = " ".join(tokens[cut - digit_tokens : cut])
        digits, clean = _digits_of(cell)
        thai = re.search("[\u0e50-\u0e59]", cell) is not None
        if digits is None:
            clean = False
    if words_value is None and digits is None:
        return None
    middle = tokens[: cut - digit_tokens]
    if len(middle) < 2 or not any(_THAI_LETTER.search(t) for t in middle):
        return None  # a candidate has at least a name and a family name
    titled = _has_title(middle[0])
    if number is None and not titled and (words_value is None or not digit_tokens):
        return None  # without a number or a title, only a full digits + words pair makes a row
    if words_value is None and not (titled and clean):
        return None  # unreadable words: only clean digits beside a titled name make a row (not specks)
    if number is None and len(middle) >= 3 and len(middle[0]) <= 2:
        middle = middle[1:]  # what is left of an unreadable number cell
    # name = title+first name, family name (two tokens; three when the title stands apart);
    # the party is the rest, written without spaces
    n_name = 3 if middle[0] in TITLES and len(middle) > 3 else 2
    name_tokens, party_tokens = middle[:n_name], middle[n_name:]
    if n_name == 3:
        name_tokens = [name_tokens[0] + name_tokens[1], name_tokens[2]]
    name = _clean_name(" ".join(name_tokens))
    party = "".join(party_tokens) or None
    raw = " ".join(tokens[cut - digit_tokens : cut])
    return CandidateRow(number, name, party, digits, clean, thai, words_value, words_text, raw)


def _is_table_header(line: str) -> bool:
    compact, _ = _compact(line)
    return any(h in compact for h in ("หมายเลข", "ชื่อสกุล", "สังกัดพรรค", "ได้คะแนน", "ตัวอักษร", "ตัวเลข"))


def _vote_choices(row: CandidateRow) -> list[int]:
    """Possible vote counts, most trusted first: agreeing readings, then clean Arabic digits, then words."""
    if row.digits is not None and row.digits == row.words_value:
        return [row.digits]
    options: list[int] = []
    if row.digits is not None and row.digits_clean and not row.digits_thai:
        options.append(row.digits)
    if row.words_value is not None:
        options.append(row.words_value)
    if row.digits is not None and row.digits not in options:
        options.append(row.digits)
    if row.digits_thai and row.words_value is None:  # no words to check against: allow a confused digit
        options += [v for v in _confused_readings(row.digits_raw) if v not in options]
    return options


def _choose_votes(rows: list[CandidateRow], good_ballots: int | None) -> list[int | None]:
    """Per row, the vote reading; when digits and words disagree, the combination whose sum is good_ballots."""
    choices: list[list[int | None]] = [[*_vote_choices(r)] or [None] for r in rows]
    default = [c[0] for c in choices]
    ambiguous = [i for i, c in enumerate(choices) if len(c) > 1]
    if good_ballots is None or not ambiguous or len(ambiguous) > 10:
        return default
    if _sums_to(default, good_ballots):
        return default
    for picks in itertools.product(*(choices[i] for i in ambiguous)):
        trial = list(default)
        for i, v in zip(ambiguous, picks):
            trial[i] = v
        if _sums_to(trial, good_ballots):
            return trial
    return default


def _sums_to(votes: list[int | None], total: int) -> bool:
    """Every vote read and their sum is ``total``."""
    known = [v for v in votes if v is not None]
    return len(known) == len(votes) and sum(known) == total


def _confused_readings(raw: str) -> list[int]:
    """Readings of a Thai-digit number one confused digit away from what the OCR saw."""
    digits = re.sub(rf"[^{_DIGIT}]", "", raw)
    out: list[int] = []
    for i, ch in enumerate(digits):
        for alt in THAI_DIGIT_CONFUSIONS.get(ch, ""):
            value = int(thai_digits_to_arabic(digits[:i] + alt + digits[i + 1 :]))
            if value not in out:
                out.append(value)
    return out


def _variants(n: _Number) -> list[int]:
    """The read number first, then readings one confused Thai digit away."""
    out = [n.value] if n.value is not None else []
    return out + [v for v in _confused_readings(n.raw) if v not in out]


def _rules_held(b: dict[str, int | None], vote_sum: int | None) -> int:
    def eq(total, *parts):
        return total is not None and None not in parts and sum(parts) == total

    return (
        eq(b["ballots_used"], b["good_ballots"], b["bad_ballots"], b["no_vote_ballots"])
        + eq(b["ballots_allocated"], b["ballots_used"], b["ballots_remaining"])
        + (vote_sum is not None and eq(b["good_ballots"], vote_sum))
    )


def _repair_ballots(numbers: dict[str, _Number], vote_sum: int | None) -> dict[str, int | None]:
    """Ballot statistics that satisfy the form's arithmetic when one reading is missing or misread."""
    fields = (
        "ballots_allocated",
        "ballots_used",
        "good_ballots",
        "bad_ballots",
        "no_vote_ballots",
        "ballots_remaining",
    )
    b = {f: numbers[f].value if f in numbers else None for f in fields}
    for _ in range(2):
        held = _rules_held(b, vote_sum)
        if held == 3 or (vote_sum is None and held == 2):
            break
        best = (held, b)
        # filling a value that could not be read beats overwriting one that was
        for f in sorted(fields, key=lambda name: b[name] is not None):
            options = _variants(numbers[f]) if f in numbers else []
            options += _solved(f, b, vote_sum)
            for v in options:
                trial = {**b, f: v}
                score = _rules_held(trial, vote_sum)
                if score > best[0]:
                    best = (score, trial)
        if best[1] is b:
            break
        b = best[1]
    return b


def _solved(field: str, b: dict[str, int | None], vote_sum: int | None) -> list[int]:
    """Values of `field` implied by the other operands of each rule it appears in."""

    def known(*names):
        return all(b[n] is not None for n in names)

    out = []
    used, good, bad, nv = b["ballots_used"], b["good_ballots"], b["bad_ballots"], b["no_vote_ballots"]
    if field == "ballots_used" and known("good_ballots", "bad_ballots", "no_vote_ballots"):
        out.append(good + bad + nv)  # type: ignore[operator]
    if field in ("good_ballots", "bad_ballots", "no_vote_ballots") and used is not None:
        others = [b[f] for f in ("good_ballots", "bad_ballots", "no_vote_ballots") if f != field]
        if None not in others:
            out.append(used - sum(others))  # type: ignore[arg-type]
    # the candidates' votes come last: a misread row that passed the words check is likelier than
    # two page-1 numbers that happen to balance
    if field == "good_ballots" and vote_sum is not None:
        out.append(vote_sum)
    if field == "ballots_allocated" and known("ballots_used", "ballots_remaining"):
        out.append(b["ballots_used"] + b["ballots_remaining"])  # type: ignore[operator]
    if field == "ballots_remaining" and known("ballots_allocated", "ballots_used"):
        out.append(b["ballots_allocated"] - b["ballots_used"])  # type: ignore[operator]
    if field == "ballots_used" and known("ballots_allocated", "ballots_remaining"):
        out.append(b["ballots_allocated"] - b["ballots_remaining"])  # type: ignore[operator]
    return [v for v in out if v >= 0]


def _renumber(rows: list[CandidateRow]) -> list[CandidateRow]:
    """Candidate numbers run 1, 2, 3 … down the table. A read number that skips ahead is kept only
    when the next row confirms it (rows were lost); otherwise it is a misread (``๔`` → ``๕``) or
    missing, and the row takes its predecessor + 1."""
    previous = 0
    for i, row in enumerate(rows):
        following = rows[i + 1].number if i + 1 < len(rows) else None
        confirmed = row.number is not None and row.number > previous and following == row.number + 1
        if row.number != previous + 1 and not confirmed:
            row.number = previous + 1
        previous = row.number  # type: ignore[assignment]
    return rows


def _is_title(compact: str) -> bool:
    compact = thai_digits_to_arabic(compact)
    return "5/18" in compact or SequenceMatcher(None, "แบบส.ส.5/18", compact, autojunk=False).ratio() >= 0.7


def parse_form_text(pages: Sequence[str] | str) -> FormExtraction:
    """Parse the OCR text of a form set's pages (in page order) into a `FormExtraction`."""
    page_texts = [pages] if isinstance(pages, str) else list(pages)
    values: dict[str, str] = {}
    scores: dict[str, float] = {}
    rows: list[CandidateRow] = []
    form_type = announcement = None
    for page in page_texts:
        labels_on_page, table_started = 0, False
        for raw_line in page.splitlines():
            line = normalize_line(raw_line)
            if not line.strip():
                continue
            compact, _ = _compact(line)
            if form_type is None and _is_title(compact):
                form_type = FORM_TYPE
                continue
            label = match_label(line)
            if label is not None:
                field, value, score = label
                labels_on_page += 1
                if value and score > scores.get(field, 0.0):  # the best-read occurrence of a label wins
                    values[field], scores[field] = value, score
                continue
            if _is_table_header(line):
                table_started = True
                continue
            if compact.startswith("ประกาศ") and announcement is None:
                announcement = line.split("ณ", 1)[-1]
                continue
            if compact.startswith(("หน้า", "ลงชื่อ", "(")):  # footer, signatures
                continue
            # on the statistics page a misread label line must not pass for a candidate row
            if labels_on_page >= 3 and not table_started:
                continue
            row = parse_candidate_row(line)
            if row is not None:
                rows.append(row)

    numbers = {f: _number_value(values[f]) for f in NUMBER_FIELDS if f in values}
    rows = _renumber(rows)
    good_read = numbers["good_ballots"].value if "good_ballots" in numbers else None
    votes = _choose_votes(rows, good_read)
    vote_sum = None if None in votes or not votes else sum(votes)  # type: ignore[arg-type]
    ballots = _repair_ballots(numbers, vote_sum)
    if ballots["good_ballots"] is not None and ballots["good_ballots"] != good_read:
        votes = _choose_votes(rows, ballots["good_ballots"])

    results = []
    for row, vote in zip(rows, votes):
        text = row.words_text
        results.append(
            VoteResult(
                candidate_number=row.number,
                candidate_name=row.name,
                party_name=row.party,
                vote_count=vote,
                vote_count_text=text,
            )
        )

    def number(field: str) -> int | None:
        return numbers[field].value if field in numbers else None

    return FormExtraction(
        form_info=FormInfo(
            form_type=form_type,
            province=_province(values["province"]) if "province" in values else None,
            district=_place_name(values["district"]) if "district" in values else None,
            sub_district=_place_name(values["sub_district"]) if "sub_district" in values else None,
            constituency_number=number("constituency_number"),
            polling_station_number=number("polling_station_number"),
            election_date=_election_date(values.get("election_date"), announcement),
        ),
        voter_statistics=VoterStatistics(
            eligible_voters=number("eligible_voters"), voters_present=number("voters_present")
        ),
        ballot_statistics=BallotStatistics(**ballots),
        vote_results=results,
    )
