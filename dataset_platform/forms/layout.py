"""The real Election Commission layouts of every form kind, with every filled value handwritten (DESIGN.md).

ส.ส. 5/18: page 1 = header (date, station, moo, sub-district, district, constituency, province), voter and
ballot statistics, the candidate table with printed names and its total row; page 2 = signatures.
ส.ส. 5/16 and 5/17 (advance-vote batches): the same two pages with the batch header (ชุดที่), ballots
received, good, bad and no-vote only, and handwritten candidate and party names. Party-list ``(บช)``
variants: 4 pages, the party table (printed list number and name) over pages 1–3, signatures on page 4.
Printed clause and row numbers use Thai digits; a zero is written ``-`` with no words.

`render_real_pages` returns the pages and what was written where (`Drawn`), so tests can check that
the ink the ground truth promises is on the page.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dataset_platform.forms.handwriting import Hand, scribble, text_width, write
from dataset_platform.forms.schema import FormExtraction, VoteResult
from dataset_platform.forms.thai import BUDDHIST_ERA_OFFSET, THAI_MONTHS, arabic_to_thai_digits, int_to_thai_words

if TYPE_CHECKING:
    from PIL import Image, ImageFont

    from dataset_platform.forms.render import RenderOptions

A4_INCHES = (8.27, 11.69)
PAPER = (252, 251, 247)
PRINT_INK = (18, 18, 18)
DOTS = (70, 70, 70)

TOP_NOTE = "ชุดที่ ๑ เก็บไว้ในเล่มเพื่อส่งคณะกรรมการการเลือกตั้งประจำเขตเลือกตั้ง"
TITLES = {
    "5/18": "รายงานผลการนับคะแนนสมาชิกสภาผู้แทนราษฎร",
    "5/17": "รายงานผลการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งและนอกราชอาณาจักร",
    "5/16": "รายงานผลการนับคะแนนบัตรเลือกตั้งที่ออกเสียงลงคะแนนก่อนวันเลือกตั้งในเขตเลือกตั้ง",
}
BALLOT_KIND = {False: "แบบแบ่งเขตเลือกตั้ง", True: "แบบบัญชีรายชื่อ"}
COUNTING_PLACES = (
    "ที่ว่าการอำเภอ{d}",
    "หอประชุมอำเภอ{d}",
    "โรงเรียน{d}วิทยา",
    "ศาลากลางจังหวัด{p}",
    "อาคารอเนกประสงค์อำเภอ{d}",
)
SIGN_ROLES = {
    "5/18": ("ประธานกรรมการประจำหน่วยเลือกตั้ง", "กรรมการประจำหน่วยเลือกตั้ง"),
    "batch": ("ประธานกรรมการนับคะแนนบัตรเลือกตั้ง", "กรรมการนับคะแนนบัตรเลือกตั้ง"),
}
REMARK = "( สำหรับระบุเหตุที่ผลการนับคะแนนเลือกตั้งปรากฏจำนวนผู้มาใช้สิทธิเลือกตั้งไม่ตรงกับจำนวนบัตรเลือกตั้งที่ใช้ออกเสียงลงคะแนน )"
NOTES = (
    "๑. ปิดประกาศ ณ ที่เลือกตั้ง จำนวน ๑ ชุด",
    "๒. ใส่ถุงวัสดุใสซึ่งบรรจุบัตรเลือกตั้งที่นับเป็นคะแนนแล้ว จำนวน ๑ ชุด",
    "๓. เก็บไว้ในเล่มเพื่อส่งคณะกรรมการการเลือกตั้งประจำเขตเลือกตั้ง จำนวน ๑ ชุด",
)
PARTY_ROWS = (10, 24)  # party rows on page 1 and page 2; the rest and the total row on page 3


def th(value: object) -> str:
    """Printed numbers on the form are in Thai digits."""
    return arabic_to_thai_digits(str(value))


def form_kind(form_type: str | None) -> tuple[str, bool]:
    """``"ส.ส. 5/17 (บช)"`` → ``("5/17", True)``; anything unknown is treated as a 5/18."""
    text = (form_type or "").translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
    kind = next((k for k in ("5/16", "5/17", "5/18") if k in text), "5/18")
    return kind, "บช" in text


@dataclass(frozen=True)
class Drawn:
    """One handwritten value: its page (1-based), the ground-truth field path, the text and its ink box."""

    page: int
    field: str
    text: str
    box: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class Layout:
    """What a handwritten render put where: ``values`` (handwritten) and ``labels`` (printed)."""

    values: tuple[Drawn, ...] = ()
    labels: tuple[Drawn, ...] = ()

    def value(self, field: str) -> Drawn:
        return next(d for d in self.values if d.field == field)

    def label(self, field: str) -> Drawn:
        return next(d for d in self.labels if d.field == field)


@dataclass(frozen=True)
class _Blank:
    """A dotted answer line ``width`` font-sizes wide, with an optional handwritten value."""

    width: float
    value: str = ""
    field: str = ""


class _Form:
    """Shared state of one form set: options, randomness, the writers and the record of what was drawn."""

    def __init__(self, e: FormExtraction, options: RenderOptions, rng: random.Random):
        from dataset_platform.forms.render import resolve_font

        self.e, self.options, self.rng = e, options, rng
        self.kind, self.party_list = form_kind(e.form_info.form_type)
        self.batch = self.kind in ("5/16", "5/17")
        self.fs = round(options.font_size * 0.85)  # the real forms set more text on a line than the printed look
        self.regular = resolve_font(options.typeface)
        self.bold = resolve_font(f"{options.typeface}:style=Bold")
        self.hand = Hand.random(rng, self.fs * 1.25)
        # a second committee member fills the table now and then
        self.table_hand = self.hand if rng.random() < 0.6 else Hand.random(rng, self.fs * 1.2)
        self.drawn: list[Drawn] = []
        self.labels: list[Drawn] = []  # printed labels of the statistics and the total row (field = the value's)

    def number(self, value: int | None, hand: Hand) -> str:
        """How a writer puts a count on paper: ``-`` for zero, Arabic or Thai digits, rarely a comma."""
        if value is None:
            return ""
        if value == 0:
            return "-"
        text = f"{value:,}" if value >= 1000 and self.rng.random() < 0.15 else str(value)
        return th(text) if self.rng.random() < hand.thai_digits else text

    def words(self, value: int | None, hand: Hand, unit: str = "", truth: str | None = None) -> str:
        if not value:
            return ""
        text = truth or int_to_thai_words(value)
        if unit and self.rng.random() < hand.unit_words:
            text += unit
        if self.rng.random() < hand.dash_words:
            text = f"- {text} -"
        return text


class _Sheet:
    """One A4 page: printed text in the form's typeface, dotted answer lines, handwriting on them."""

    def __init__(self, form: _Form, page_no: int):
        from PIL import Image, ImageDraw

        self.form, self.page_no = form, page_no
        dpi = form.options.dpi
        self.width, self.height = (round(d * dpi) for d in A4_INCHES)
        self.margin = round(0.55 * dpi)
        self.image = Image.new("RGB", (self.width, self.height), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.fs = form.fs
        self.lh = round(self.fs * 1.42)
        self.y = round(0.45 * dpi) + self.fs  # baseline of the next line

    def font(self, size: float | None = None, bold: bool = False) -> ImageFont.FreeTypeFont:
        from dataset_platform.forms.render import _font

        return _font(self.form.bold if bold else self.form.regular, round(size or self.fs))

    def tw(self, text: str, size: float | None = None, bold: bool = False) -> float:
        return self.draw.textlength(text, font=self.font(size, bold))

    def text(self, x: float, text: str, size: float | None = None, bold: bool = False, y: float | None = None) -> float:
        """Printed text with its left end at ``x`` on the baseline; returns the x after it."""
        self.draw.text((x, self.y if y is None else y), text, font=self.font(size, bold), fill=PRINT_INK, anchor="ls")
        return x + self.tw(text, size, bold)

    def label(
        self, x: float, text: str, field: str, size: float | None = None, bold: bool = False, y: float | None = None
    ) -> None:
        """Remember where a printed label sits (tests check that its value is written beside it)."""
        box = self.draw.textbbox((x, self.y if y is None else y), text, font=self.font(size, bold), anchor="ls")
        x0, y0, x1, y1 = box
        self.form.labels.append(Drawn(self.page_no, field, text, (round(x0), round(y0), round(x1), round(y1))))

    def centered(
        self, text: str, size: float | None = None, bold: bool = False, width: float | None = None, advance: bool = True
    ) -> None:
        size = size or self.fs
        limit = width or (self.width - 2 * self.margin)
        while size > 10 and self.tw(text, size, bold) > limit:
            size -= 1
        self.text((self.width - self.tw(text, size, bold)) / 2, text, size, bold)
        if advance:
            self.y += round(self.lh * size / self.fs)

    def dots(self, x0: float, x1: float, y: float | None = None) -> None:
        y = (self.y if y is None else y) + max(2, self.fs // 10)
        step = max(3, round(self.fs / 7))
        for dx in range(round(x0), round(x1), step):
            self.draw.point((dx, y), fill=DOTS)
            if self.fs > 26:
                self.draw.point((dx + 1, y), fill=DOTS)

    def handwrite(
        self, x0: float, x1: float, value: str, field: str, hand: Hand | None = None, y: float | None = None
    ) -> None:
        """Write ``value`` somewhere on the dotted line from x0 to x1, as a person would."""
        if not value:
            return
        hand = hand or self.form.hand
        rng = self.form.rng
        room = x1 - x0
        vw = min(text_width(value, hand), room * 0.96)
        start = x0 + max(1.0, (room - vw) * rng.uniform(0.05, 0.55))
        base = (self.y if y is None else y) - rng.uniform(0.0, 0.18) * self.fs  # written just above the dots
        box = write(self.image, start, base, value, hand, rng, max_width=x1 - start)
        if field:
            self.form.drawn.append(Drawn(self.page_no, field, value, box))

    def line(
        self, parts: list[str | _Blank], x: float | None = None, hand: Hand | None = None, advance: bool = True
    ) -> float:
        """Printed words and dotted blanks side by side; a blank widens to fit its value, and the blanks
        give back their spare room when the line would run past the right margin."""
        x = self.margin if x is None else x
        gap = self.fs * 0.22
        hand = hand or self.form.hand
        need = {
            i: text_width(p.value, hand) * 1.12 + self.fs * 0.5
            for i, p in enumerate(parts)
            if isinstance(p, _Blank) and p.value
        }
        widths = {i: max(p.width * self.fs, need.get(i, 0.0)) for i, p in enumerate(parts) if isinstance(p, _Blank)}
        printed = sum(self.tw(p) for p in parts if isinstance(p, str)) + gap * (len(parts) - 1)
        spare = sum(w - need.get(i, self.fs * 1.2) for i, w in widths.items())
        overflow = x + printed + sum(widths.values()) - (self.width - self.margin)
        if overflow > 0 and spare > 0:
            keep = max(0.0, 1 - overflow / spare)
            least = {i: need.get(i, self.fs * 1.2) for i in widths}
            widths = {i: least[i] + (w - least[i]) * keep for i, w in widths.items()}
        for i, part in enumerate(parts):
            if isinstance(part, str):
                x = self.text(x, part) + gap
                continue
            self.dots(x, x + widths[i])
            self.handwrite(x, x + widths[i], part.value, part.field, hand)
            x += widths[i] + gap
        if advance:
            self.y += self.lh
        return x

    def flow(self, parts: list[str | _Blank], indent: float = 0.0, hand: Hand | None = None) -> None:
        """A paragraph: printed words and blanks wrapped at the right margin, the first line indented.

        Printed strings break at spaces (kept) and at ``|`` (a break point with no space, as Thai needs)."""
        hand = hand or self.form.hand
        tokens: list[tuple[str | _Blank, float, bool]] = []  # (token, width, space after)
        for part in parts:
            if isinstance(part, _Blank):
                width = part.width * self.fs
                if part.value:
                    width = max(width, text_width(part.value, hand) * 1.12 + self.fs * 0.5)
                tokens.append((part, width, True))
                continue
            for word in part.split(" "):
                pieces = word.split("|")
                for k, piece in enumerate(pieces):
                    if piece:
                        tokens.append((piece, self.tw(piece), k == len(pieces) - 1))
        gap, right = self.fs * 0.22, self.width - self.margin
        x = self.margin + indent
        for token, width, space in tokens:
            if x + width > right and x > self.margin + indent + 1:
                self.y += self.lh
                x = self.margin
            if isinstance(token, str):
                self.text(x, token)
            else:
                self.dots(x, x + width)
                self.handwrite(x, x + width, token.value, token.field, hand)
            x += width + (gap if space else 0.0)
        self.y += self.lh

    def header(self) -> None:
        """The top of every page: the copy note, the page number, the form-type and colour boxes."""
        f = self.form
        note = f"{TOP_NOTE} ({BALLOT_KIND[f.party_list]})"
        self.centered(
            note, size=self.fs * 0.78, bold=True, width=self.width - 2 * self.margin - self.fs * 2, advance=False
        )
        label = f"ส.ส. {th(f.kind)}" + (" (บช)" if f.party_list else "")
        box_w, box_h = self.tw(label, self.fs * 0.85) + self.fs * 1.2, self.fs * 1.45
        x1 = self.width - self.margin
        for i, (text, bold) in enumerate(((label, False), ("สีขาว", True))):
            top = self.y + self.fs * 0.5 + i * (box_h + self.fs * 0.45)
            x0 = x1 - box_w if i == 0 else x1 - self.fs * 3.6
            self.draw.rectangle((x0, top, x1, top + box_h), outline=PRINT_INK, width=max(1, self.fs // 14))
            size = self.fs * 0.85
            self.text((x0 + x1 - self.tw(text, size, bold)) / 2, text, size, bold, y=top + box_h * 0.72)
        if self.page_no > 1:
            self.y += round(self.fs * 1.05)
            self.centered(f"- {th(self.page_no)} -", size=self.fs * 0.8)
            self.y += round(box_h * 2.2)
        else:
            self.emblem()
        self.y += self.fs // 2

    def emblem(self) -> None:
        """A stylised Garuda where the real form prints the national emblem."""
        cx, top, s = self.width / 2, self.y + self.fs * 0.2, self.fs * 2.6
        d, ink, w = self.draw, (40, 40, 40), max(1, self.fs // 12)
        d.ellipse((cx - s * 0.16, top, cx + s * 0.16, top + s * 0.3), outline=ink, width=w)
        d.polygon(
            [
                (cx - s * 0.2, top + s * 0.32),
                (cx + s * 0.2, top + s * 0.32),
                (cx + s * 0.12, top + s * 1.1),
                (cx - s * 0.12, top + s * 1.1),
            ],
            outline=ink,
            width=w,
        )
        for side in (-1, 1):
            for k in range(6):
                x_end = cx + side * s * (0.35 + 0.1 * k)
                y_end = top + s * (0.15 + 0.08 * k)
                d.line([(cx + side * s * 0.2, top + s * (0.4 + 0.06 * k)), (x_end, y_end)], fill=ink, width=w)
        d.arc((cx - s * 0.35, top + s * 0.95, cx + s * 0.35, top + s * 1.45), 200, 340, fill=ink, width=w)
        self.y = round(top + s * 1.5 + self.fs * 1.2)


def _header_5_18(s: _Sheet) -> None:
    f, fi = s.form, s.form.e.form_info
    s.centered(TITLES["5/18"] + BALLOT_KIND[f.party_list], bold=True, size=s.fs * 1.05)
    s.y += s.lh // 3
    day = month = year = ""
    if fi.election_date:
        y, m, d = (int(p) for p in fi.election_date.split("-"))
        day, month, year = f.number(d, f.hand), THAI_MONTHS[m - 1], f.number(y + BUDDHIST_ERA_OFFSET, f.hand)
        year = year.replace(",", "")
    moo = f.rng.randint(1, 12)
    s.flow(
        [
            "ตามที่ได้มี|พระราชกฤษฎีกา|ให้มี|การเลือกตั้ง|สมาชิก|สภาผู้แทนราษฎร และ|คณะกรรมการ|การเลือกตั้ง",
            "ได้กำหนด|ให้|วันที่",
            _Blank(2.2, day, "form_info.election_date.day"),
            "เดือน",
            _Blank(4.5, month, "form_info.election_date.month"),
            "พ.ศ.",
            _Blank(3.2, year, "form_info.election_date.year"),
            "เป็น|วันเลือกตั้ง นั้น",
        ],
        indent=s.fs * 3.2,
    )
    s.flow(
        [
            "บัดนี้ คณะกรรมการ|ประจำ|หน่วยเลือกตั้ง|ได้|ดำเนินการ|นับคะแนน|สมาชิก|สภาผู้แทนราษฎร|" + BALLOT_KIND[f.party_list],
            "ของ|หน่วยเลือกตั้งที่",
            _Blank(2.2, f.number(fi.polling_station_number, f.hand), "form_info.polling_station_number"),
            "หมู่ที่",
            _Blank(1.8, th(moo) if f.hand.thai_digits > 0.5 else str(moo)),
            "ตำบล/แขวง/เทศบาล",
            _Blank(4.5, fi.sub_district or "", "form_info.sub_district"),
            "อำเภอ/เขต",
            _Blank(4.5, fi.district or "", "form_info.district"),
            "เขตเลือกตั้งที่",
            _Blank(2.0, f.number(fi.constituency_number, f.hand), "form_info.constituency_number"),
            "จังหวัด",
            _Blank(4.5, fi.province or "", "form_info.province"),
            "เสร็จสิ้น|เป็นที่|เรียบร้อย|แล้ว ดังนั้น จึง|ขอ|รายงาน|ผลการ|นับคะแนน|ของ|หน่วย|เลือกตั้ง|ดังกล่าว ดังนี้",
        ],
        indent=s.fs * 3.2,
    )


def _header_batch(s: _Sheet) -> None:
    f, fi = s.form, s.form.e.form_info
    s.centered(TITLES[f.kind] + BALLOT_KIND[f.party_list], bold=True, size=s.fs * 1.0)
    s.y += s.lh // 4
    place = f.rng.choice(COUNTING_PLACES).format(d=f.rng.choice(("เมือง", "สูงเม่น", "เด่นชัย", "ลอง")), p=fi.province or "")
    constituency = f.number(fi.constituency_number, f.hand)
    s.flow(
        [
            "ณ สถานที่|นับคะแนน",
            _Blank(9, place),
            "เขตเลือกตั้งที่",
            _Blank(1.8, constituency, "form_info.constituency_number"),
            "จังหวัด",
            _Blank(4, fi.province or "", "form_info.province"),
        ],
        indent=s.fs * 2,
    )
    s.centered("-" * 24)
    s.y += s.lh // 2
    batch = str(f.rng.randint(1, 20))
    received = f.number(f.e.ballot_statistics.ballots_used, f.hand)
    kind = BALLOT_KIND[f.party_list]
    if f.kind == "5/17":
        s.flow(
            [
                "คณะกรรมการ|นับคะแนน|บัตรเลือกตั้ง|นอกเขต|เลือกตั้ง|และ|นอก|ราชอาณาจักร ชุดที่",
                _Blank(1.8, batch),
                "เขตเลือกตั้งที่",
                _Blank(1.6, constituency),
                "จังหวัด",
                _Blank(3.5, fi.province or ""),
                "ได้รับ|ซอง|ใส่|บัตรเลือกตั้ง|จาก บริษัท ไปรษณีย์ไทย จำกัด หรือ|ผู้แทน|หน่วยงาน หรือ|องค์กร|ที่"
                "|คณะกรรมการ|การเลือกตั้ง|มอบหมาย จำนวน",
                _Blank(3, received),
                "ซอง และ|ได้|ตรวจนับ|จำนวน|บัตรเลือกตั้ง|ใน|ซอง|ใส่|บัตรเลือกตั้ง|แล้ว มี|จำนวน",
                _Blank(3, received),
                f"บัตร จึง|ได้|ดำเนินการ|นับคะแนน|บัตรเลือกตั้ง|นอกเขต|เลือกตั้ง|และ|นอก|ราชอาณาจักร|{kind}"
                "|เสร็จ|เรียบร้อย|แล้ว ขอ|รายงาน|ผลการ|นับคะแนน ดังนี้",
            ],
            indent=s.fs * 3.2,
        )
    else:
        s.flow(
            [
                "ด้วย|คณะกรรมการ|นับคะแนน|บัตรเลือกตั้ง|ใน|เขตเลือกตั้ง ชุดที่",
                _Blank(1.6, batch),
                "เขตเลือกตั้งที่",
                _Blank(1.6, constituency),
                "จังหวัด",
                _Blank(3.5, fi.province or ""),
                "ได้รับ|บัตรเลือกตั้ง|ที่|ออกเสียง|ลงคะแนน|ก่อน|วันเลือกตั้ง|จาก|คณะกรรมการ|การเลือกตั้ง"
                "|ประจำ|เขตเลือกตั้ง"
                " จึง|ได้|ดำเนินการ|นับคะแนน|บัตรเลือกตั้ง|ที่|ออกเสียง|ลงคะแนน|ก่อน|วันเลือกตั้ง|ใน|เขตเลือกตั้ง|"
                f"{kind}|เสร็จ|เรียบร้อย|แล้ว ขอ|รายงาน|ผลการ|นับคะแนน ดังนี้",
            ],
            indent=s.fs * 3.2,
        )


def _stat_line(
    s: _Sheet,
    label: str,
    value: int | None,
    field: str,
    unit: str,
    indent: float,
    column: float,
    with_amount: bool = True,
) -> None:
    """``๒.๒.๑ บัตรดี ..... จำนวน ..(digits).. บัตร (..(words)..)``."""
    f = s.form
    s.label(s.margin + indent, label, field)
    x = max(column, s.text(s.margin + indent, label) + s.fs * 0.4)
    if with_amount:
        x = s.text(x, "จำนวน") + s.fs * 0.15
    digits_w = s.fs * 3.4
    s.dots(x, x + digits_w)
    s.handwrite(x, x + digits_w, f.number(value, f.hand), f"{field}")
    x = s.text(x + digits_w + s.fs * 0.2, f"{unit} (") + s.fs * 0.05
    end = s.width - s.margin - s.fs * 0.4
    s.dots(x, end)
    s.handwrite(x, end, f.words(value, f.hand, unit), "")
    s.text(end + s.fs * 0.05, ")")
    s.y += s.lh


def _statistics(s: _Sheet) -> None:
    f = s.form
    vs, bs = f.e.voter_statistics, f.e.ballot_statistics
    no_vote_label = "บัตรที่ไม่เลือกบัญชีรายชื่อของพรรคการเมืองใด" if f.party_list else "บัตรที่ไม่เลือกผู้สมัครผู้ใด"
    in_1, in_2, in_3 = s.fs * 1.6, s.fs * 2.6, s.fs * 3.6
    if not f.batch:
        column = s.width * 0.575
        s.text(s.margin + in_1, "๑. จำนวนผู้มีสิทธิเลือกตั้ง")
        s.y += s.lh
        _stat_line(
            s,
            "๑.๑ จำนวนผู้มีสิทธิเลือกตั้งตามบัญชีรายชื่อผู้มีสิทธิเลือกตั้ง",
            vs.eligible_voters,
            "voter_statistics.eligible_voters",
            "คน",
            in_2,
            column,
        )
        _stat_line(
            s,
            "๑.๒ จำนวนผู้มีสิทธิเลือกตั้งที่มาแสดงตน (เฉพาะวันเลือกตั้ง)",
            vs.voters_present,
            "voter_statistics.voters_present",
            "คน",
            in_2,
            column,
        )
        s.text(s.margin + in_1, "๒. จำนวนบัตรเลือกตั้ง")
        s.y += s.lh
        rows = (
            ("๒.๑ จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร", bs.ballots_allocated, "ballots_allocated", in_2),
            ("๒.๒ จำนวนบัตรเลือกตั้งที่ใช้", bs.ballots_used, "ballots_used", in_2),
            ("๒.๒.๑ บัตรดี", bs.good_ballots, "good_ballots", in_3),
            ("๒.๒.๒ บัตรเสีย", bs.bad_ballots, "bad_ballots", in_3),
            (f"๒.๒.๓ {no_vote_label}", bs.no_vote_ballots, "no_vote_ballots", in_3),
            ("๒.๓ จำนวนบัตรเลือกตั้งที่เหลือ", bs.ballots_remaining, "ballots_remaining", in_2),
        )
        for label, value, field, indent in rows:
            _stat_line(s, label, value, f"ballot_statistics.{field}", "บัตร", indent, column)
        s.text(
            s.margin + in_1,
            "๓. จำนวนคะแนนที่ผู้สมัครรับเลือกตั้งแต่ละคนได้รับเรียงตามลำดับหมายเลขประจำตัวผู้สมัคร"
            if not f.party_list
            else "๓. จำนวนคะแนนที่พรรคการเมืองได้รับเรียงตามลำดับหมายเลขของบัญชีรายชื่อ",
        )
        s.y += round(s.lh * 0.6)
        return
    received = "ได้รับบัตรเลือกตั้ง แบบบัญชีรายชื่อ ทั้งหมด" if f.party_list else "ได้รับบัตรเลือกตั้ง ทั้งหมด"
    s.line(
        [f"๑. {received}", _Blank(3.2, f.number(bs.ballots_used, f.hand), "ballot_statistics.ballots_used"), "บัตร"],
        x=s.margin + in_2,
    )
    s.flow(["๒. คณะกรรมการ|นับคะแนน|บัตรเลือกตั้ง|ได้|ดำเนินการ|นับ|บัตรเลือกตั้ง|ตาม|ข้อ ๑ ปรากฏ|ผล ดังนี้"], indent=in_2)
    column = s.width * 0.5
    for label, value, field in (
        ("๒.๑ บัตรดี", bs.good_ballots, "good_ballots"),
        ("๒.๒ บัตรเสีย", bs.bad_ballots, "bad_ballots"),
        (f"๒.๓ {no_vote_label}", bs.no_vote_ballots, "no_vote_ballots"),
    ):
        _stat_line(s, label, value, f"ballot_statistics.{field}", "บัตร", in_3, column, with_amount=False)
    s.text(
        s.margin + in_2,
        "๓. จำนวนบัตรดี ตามข้อ ๒.๑ แยกเป็นคะแนนของ"
        + ("พรรคการเมืองตามลำดับหมายเลขของบัญชีรายชื่อ" if f.party_list else "ผู้สมัครตามลำดับหมายเลขประจำตัวผู้สมัคร"),
    )
    s.y += round(s.lh * 0.6)


@dataclass(frozen=True)
class _Column:
    header: tuple[str, ...]
    share: float


CANDIDATE_COLUMNS = (
    _Column(("หมายเลขประจำตัว", "ผู้สมัคร"), 0.15),
    _Column(("ชื่อตัว - ชื่อสกุล", "ผู้สมัครรับเลือกตั้ง"), 0.28),
    _Column(("สังกัด", "พรรคการเมือง"), 0.21),
    _Column(("ได้คะแนน", "(ให้กรอกทั้งตัวเลขและตัวอักษร)"), 0.36),
)
PARTY_COLUMNS = (
    _Column(("หมายเลขของบัญชีรายชื่อ", "ของพรรคการเมือง"), 0.24),
    _Column(("ชื่อ", "พรรคการเมือง"), 0.31),
    _Column(("ได้คะแนน", "(ให้กรอกทั้งตัวเลขและตัวอักษร)"), 0.45),
)


def _vote_cell(
    s: _Sheet,
    x0: float,
    x1: float,
    base: float,
    row: VoteResult | None,
    index: int | None,
    hand: Hand,
    total: int | None = None,
) -> None:
    """``..(digits)..(..(words)..)`` — the vote column of a row, or of the total row."""
    f = s.form
    pad = s.fs * 0.3
    split = x0 + (x1 - x0) * 0.3
    s.dots(x0 + pad, split, y=base)
    s.text(split, "(", y=base)
    open_w = s.tw("(")
    close_x = x1 - pad - s.tw(")")
    s.dots(split + open_w + 2, close_x, y=base)
    s.text(close_x, ")", y=base)
    if row is None and total is None:
        return
    value = total if row is None else row.vote_count
    field = "vote_results.total" if row is None else f"vote_results[{index}]"
    s.handwrite(x0 + pad, split - 2, f.number(value, hand), f"{field}.vote_count" if row else field, hand, y=base)
    words = f.words(value, hand, truth=row.vote_count_text if row else None)
    s.handwrite(
        split + open_w + 2, close_x - 2, words, f"{field}.vote_count_text" if row and words else "", hand, y=base
    )


def _table(
    s: _Sheet,
    columns: tuple[_Column, ...],
    rows: list[tuple[int, VoteResult | None, int | None]],
    total: int | None,
    show_total: bool,
) -> None:
    """A ruled table from the current line to the bottom margin; ``rows`` = (printed number, result, index)."""
    f = s.form
    left, right = s.margin, s.width - s.margin
    xs: list[float] = [left]
    for c in columns:
        xs.append(xs[-1] + c.share * (right - left))
    top = s.y - s.fs * 0.6
    header_h = s.fs * 2.5
    bottom_limit = s.height - s.margin * 1.1
    n = len(rows) + (1 if show_total else 0)
    row_h = min(s.fs * 1.9, (bottom_limit - top - header_h) / max(1, n))
    cell_fs = min(s.fs, row_h * 0.62)
    line_w = max(1, s.fs // 14)
    for i, c in enumerate(columns):
        for j, text in enumerate(c.header):
            size = s.fs * (0.82 if j == 0 else 0.78)
            while size > 9 and s.tw(text, size, True) > xs[i + 1] - xs[i] - s.fs * 0.3:
                size -= 1
            s.text(
                (xs[i] + xs[i + 1] - s.tw(text, size, True)) / 2, text, size, True, y=top + header_h * (0.42 + 0.4 * j)
            )
    y = top + header_h
    hand = replace(f.table_hand, size=min(f.table_hand.size, row_h * 0.8))  # long tables get smaller writing
    for number, row, index in rows:
        base = y + row_h * 0.7
        printed = th(number)
        s.text((xs[0] + xs[1] - s.tw(printed, cell_fs)) / 2, printed, cell_fs, y=base)
        if row is not None:
            if f.party_list:
                s.text(xs[1] + s.fs * 0.3, row.party_name or "", cell_fs, y=base)
            elif f.batch:  # advance-vote batches: names and parties are handwritten
                s.handwrite(
                    xs[1] + 2,
                    xs[2] - 4,
                    row.candidate_name or "",
                    f"vote_results[{index}].candidate_name",
                    hand,
                    y=base,
                )
                s.handwrite(
                    xs[2] + 2, xs[3] - 4, row.party_name or "", f"vote_results[{index}].party_name", hand, y=base
                )
            else:
                for k, text in ((1, row.candidate_name or ""), (2, row.party_name or "")):
                    size = cell_fs
                    while size > 9 and s.tw(text, size) > xs[k + 1] - xs[k] - s.fs * 0.4:
                        size -= 1
                    s.text(xs[k] + s.fs * 0.2, text, size, y=base)
        _vote_cell(s, xs[-2], xs[-1], base, row, index, hand)
        y += row_h
        s.draw.line([(left, y), (right, y)], fill=PRINT_INK, width=line_w)
    if show_total:
        base = y + row_h * 0.7
        label = "รวมคะแนนทั้งสิ้น"
        s.label((xs[0] + xs[-2] - s.tw(label, cell_fs, True)) / 2, label, "vote_results.total", cell_fs, True, y=base)
        s.text((xs[0] + xs[-2] - s.tw(label, cell_fs, True)) / 2, label, cell_fs, True, y=base)
        _vote_cell(s, xs[-2], xs[-1], base, None, None, hand, total=total)
        y += row_h
    s.draw.rectangle((left, top, right, y), outline=PRINT_INK, width=line_w)
    s.draw.line([(left, top + header_h), (right, top + header_h)], fill=PRINT_INK, width=line_w)
    for k, x in enumerate(xs[1:-1], 1):
        end = y - (row_h if show_total and k < len(xs) - 2 else 0)  # the total row spans the first columns
        s.draw.line([(x, top), (x, end)], fill=PRINT_INK, width=line_w)
    s.y = round(y + s.lh)


def _signatures(s: _Sheet) -> None:
    from dataset_platform.forms.demo import FIRST_NAMES, LAST_NAMES
    from dataset_platform.forms.demo import TITLES as NAME_TITLES

    f, rng = s.form, s.form.rng
    day = month = year = ""
    if f.e.form_info.election_date:  # 5/16 and 5/17 carry no election date, so their date line stays blank
        yy, mm, dd = (int(p) for p in f.e.form_info.election_date.split("-"))
        day, month, year = f.number(dd, f.hand), THAI_MONTHS[mm - 1], str(yy + BUDDHIST_ERA_OFFSET)
    s.y += s.lh
    s.line(["ประกาศ ณ วันที่", _Blank(3, day), "เดือน", _Blank(5, month), "พ.ศ.", _Blank(3.5, year)], x=s.width * 0.28)
    s.y += s.lh // 2
    chair, member = SIGN_ROLES["batch" if f.batch else "5/18"]

    def sign(x: float, role: str, line_w: float) -> None:
        signer = Hand.random(rng, s.fs * 0.9)
        x_after = s.text(x, "(ลงชื่อ)") + s.fs * 0.2
        s.dots(x_after, x_after + line_w)
        scribble(s.image, x_after + s.fs * 0.5, s.y, line_w * rng.uniform(0.45, 0.85), signer, rng)
        s.text(x_after + line_w + s.fs * 0.1, role, size=s.fs * 0.9)
        s.y += s.lh
        name = f"{rng.choice(NAME_TITLES)}{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        x0 = s.text(x + s.fs * 0.6, "(")
        s.dots(x0, x0 + line_w * 1.1)
        s.handwrite(x0, x0 + line_w * 1.1, name, "", signer)
        s.text(x0 + line_w * 1.1, ")")
        s.y += round(s.lh * 1.45)

    sign(s.width * 0.3, chair, s.fs * 7)
    col_w = (s.width - 2 * s.margin) / 2
    for _ in range(4 if not f.batch else 3):
        top = s.y
        sign(s.margin, member, s.fs * 5)
        s.y = top
        sign(s.margin + col_w, member, s.fs * 5)
    s.y += s.lh // 2
    s.centered(REMARK, size=s.fs * 0.85)
    for _ in range(4):
        s.y += s.lh
        s.dots(s.margin, s.width - s.margin)
    s.y += round(s.lh * 1.5)
    s.text(s.margin, f"หมายเหตุ : ส.ส. {th(f.kind)}{' (บช)' if f.party_list else ''} จัดทำจำนวน ๓ ชุด", size=s.fs * 0.8)
    for note in NOTES:
        s.y += round(s.lh * 0.8)
        s.text(s.margin + s.fs * 2.5, note, size=s.fs * 0.8)


def render_real_pages(
    extraction: FormExtraction, options: RenderOptions, rng: random.Random
) -> tuple[list[Image.Image], Layout]:
    """The pages of the form set in the real layout of its kind, and where its values and labels are."""
    f = _Form(extraction, options, rng)
    results = sorted(extraction.vote_results, key=lambda c: c.candidate_number)
    indexed: list[tuple[int, VoteResult | None, int | None]] = [
        (c.candidate_number, c, extraction.vote_results.index(c)) for c in results
    ]
    total = extraction.ballot_statistics.good_ballots
    pages: list[_Sheet] = []

    def page(build: Callable[[_Sheet], None]) -> None:
        sheet = _Sheet(f, len(pages) + 1)
        sheet.header()
        build(sheet)
        pages.append(sheet)

    def first(sheet: _Sheet) -> None:
        (_header_batch if f.batch else _header_5_18)(sheet)
        _statistics(sheet)
        if f.party_list:
            _table(sheet, PARTY_COLUMNS, indexed[: PARTY_ROWS[0]], total, show_total=False)
        else:  # the printed table has 10 (batches) or 12 rows; unused ones stay blank
            blank_rows: list[tuple[int, VoteResult | None, int | None]] = [
                (n, None, None) for n in range(len(indexed) + 1, (10 if f.batch else 12) + 1)
            ]
            _table(sheet, CANDIDATE_COLUMNS, indexed + blank_rows, total, show_total=True)

    page(first)
    if f.party_list:
        split = PARTY_ROWS[0] + PARTY_ROWS[1]
        page(lambda sheet: _table(sheet, PARTY_COLUMNS, indexed[PARTY_ROWS[0] : split], total, show_total=False))
        page(lambda sheet: _table(sheet, PARTY_COLUMNS, indexed[split:], total, show_total=True))
    page(_signatures)
    return [p.image for p in pages], Layout(tuple(f.drawn), tuple(f.labels))
