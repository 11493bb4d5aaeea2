"""Render a `FormExtraction` as the pages of a form set: handwritten real layouts, or the printed look.

``style="handwritten"`` (the default) draws the real Election Commission layout of the form's kind
(`forms/layout.py`) with every value handwritten in ink. ``style="printed"`` keeps the older typed
look the Tesseract baseline is measured on: page 1 title, place fields and statistics (label then
value); middle page(s) the candidate table; last page committee signatures. Fonts, sizes, spacing,
digit style, separators, scan noise and the file format (PNG, JPEG or multi-page PDF) are options.
"""

from __future__ import annotations

import io
import random
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from random import Random  # the name ``random`` is a NoiseOptions classmethod inside that class
from typing import TYPE_CHECKING, Literal

from dataset_platform.forms.schema import FormExtraction
from dataset_platform.forms.thai import arabic_to_thai_digits, format_thai_date

if TYPE_CHECKING:
    from PIL import Image, ImageFont

# The printed look uses these; tests and benchmarks use other fonts to show the OCR generalises.
DEFAULT_FONTS = ("Garuda", "Loma")
# Printed parts of the real forms are set in TH Sarabun; TLWG Laksaman is its free twin.
FORM_FONTS = ("Laksaman", "Norasi", "Garuda")
TITLE = "แบบ ส.ส. 5/18"
SUBTITLE = "รายงานผลการนับคะแนนสมาชิกสภาผู้แทนราษฎรแบบแบ่งเขตเลือกตั้ง"
TABLE_HEADERS = ("หมายเลข", "ชื่อตัว - ชื่อสกุล", "สังกัดพรรคการเมือง", "ได้คะแนน\n(ตัวเลข)", "ได้คะแนน\n(ตัวอักษร)")
COLUMN_WIDTHS = (0.10, 0.27, 0.22, 0.14, 0.27)
COMMITTEE_ROLES = (
    "ประธานกรรมการประจำหน่วยเลือกตั้ง",
    "กรรมการประจำหน่วยเลือกตั้ง",
    "กรรมการประจำหน่วยเลือกตั้ง",
    "กรรมการประจำหน่วยเลือกตั้ง",
    "กรรมการและเลขานุการ",
)
A4_INCHES = (8.27, 11.69)
PDF_DATE = time.strptime("2026-02-08 20:00", "%Y-%m-%d %H:%M")  # Pillow's PDF writer takes a struct_time

Digits = Literal["arabic", "thai", "mixed"]
Style = Literal["handwritten", "printed"]
FileFormat = Literal["auto", "png", "jpg", "pdf"]


@dataclass(frozen=True)
class NoiseOptions:
    """What a cheap office scanner or a phone scanner app does to a page (the extra effects are off by default)."""

    rotation_deg: float = 1.0  # the page is rotated by a random angle in ±rotation_deg
    blur_radius: float = 0.7
    jpeg_quality: int | None = 50  # None → saved as PNG
    speckle: float = 0.002  # share of pixels turned into dust (dark) or drop-outs (light)
    shadow: float = 0.0  # 0..1: darkening of a soft phone shadow and of the vignetted corners
    colour_cast: tuple[float, float, float] | None = None  # per-channel gain (a warm lamp: (1.0, 0.96, 0.88))
    stamp: bool = False  # an official round stamp in red or blue ink somewhere on the page
    bleed: float = 0.0  # 0..1: a coloured band at the top edge (the red cover page seen through)
    keystone: float = 0.0  # page corners moved by up to this share of the width (a phone held at a slant)

    @classmethod
    def random(cls, rng: Random) -> NoiseOptions:
        return cls(
            rotation_deg=rng.uniform(0.4, 1.5),
            blur_radius=rng.uniform(0.4, 0.9),
            jpeg_quality=rng.randint(35, 65),
            speckle=rng.uniform(0.0005, 0.003),
        )

    @classmethod
    def phone(cls, rng: Random) -> NoiseOptions:
        """A phone scanner app: shadow, vignetting, colour cast, a stamp, skew, JPEG, blur, speckle."""
        return cls(
            rotation_deg=rng.uniform(0.3, 1.8),
            blur_radius=rng.uniform(0.3, 0.8),
            jpeg_quality=rng.randint(45, 80),
            speckle=rng.uniform(0.0002, 0.0015),
            shadow=rng.uniform(0.1, 0.4),
            colour_cast=rng.choice(((1.0, 0.97, 0.9), (0.95, 0.97, 1.0), (1.0, 0.95, 0.95), (0.97, 1.0, 0.96))),
            stamp=rng.random() < 0.6,
            bleed=rng.choice((0.0, 0.0, rng.uniform(0.3, 0.8))),
            keystone=rng.uniform(0.0, 0.015),
        )


