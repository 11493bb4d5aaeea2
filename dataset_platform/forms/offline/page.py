"""One page → what is written where: form kind text, statistics readings, table rows, total row.

Runs in a worker process (see `reader`). Printed labels are read by Tesseract (``tha``) at a
modest resolution (labels are large print); handwritten numbers by the bundled PP-OCR recogniser
on crops cut next to those labels and inside the table's vote column.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dataset_platform.forms.offline.layout import Box, Table, deskew, find_table
from dataset_platform.forms.offline.recognise import _THAI_TO_ARABIC, Reading, leading_number, recognise_text
from dataset_platform.forms.thai import fix_ocr_thai, thai_digits_to_arabic

if TYPE_CHECKING:
    import numpy as np

# pages are read at this width (an A4 page at 200 dpi): table rules and handwriting scale with it
PAGE_WIDTH = 1654
LABEL_SCALE = 0.75  # Tesseract reads the printed labels at ~150 dpi: large print, half the time of 200 dpi
# share of the vote cell, from its left edge, where the digits are written (the words follow after "(")
DIGITS_SHARE = 0.45
# printed row numbers (Thai digits) read too poorly to number rows by; rows are numbered in order
READ_ROW_NUMBERS = False
# a flat dash read as zero is trusted like a sure digit; a reading whose whole-crop reading differs is not
DASH_SCORE = 0.95
SPLIT_SCORE = 0.85
VALUE_SPAN = 0.45  # a statistics value is written within this share of the page width after its label

# field → key phrases of its printed label (compact Thai, no spaces), most specific first.
# The value follows the label (after "จำนวน" where the form prints it).
STAT_LABELS: dict[str, tuple[str, ...]] = {
    "eligible_voters": ("ตามบัญชีรายชื่อผู้มีสิทธิ", "ตามบัญชีรายชื่อ", "จำนวนผู้มีสิทธิเลือกตั้ง"),
    "voters_present": ("ที่มาแสดงตน", "มาแสดงตน"),
    "ballots_allocated": ("ได้รับจัดสรร", "รับจัดสรร"),
    "ballots_received": ("ทั้งหมด",),
    "ballots_used": ("เลือกตั้งที่ใช้", "ตั้งที่ใช้"),
    "good_ballots": ("บัตรดี",),
    "bad_ballots": ("บัตรเสีย",),
    "no_vote_ballots": ("ไม่เลือก",),
    "ballots_remaining": ("ตั้งที่เหลือ", "ที่เหลือ"),
}
# where the printed label ends when its matching phrase is not its last word
STAT_ANCHORS: dict[str, tuple[str, ...]] = {
    "eligible_voters": ("ผู้มีสิทธิเลือกตั้ง",),
    "voters_present": ("เลือกตั้ง)", "แสดงตน"),
    "no_vote_ballots": ("ผู้ใด", "ใด"),
}
_AMOUNT = "จำนวน"
# what the recogniser makes of an empty dotted line and its printed brackets
_BLANK_MARKS = re.compile(r"[\s\.…·•,:;'\"`()（）\[\]|_。、Cc]")
_PROSE_MARKERS = ("ดำเนินการ", "ตามข้อ", "แยกเป็น", "ของผู้สมัคร", "ซอง")


@dataclass
class Word:
    text: str
    box: Box


@dataclass
class Line:
    text: str  # compact: Thai-normalised, no spaces
    words: list[Word]

    @property
    def box(self) -> Box:
        return Box(
            min(w.box.left for w in self.words),
            min(w.box.top for w in self.words),
            max(w.box.right for w in self.words),
            max(w.box.bottom for w in self.words),
        )


@dataclass
class RowReading:
    index: int  # 1-based row of this page's table
    printed_number: int | None  # the row number printed in the first column, as Tesseract read it
    reading: Reading


@dataclass
class PageReading:
    """Everything read from one page (picklable: it crosses the process pool)."""

    header_text: str = ""
    has_table: bool = False
    stats: dict[str, Reading] = field(default_factory=dict)
    rows: list[RowReading] = field(default_factory=list)
    total: Reading | None = None
    columns: int = 0
    warnings: list[str] = field(default_factory=list)


def compact(text: str) -> str:
    """Label-matching form: OCR Thai fixed, NFC, Thai digits → Arabic, no whitespace."""
    text = unicodedata.normalize("NFC", fix_ocr_thai(text)).replace("\u0e4d\u0e32", "\u0e33")
    return re.sub(r"\s+", "", thai_digits_to_arabic(text))


def normalise_page(image: object) -> np.ndarray:
    """Grayscale page at `PAGE_WIDTH` pixels wide, deskewed."""
    import numpy as np
    from PIL import Image

    gray = image.convert("L")  # type: ignore[attr-defined]
    if abs(gray.width - PAGE_WIDTH) > 40:
        scale = PAGE_WIDTH / gray.width
        gray = gray.resize((PAGE_WIDTH, max(1, round(gray.height * scale))), Image.Resampling.LANCZOS)
    return deskew(np.asarray(gray))


def tesseract_lines(gray: np.ndarray, scale: float = LABEL_SCALE, psm: int = 4) -> list[Line]:
    """Printed text lines with word boxes (in `gray`'s pixel coordinates)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import pytesseract
    from PIL import Image

    if gray.shape[0] < 10 or gray.shape[1] < 10:
        return []
    image = Image.fromarray(gray)
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    data = pytesseract.image_to_data(image, lang="tha", config=f"--psm {psm}", output_type=pytesseract.Output.DICT)
    grouped: dict[tuple[int, int, int], list[Word]] = {}
    for i, text in enumerate(data["text"]):
        if not text.strip():
            continue
        box = Box(
            round(data["left"][i] / scale),
            round(data["top"][i] / scale),
            round((data["left"][i] + data["width"][i]) / scale),
            round((data["top"][i] + data["height"][i]) / scale),
        )
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        grouped.setdefault(key, []).append(Word(text, box))
    lines = [Line("".join(compact(w.text) for w in words), words) for words in grouped.values()]
    return sorted(lines, key=lambda line: line.box.top)


def _key_end_x(line: Line, key: str) -> int | None:
    """x where the printed phrase `key` ends on the line (interpolated inside the word holding its end)."""
    text_pos = line.text.find(key)
    if text_pos < 0:
        return None
    end = text_pos + len(key)
    seen = 0
    for word in line.words:
        part = compact(word.text)
        if seen + len(part) >= end:
            inside = (end - seen) / max(1, len(part))
            return round(word.box.left + inside * word.box.width)
        seen += len(part)
    return line.box.right


def _word_at(line: Line, x: int) -> Word:
    def distance(w: Word) -> int:
        return 0 if w.box.left <= x <= w.box.right else min(abs(w.box.left - x), abs(w.box.right - x))

    return min(line.words, key=distance)


def _value_box(line: Line, field_name: str, key: str, page_width: int) -> Box | None:
    """Where the handwritten value of `field_name` sits on `line`: after the label (and its "จำนวน")."""
    for anchor in STAT_ANCHORS.get(field_name, ()):
        at = line.text.rfind(anchor)
        if at >= line.text.find(key):
            key = line.text[: at + len(anchor)]
            break
    x = _key_end_x(line, key)
    if x is None:
        return None
    after = line.text[line.text.find(key) + len(key) :]
    if _AMOUNT in after[:12]:  # 5/18 prints "... จำนวน <value> บัตร"
        x = _key_end_x(line, line.text[: line.text.find(key) + len(key)] + after[: after.find(_AMOUNT) + 5]) or x
    # the band of the label's own word: a Tesseract line may also hold handwriting from the lines around it
    word = _word_at(line, x - 2).box
    pad = round(word.height * 0.6)  # handwriting rises above the dotted line
    right = min(page_width, x + round(VALUE_SPAN * page_width))
    return Box(x + 4, max(0, word.top - pad), right, word.bottom + pad // 3)


def ink_clusters(crop: np.ndarray) -> list[tuple[int, int]]:
    """x-ranges of groups of strokes in a one-line crop, left to right; dots of the dotted line and
    specks are not strokes. Groups are split where the gap is wider than half the stroke height."""
    import cv2

    h = crop.shape[0]
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if (ink > 0).mean() > 0.5:  # a blank crop: Otsu split paper noise
        return []
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    spans = []
    for i in range(1, count):
        x, y, cw, ch, area = stats[i]
        if ch >= 0.22 * h or (cw >= 0.18 * h and ch <= 0.15 * h and area >= 0.02 * h * h):
            spans.append((int(x), int(x + cw)))
    if not spans:
        return []
    spans.sort()
    gap = max(6, round(0.3 * h))
    clusters = [list(spans[0])]
    for left, right in spans[1:]:
        if left - clusters[-1][1] <= gap:
            clusters[-1][1] = max(clusters[-1][1], right)
        else:
            clusters.append([left, right])
    return [(a, b) for a, b in clusters]


def _is_blank(text: str) -> bool:
    return not _BLANK_MARKS.sub("", text)


def _read_crop(gray: np.ndarray, box: Box, max_clusters: int = 3) -> Reading:
    """The number written first in `box`: each group of strokes is recognised in turn until one starts
    with digits; the whole crop is recognised as a second opinion."""
    crop = gray[max(0, box.top) : box.bottom, max(0, box.left) : box.right]
    if crop.size == 0 or crop.shape[0] < 8 or crop.shape[1] < 8:
        return Reading("", None, 0.0)
    clusters = ink_clusters(crop)
    if not clusters:
        return Reading("", None, 1.0, blank=True)
    pad = max(4, crop.shape[0] // 6)
    texts = []
    for left, right in clusters[:max_clusters]:
        piece = crop[:, max(0, left - pad) : min(crop.shape[1], right + pad)]
        text, score = recognise_text(piece)
        thai_others: tuple[int, ...] = ()
        if not re.search(r"[0-9]", text) and not text.lstrip(" .…").startswith(("(", "（")) and not _is_zero(text):
            thai = _thai_digits(piece)  # PP-OCR's character set has no Thai digits
            if thai is not None:
                text, score, thai_others = thai
        if text.lstrip(" .…").startswith(("(", "（")):
            break  # the bracketed number words begin: no digits were written before them
        texts.append(text)
        value = leading_number(text)
        if value is not None:
            digits = re.sub(r"[^0-9๐-๙]", "", text)
            if not digits:
                # a lone dash is how the forms write zero: sure when the ink is one flat stroke
                score = max(score, DASH_SCORE) if value == 0 and _is_dash(piece) else score * 0.5
            elif len(digits) > 1 and digits[0] in "0๐":
                score *= 0.5  # nobody writes a leading zero: a stray mark or a split digit
            whole, _ = recognise_text(crop)
            alternatives = _alternatives(whole, value) + tuple(a for a in thai_others if a != value)
            if alternatives:
                score = min(score, SPLIT_SCORE)  # two crops of the same ink disagree: only arithmetic decides
            return Reading(text, value, score, alternatives=alternatives)
    if all(_is_blank(t) for t in texts):
        return Reading(" ".join(texts), None, 1.0, blank=True)
    return Reading(" ".join(texts), None, 0.0)


def _is_zero(text: str) -> bool:
    """The recogniser saw a dash (zero), not letters that may be Thai digits."""
    return leading_number(text) == 0 and not re.search(r"[0-9A-Za-z]", text)


def _is_dash(piece: np.ndarray) -> bool:
    """One flat stroke (a handwritten `-`): the largest ink blob is much wider than tall, low in the crop's
    height, and no other blob comes near its size (paper specks and dots are ignored)."""
    import cv2
    import numpy as np

    _, ink = cv2.threshold(piece, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 2:
        return False
    areas = stats[1:, cv2.CC_STAT_AREA]
    order = np.argsort(areas)[::-1]
    _, _, width, height, area = stats[1 + order[0]]
    second = areas[order[1]] if len(order) > 1 else 0
    return width >= 2.5 * height and height <= 0.3 * piece.shape[0] and second < 0.25 * area


def _thai_digits(piece: np.ndarray) -> tuple[str, float, tuple[int, ...]] | None:
    """Thai digits (๐-๙) in a stroke group, read by Tesseract ``tha`` restricted to them; None if none.

    Tesseract splits handwritten digits into one word each: every digit of the group is one number. Read as a
    word (psm 8) and as a line (psm 7); the line reading, when it differs, is an alternative for arithmetic."""
    import pytesseract
    from PIL import Image

    readings = []
    for psm in (8, 7):
        data = pytesseract.image_to_data(
            Image.fromarray(piece),
            lang="tha",
            config=f"--psm {psm} -c tessedit_char_whitelist=๐๑๒๓๔๕๖๗๘๙",
            output_type=pytesseract.Output.DICT,
        )
        words = [(t.strip(), float(c)) for t, c in zip(data["text"], data["conf"]) if t.strip() and float(c) >= 0]
        if words and all(re.fullmatch("[๐-๙]+", t) for t, _ in words):
            readings.append(("".join(t for t, _ in words), sum(c for _, c in words) / len(words)))
    if not readings:
        return None
    text, conf = readings[0]
    others = tuple(int(t.translate(_THAI_TO_ARABIC)) for t, _ in readings[1:] if t != text)
    return text, 0.55 * conf / 100, others  # below CONFIDENT_SCORE: returned only when arithmetic verifies it


def _alternatives(text: str, value: int) -> tuple[int, ...]:
    other = leading_number(text)
    return (other,) if other is not None and other != value else ()


def find_stat_lines(lines: list[Line]) -> dict[str, tuple[Line, str]]:
    """field → (line, key) for each statistics label found: a field's most specific phrase is looked
    for on every line before its looser ones (a section heading repeats the start of a label)."""
    found: dict[str, tuple[Line, str]] = {}
    usable = [line for line in lines if not any(marker in line.text for marker in _PROSE_MARKERS)]
    taken: set[int] = set()
    for name, keys in STAT_LABELS.items():
        for key in keys:
            hit = next(
                (line for line in usable if id(line) not in taken and key in line.text and _fits(name, line.text)), None
            )
            if hit is not None:
                found[name] = (hit, key)
                taken.add(id(hit))
                break
    return found


def _fits(name: str, text: str) -> bool:
    if name == "ballots_received":
        return "ได้รับบัตร" in text
    if name == "ballots_used":
        return "ได้รับ" not in text
    if name == "eligible_voters":
        return "มาแสดงตน" not in text
    return True


def _row_numbers(gray: np.ndarray, table: Table, first_row: int, last_row: int) -> dict[int, int]:
    """Printed row numbers (Thai digits) of the first column, by table row."""
    col = table.cell(first_row, 0)
    top, bottom = table.ys[first_row], table.ys[last_row]
    crop = gray[top:bottom, col.left + 4 : col.right - 4]
    numbers: dict[int, int] = {}
    for line in tesseract_lines(crop, scale=0.75, psm=6):
        digits = re.sub(r"[^0-9]", "", line.text)
        if not digits or len(digits) > 3:
            continue
        centre = top + (line.box.top + line.box.bottom) // 2
        for r in range(first_row, last_row):
            if table.ys[r] <= centre < table.ys[r + 1]:
                numbers.setdefault(r - first_row + 1, int(digits))
    return numbers


def _expected_stats(header_text: str) -> set[str]:
    """The statistics labels this form kind prints (from its header text)."""
    ballots = {"good_ballots", "bad_ballots", "no_vote_ballots"}
    if "นอกเขตเลือกตั้ง" in header_text or "ก่อนวันเลือกตั้ง" in header_text or "ชุดที่" in header_text:
        return ballots | {"ballots_received"}
    return ballots | {"eligible_voters", "voters_present", "ballots_allocated", "ballots_used", "ballots_remaining"}


def read_page(image: object) -> PageReading:
    """Read one page (a PIL image)."""
    gray = normalise_page(image)
    h, w = gray.shape
    table = find_table(gray)
    result = PageReading()
    top_of_table = table.ys[0] if table is not None else h
    # the labels above the table (the whole page when it has none: a statistics or signature page)
    lines = tesseract_lines(gray[:top_of_table])
    result.header_text = "".join(line.text for line in lines)
    found = find_stat_lines(lines)
    expected = _expected_stats(result.header_text)
    if found and expected - set(found) and top_of_table > h // 4:
        # Tesseract's page segmentation skipped a label line: read the statistics band as plain rows
        band_top = min(line.box.top for line, _ in found.values())
        band_bottom = min(top_of_table, max(line.box.bottom for line, _ in found.values()) + 200)
        band_top = max(0, band_top - (band_bottom - band_top))
        again = tesseract_lines(gray[band_top:band_bottom], psm=6)
        for line in again:
            line.words = [
                Word(w.text, Box(w.box.left, w.box.top + band_top, w.box.right, w.box.bottom + band_top))
                for w in line.words
            ]
        for name, hit in find_stat_lines(again).items():
            found.setdefault(name, hit)
    for name, (line, key) in found.items():
        box = _value_box(line, name, key, w)
        if box is not None:
            result.stats[name] = _read_crop(gray, box, max_clusters=2)
    if table is None:
        return result
    result.has_table = True
    result.columns = len(table.xs) - 1
    # table rows: skip the header (the first row, or rows before the first split one); the last merged
    # row after data rows is the total
    rows = list(range(table.rows))
    first = next((r for r in rows if not table.merged[r] and r > 0), 1)
    total_row = None
    if table.rows - 1 > first and table.merged[-1]:
        total_row = table.rows - 1
    last = total_row if total_row is not None else table.rows
    # the real forms write digits then words in the last column; a table with separate digit and word
    # columns (5+) has the digits in the one before last
    vote_col, share = (len(table.xs) - 3, 1.0) if result.columns >= 5 else (len(table.xs) - 2, DIGITS_SHARE)

    def digits_box(row: int) -> Box:
        cell = table.cell(row, vote_col)
        return Box(cell.left + 6, cell.top + 3, cell.left + round(cell.width * share) - 4, cell.bottom - 2)

    numbers = _row_numbers(gray, table, first, last) if READ_ROW_NUMBERS else {}
    for r in range(first, last):
        result.rows.append(RowReading(r - first + 1, numbers.get(r - first + 1), _read_crop(gray, digits_box(r))))
    if total_row is not None:
        result.total = _read_crop(gray, digits_box(total_row))
    return result