@dataclass(frozen=True)
class RenderOptions:
    style: Style = "handwritten"
    font: str = ""  # printed typeface: a fontconfig family or a .ttf/.otf path ("" → Garuda printed, Laksaman real)
    font_size: int = 30  # pixels at `dpi` (30 px ≈ 14 pt at 150 dpi)
    line_spacing: float = 1.8
    digits: Digits = "arabic"  # "mixed" picks Thai or Arabic digits per printed number
    thousands_separator: bool | Literal["mixed"] = True
    noise: NoiseOptions | None = None
    dpi: int = 150
    rows_per_page: int = 10  # printed style: candidate rows per table page; more candidates → more pages
    seed: int = 0
    file_format: FileFormat = "auto"  # auto: JPEG when the noise has a JPEG quality, else PNG
    pdf_files: int = 1  # a PDF form set split over this many files (scan_1.pdf, scan_2.pdf, ...)

    @property
    def typeface(self) -> str:
        return self.font or (DEFAULT_FONTS[0] if self.style == "printed" else FORM_FONTS[0])


@lru_cache(maxsize=64)
def resolve_font(font: str) -> str:
    """A font file for a family name (via fontconfig, Thai coverage required) or the path itself."""
    if Path(font).is_file():
        return font
    result = subprocess.run(
        ["fc-match", "-f", "%{file}", f"{font}:lang=th"], capture_output=True, text=True, check=False
    )
    path = result.stdout.strip()
    if result.returncode != 0 or not path or not Path(path).is_file():
        raise FileNotFoundError(f"no Thai font found for {font!r} (install fonts-thai-tlwg)")
    return path


@lru_cache(maxsize=256)
def _font(font: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(resolve_font(font), size, layout_engine=ImageFont.Layout.RAQM)


class _Numbers:
    """Formats each printed number in the digit style and separator choice of the options."""

    def __init__(self, options: RenderOptions, rng: random.Random):
        self.options, self.rng = options, rng

    def _thai(self) -> bool:
        d = self.options.digits
        return d == "thai" or (d == "mixed" and self.rng.random() < 0.5)

    def __call__(self, value: int | None, separators: bool = True) -> str:
        if value is None:
            return "-"
        sep = self.options.thousands_separator
        use_sep = separators and (sep is True or (sep == "mixed" and self.rng.random() < 0.5))
        text = f"{value:,}" if use_sep else str(value)
        return arabic_to_thai_digits(text) if self._thai() else text

    def date(self, iso: str | None) -> str:
        return format_thai_date(iso, thai_digits=self._thai()) if iso else "-"


class _Page:
    def __init__(self, options: RenderOptions):
        from PIL import Image, ImageDraw

        self.options = options
        self.width, self.height = (round(d * options.dpi) for d in A4_INCHES)
        self.margin = round(0.8 * options.dpi)
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = round(0.7 * options.dpi)
        self.font = _font(options.typeface, options.font_size)
        self.line_height = round(options.font_size * options.line_spacing)

    def text_width(self, text: str, font=None) -> float:
        return self.draw.textlength(text, font=font or self.font)

    def fitted_font(self, text: str, width: float, size: int):
        """The largest font ≤ size whose rendering of text fits width (long number words shrink)."""
        while size > 12 and self.text_width(text, _font(self.options.typeface, size)) > width:
            size -= 1
        return _font(self.options.typeface, size)

    def centered(self, text: str, size: int | None = None) -> None:
        font = _font(self.options.typeface, size or self.options.font_size)
        self.draw.text(((self.width - self.text_width(text, font)) / 2, self.y), text, font=font, fill=0)
        self.y += round((size or self.options.font_size) * self.options.line_spacing)

    def field_line(self, label: str, value: str, unit: str = "", indent: int = 0, value_x: float | None = None):
        x = self.margin + indent
        self.draw.text((x, self.y), label, font=self.font, fill=0)
        gap = self.options.font_size * 0.8
        vx = max(value_x or 0, x + self.text_width(label) + gap)
        self.draw.text((vx, self.y), value, font=self.font, fill=0)
        vw = self.text_width(value)
        # the printed form's dotted answer line under the hand- or type-written value
        baseline = self.y + round(self.options.font_size * 1.25)
        for dx in range(int(vx - gap / 2), int(vx + max(vw, self.options.font_size * 4) + gap / 2), 6):
            self.draw.point((dx, baseline), fill=90)
        if unit:
            ux = vx + max(vw, self.options.font_size * 4) + gap
            self.draw.text((ux, self.y), unit, font=self.font, fill=0)
        self.y += self.line_height

    def footer(self, page_no: int, pages: int, nums: _Numbers) -> None:
        text = f"หน้า {nums(page_no)}/{nums(pages)}"
        font = _font(self.options.typeface, max(14, self.options.font_size - 6))
        self.draw.text(
            (self.width - self.margin - self.text_width(text, font), self.height - self.margin),
            text,
            font=font,
            fill=60,
        )


def _first_page(e: FormExtraction, options: RenderOptions, nums: _Numbers) -> _Page:
    p = _Page(options)
    fi, vs, bs = e.form_info, e.voter_statistics, e.ballot_statistics
    title = TITLE if (fi.form_type or "5/18").endswith("5/18") else f"แบบ {fi.form_type}"
    p.centered(title, size=round(options.font_size * 1.3))
    p.centered(SUBTITLE)
    p.y += p.line_height // 2
    value_x = p.margin + p.width * 0.36
    for label, value in (
        ("จังหวัด", fi.province or "-"),
        ("เขต/อำเภอ", fi.district or "-"),
        ("แขวง/ตำบล", fi.sub_district or "-"),
        ("เขตเลือกตั้งที่", nums(fi.constituency_number, separators=False)),
        ("หน่วยเลือกตั้งที่", nums(fi.polling_station_number, separators=False)),
        ("วันที่เลือกตั้ง", nums.date(fi.election_date)),
    ):
        p.field_line(label, value, value_x=value_x)
    p.y += p.line_height // 2
    stat_x = p.margin + p.width * 0.50
    sections = (
        (
            "การใช้สิทธิเลือกตั้ง",
            "คน",
            (
                ("จำนวนผู้มีสิทธิเลือกตั้ง", vs.eligible_voters),
                ("จำนวนผู้มาแสดงตน", vs.voters_present),
            ),
        ),
        (
            "การใช้บัตรเลือกตั้ง",
            "บัตร",
            (
                ("จำนวนบัตรเลือกตั้งที่ได้รับจัดสรร", bs.ballots_allocated),
                ("จำนวนบัตรเลือกตั้งที่ใช้", bs.ballots_used),
                ("บัตรดี", bs.good_ballots),
                ("บัตรเสีย", bs.bad_ballots),
                ("บัตรไม่เลือกผู้สมัครผู้ใด", bs.no_vote_ballots),
                ("จำนวนบัตรเลือกตั้งที่เหลือ", bs.ballots_remaining),
            ),
        ),
    )
    for s, (heading, unit, rows) in enumerate(sections, 1):
        p.draw.text((p.margin, p.y), f"{nums(s)}. {heading}", font=p.font, fill=0)
        p.y += p.line_height
        for r, (label, count) in enumerate(rows, 1):
            p.field_line(f"{nums(s)}.{nums(r)} {label}", nums(count), unit, indent=options.font_size, value_x=stat_x)
    return p


def _table_page(rows, options: RenderOptions, nums: _Numbers) -> _Page:
    p = _Page(options)
    p.centered("ผลการนับคะแนนเลือกตั้งของผู้สมัครแต่ละราย")
    p.y += p.line_height // 3
    left, right = p.margin - options.dpi * 0.3, p.width - p.margin + options.dpi * 0.3
    xs = [left]
    for w in COLUMN_WIDTHS:
        xs.append(xs[-1] + w * (right - left))
    pad = options.font_size * 0.4
    header_h = round(options.font_size * 1.3 * 2 + pad * 2)
    row_h = round(options.font_size * max(options.line_spacing, 1.5) + pad)
    top = p.y
    for i, header in enumerate(TABLE_HEADERS):
        lines = header.split("\n")
        for j, line in enumerate(lines):
            font = p.fitted_font(line, xs[i + 1] - xs[i] - 2 * pad, options.font_size)
            y = top + pad + (header_h - 2 * pad) * (j + 0.5) / len(lines) - options.font_size * 0.6
            p.draw.text(((xs[i] + xs[i + 1] - p.text_width(line, font)) / 2, y), line, font=font, fill=0)
    y = top + header_h
    for c in rows:
        cells = (
            (nums(c.candidate_number, separators=False), "center"),
            (c.candidate_name or "", "left"),
            (c.party_name or "", "left"),
            (nums(c.vote_count), "right"),
            (c.vote_count_text or "", "left"),
        )
        for i, (text, align) in enumerate(cells):
            width = xs[i + 1] - xs[i] - 2 * pad
            font = p.fitted_font(text, width, options.font_size)
            tw = p.text_width(text, font)
            x = {"left": xs[i] + pad, "center": (xs[i] + xs[i + 1] - tw) / 2, "right": xs[i + 1] - pad - tw}[align]
            p.draw.text((x, y + (row_h - options.font_size * 1.2) / 2), text, font=font, fill=0)
        y += row_h
    bottom = y
    line_w = max(1, options.dpi // 75)
    for x in xs:
        p.draw.line([(x, top), (x, bottom)], fill=0, width=line_w)
    for yy in [top, top + header_h, *(top + header_h + k * row_h for k in range(1, len(rows) + 1))]:
        p.draw.line([(left, yy), (right, yy)], fill=0, width=line_w)
    p.y = bottom + p.line_height
    return p


def _signature_page(e: FormExtraction, options: RenderOptions, rng: random.Random, nums: _Numbers) -> _Page:
    from dataset_platform.forms.demo import FIRST_NAMES, LAST_NAMES, TITLES

    p = _Page(options)
    p.centered("คณะกรรมการประจำหน่วยเลือกตั้ง")
    p.centered("ได้ตรวจสอบและรับรองความถูกต้องของผลการนับคะแนนข้างต้นแล้ว")
    p.y += p.line_height
    for role in COMMITTEE_ROLES:
        name = f"{rng.choice(TITLES)}{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        p.draw.text((p.margin, p.y), f"ลงชื่อ ....................................... {role}", font=p.font, fill=0)
        p.y += p.line_height
        p.draw.text((p.margin + options.font_size * 3, p.y), f"( {name} )", font=p.font, fill=0)
        p.y += round(p.line_height * 1.5)
    if e.form_info.election_date:
        p.y += p.line_height
        p.draw.text((p.margin, p.y), f"ประกาศ ณ {nums.date(e.form_info.election_date)}", font=p.font, fill=0)
    return p


def _stamp(image: Image.Image, rng: random.Random) -> Image.Image:
    """A round office stamp in red or blue ink, pressed at a slant somewhere in the lower half."""
    import math

    from PIL import Image, ImageDraw

    from dataset_platform.forms.handwriting import _font as hand_font

    w, h = image.size
    r = round(min(w, h) * rng.uniform(0.07, 0.1))
    mask = Image.new("L", (2 * r + 4, 2 * r + 4), 0)
    d = ImageDraw.Draw(mask)
    c = r + 2
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(2, r // 18))
    d.ellipse((c - r * 0.72, c - r * 0.72, c + r * 0.72, c + r * 0.72), outline=255, width=max(1, r // 30))
    font = hand_font(resolve_font("Laksaman:style=Bold"), max(8, round(r * 0.24)))
    for i, ch in enumerate("คณะกรรมการการเลือกตั้ง"):
        a = math.pi * (1.1 + 0.8 * i / 21)
        d.text((c + r * 0.86 * math.cos(a), c + r * 0.86 * math.sin(a)), ch, font=font, fill=255, anchor="mm")
    d.text((c, c), "ประจำหน่วย", font=font, fill=255, anchor="mm")
    mask = mask.rotate(rng.uniform(-30, 30), resample=Image.Resampling.BICUBIC)
    mask = mask.point(lambda v: round(v * rng.uniform(0.45, 0.75)))
    colour = rng.choice(((190, 40, 50), (60, 70, 170), (150, 40, 120)))
    x, y = rng.randint(w // 10, w - 2 * r - w // 10), rng.randint(h // 2, h - 2 * r - h // 20)
    image.paste(colour, (x, y, x + mask.width, y + mask.height), mask)
    return image


def _phone_effects(image: Image.Image, noise: NoiseOptions, gen) -> Image.Image:
    """Soft shadow + vignetting, colour cast and a coloured top band; gains are computed on a small grid
    and scaled up, since they vary slowly (full-resolution float maths costs seconds per page)."""
    import numpy as np
    from PIL import Image, ImageChops

    w, h = image.size
    gw, gh = 64, 90
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    xx, yy = xx / (gw - 1) - 0.5, yy / (gh - 1) - 0.5
    gain = np.ones((gh, gw, 3), np.float32)
    if noise.shadow > 0:
        gain *= (1 - noise.shadow * (xx**2 + yy**2))[..., None]  # vignetting: corners darker than the centre
        angle = gen.uniform(0, 2 * np.pi)  # the phone's shadow: a soft half-plane from a random side
        proj = xx * np.cos(angle) + yy * np.sin(angle)
        gain *= (1 - noise.shadow * 0.6 / (1 + np.exp(-(proj - gen.uniform(0.1, 0.4)) / 0.05)))[..., None]
    if noise.colour_cast:
        gain *= np.asarray(noise.colour_cast, np.float32)
    small = Image.fromarray(np.clip(gain * 255, 0, 255).astype(np.uint8), mode="RGB")
    image = ImageChops.multiply(image, small.resize((w, h), Image.Resampling.BILINEAR))
    if noise.bleed > 0:
        band = np.exp(-(yy + 0.5) * 50) * noise.bleed * 255
        mask = Image.fromarray(band.astype(np.uint8), mode="L").resize((w, h), Image.Resampling.BILINEAR)
        image.paste((215, 60, 70), (0, 0, w, h), mask)
    return image


def _keystone(image: Image.Image, amount: float, rng: random.Random, background) -> Image.Image:
    """Perspective of a photographed page: each corner moves inwards by a random share of the width."""
    import numpy as np
    from PIL import Image

    w, h = image.size
    target = [(0, 0), (w, 0), (w, h), (0, h)]
    source = [(x + rng.uniform(-1, 1) * amount * w, y + rng.uniform(-1, 1) * amount * w) for x, y in target]
    # solve for the 8 perspective coefficients mapping output (target) pixels to input (source) pixels
    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    coeffs = np.linalg.solve(np.asarray(rows, float), np.asarray(rhs, float))
    return image.transform(
        (w, h), Image.Transform.PERSPECTIVE, tuple(coeffs), resample=Image.Resampling.BILINEAR, fillcolor=background
    )


def add_scan_noise(image: Image.Image, noise: NoiseOptions, rng: random.Random) -> Image.Image:
    """Rotate slightly, blur, and sprinkle dust/drop-outs; on RGB pages also the phone-scanner effects.

    Grayscale (printed-style) pages stay grayscale; JPEG artefacts are added when saving.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    rgb = image.mode == "RGB"
    angle = rng.uniform(-noise.rotation_deg, noise.rotation_deg)
    if rgb and noise.stamp:
        image = _stamp(image.copy(), rng)
    background = (248, 248, 246) if rgb else 255
    image = image.rotate(
        angle, resample=Image.Resampling.BILINEAR if rgb else Image.Resampling.BICUBIC, fillcolor=background
    )
    if noise.keystone > 0:
        image = _keystone(image, noise.keystone, rng, background)
    if noise.blur_radius > 0:
        image = image.filter(ImageFilter.GaussianBlur(noise.blur_radius))
    # drawn in this order so printed (grayscale) renders stay byte-identical to earlier releases
    gen = np.random.default_rng(rng.randrange(2**32))
    if rgb and (noise.shadow or noise.colour_cast or noise.bleed):
        image = _phone_effects(image, noise, gen)
    pixels = np.asarray(image, dtype=np.int16).copy()
    shape = pixels.shape[:2]
    grain = gen.integers(-12, 13, size=shape, dtype=np.int16)  # sensor grain, the same on every channel
    pixels += grain[..., None] if rgb else grain
    dust = gen.random(shape) < noise.speckle
    dark = dust & (gen.random(shape) < 0.6)
    luminance = pixels.mean(axis=2) if rgb else pixels
    dropout = dust & ~dark & (luminance < 128)
    pixels[dark] = 40
    pixels[dropout] = 230
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB" if rgb else "L")


def render_with_layout(extraction: FormExtraction, options: RenderOptions = RenderOptions()):
    """The page images and a `layout.Layout` of where values and labels were drawn (empty when printed)."""
    from dataset_platform.forms.layout import Layout, render_real_pages

    rng = random.Random(options.seed)
    if options.style == "handwritten":
        images, drawn = render_real_pages(extraction, options, rng)
    else:
        images, drawn = _printed_pages(extraction, options, rng), Layout()
    if options.noise is not None:
        images = [add_scan_noise(im, options.noise, rng) for im in images]
    return images, drawn


def _printed_pages(extraction: FormExtraction, options: RenderOptions, rng: random.Random) -> list[Image.Image]:
    nums = _Numbers(options, rng)
    candidates = sorted(extraction.vote_results, key=lambda c: c.candidate_number)
    per_page = max(1, options.rows_per_page)
    n_table = max(1, -(-len(candidates) // per_page))
    # spread rows evenly over the table pages (13 candidates → 7 + 6, not 10 + 3)
    chunk = -(-len(candidates) // n_table) if candidates else 0
    pages = [_first_page(extraction, options, nums)]
    pages += [_table_page(candidates[k * chunk : (k + 1) * chunk], options, nums) for k in range(n_table)]
    pages.append(_signature_page(extraction, options, rng, nums))
    for i, page in enumerate(pages, 1):
        page.footer(i, len(pages), nums)
    return [p.image for p in pages]


def render_pages(extraction: FormExtraction, options: RenderOptions = RenderOptions()) -> list[Image.Image]:
    return render_with_layout(extraction, options)[0]


def _file_format(options: RenderOptions) -> str:
    if options.file_format != "auto":
        return options.file_format
    return "jpg" if options.noise is not None and options.noise.jpeg_quality is not None else "png"


def encode_pages(images: list[Image.Image], options: RenderOptions) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the form set's files: ``page_NN.png|jpg`` or ``scan.pdf`` / ``scan_K.pdf``."""
    fmt = _file_format(options)
    dpi = (options.dpi, options.dpi)
    quality = options.noise.jpeg_quality if options.noise and options.noise.jpeg_quality else 85
    files = []
    if fmt == "pdf":
        n_files = max(1, min(options.pdf_files, len(images)))
        per_file = -(-len(images) // n_files)
        groups = [images[k : k + per_file] for k in range(0, len(images), per_file)]
        for k, group in enumerate(groups, 1):
            buf = io.BytesIO()
            # pages are embedded as JPEG (DCT), as a phone scanner app writes them
            first, *rest = [im.convert("RGB") for im in group]
            # a fixed creation date keeps the bytes (and so the content-hash cache key) the same per seed
            first.save(
                buf,
                format="PDF",
                save_all=True,
                append_images=rest,
                resolution=float(options.dpi),
                quality=quality,
                creationDate=PDF_DATE,
                modDate=PDF_DATE,
            )
            files.append((f"scan_{k}.pdf" if len(groups) > 1 else "scan.pdf", buf.getvalue()))
        return files
    for i, image in enumerate(images, 1):
        buf = io.BytesIO()
        if fmt == "jpg":
            image.save(buf, format="JPEG", quality=quality, dpi=dpi)
        else:
            image.save(buf, format="PNG", optimize=True, dpi=dpi)
        files.append((f"page_{i:02d}.{fmt}", buf.getvalue()))
    return files


def render_form_set(extraction: FormExtraction, out_dir: Path, options: RenderOptions = RenderOptions()) -> list[Path]:
    """Write the form set's files into ``out_dir`` (see `encode_pages`); returns their paths in order."""
    from dataset_platform.common.atomic import write_bytes

    out_dir = Path(out_dir)
    paths = []
    for name, data in encode_pages(render_pages(extraction, options), options):
        write_bytes(out_dir / name, data)
        paths.append(out_dir / name)
    return paths
