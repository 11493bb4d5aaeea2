"""Ballpoint "handwriting" for demo forms: handwriting-style fonts drawn cluster by cluster with jitter.

A `Hand` is one writer: a Thai face (TLWG Purisa in one of its styles), a digit face (Purisa or a Latin
handwriting font from Debian, when installed), a size, a slant, an ink colour and a pressure. Each
written value gets its own jitter (size, position, rotation, baseline drift per Thai cluster), so the
same digits never look quite the same twice. Nothing here knows about forms.
"""

from __future__ import annotations

import random
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image, ImageFont

# (family, style) pairs; a face is used only when fontconfig resolves it to that family.
THAI_FACES = (("Purisa", "Regular"), ("Purisa", "Oblique"), ("Purisa", "Bold"), ("Purisa", "Bold Oblique"))
# Latin handwriting faces only write Arabic digits (Debian fonts-dkg-handwriting, fonts-breip,
# fonts-humor-sans, fonts-bwht); Thai digits and words always come from a Thai face.
DIGIT_FACES = THAI_FACES + (
    ("DkgHandwriting", "Roman"),
    ("DkgHandwriting", "Oblique"),
    ("Breip", "Medium"),
    ("Humor Sans", "Regular"),
    ("Because We Mentor", "Regular"),
    ("Because We Connect", "Regular"),
    ("Because We Organize", "Regular"),
    ("Because We Create", "Regular"),
)
INKS = {  # ballpoint colours (RGB)
    "blue": ((22, 44, 150), (30, 60, 170), (12, 30, 120), (40, 50, 140)),
    "black": ((28, 28, 34), (45, 42, 50), (20, 24, 40)),
}
_MARK = {"\u0e31", "\u0e33"} | {chr(c) for c in range(0x0E34, 0x0E3B)} | {chr(c) for c in range(0x0E47, 0x0E4F)}


@lru_cache(maxsize=64)
def face_file(family: str, style: str) -> str | None:
    """The font file fontconfig has for exactly this family and style, or None when it is not installed."""
    result = subprocess.run(
        ["fc-match", "-f", "%{family}|%{style}|%{file}", f"{family}:style={style}"],
        capture_output=True,
        text=True,
        check=False,
    )
    found_family, found_style, path = (result.stdout.split("|") + ["", "", ""])[:3]
    if result.returncode != 0 or family.lower() not in found_family.lower() or style.lower() not in found_style.lower():
        return None
    return path or None


def available_faces(faces: tuple[tuple[str, str], ...]) -> list[str]:
    files = [face_file(f, s) for f, s in faces]
    return [f for f in dict.fromkeys(files) if f]


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=64)
def _size_factor(path: str) -> float:
    """Font-size factor that makes this face's Arabic digits about 0.85 of the pen size tall: faces differ a
    lot at the same nominal size, and people write numbers on a form larger than the printed text."""
    font = _font(path, 100)
    heights = sorted(font.getbbox(d, anchor="ls")[3] - font.getbbox(d, anchor="ls")[1] for d in "0123456789")
    return max(0.6, min(1.8, 85 / max(1, heights[5])))  # the median digit: some faces hang 7 and 9 low


def clusters(text: str) -> list[str]:
    """Thai text split into what a pen writes in one go: a base letter with its vowel and tone marks."""
    out: list[str] = []
    for ch in text:
        if out and (ch in _MARK or unicodedata.category(ch) == "Mn"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


@dataclass(frozen=True)
class Hand:
    """One writer's habits; `random` draws a plausible one."""

    thai_font: str
    digit_font: str
    size: float  # x-height-ish pixel size of the handwriting
    slant: float = 0.15  # horizontal shear (x += slant · height above baseline)
    ink: tuple[int, int, int] = INKS["blue"][0]
    pressure: float = 0.9  # ink opacity
    stroke: int = 0  # extra stroke width in pixels (a heavy pen)
    wobble: float = 0.05  # baseline drift per cluster, as a share of size
    spacing: float = 1.0  # cluster advance factor
    thai_digits: float = 0.0  # share of numbers written in Thai digits
    dash_words: float = 0.0  # share of number words written between dashes: (- สิบหก -)
    unit_words: float = 0.0  # share of statistics words that end with their unit: (สามร้อยบัตร)

    @classmethod
    def random(cls, rng: random.Random, size: float) -> Hand:
        thai = available_faces(THAI_FACES)
        if not thai:
            raise FileNotFoundError("no handwriting font found: install fonts-thai-tlwg (Purisa)")
        digits = available_faces(DIGIT_FACES)
        ink_name = "blue" if rng.random() < 0.75 else "black"
        return cls(
            thai_font=rng.choice(thai),
            digit_font=rng.choice(digits),
            size=size * rng.uniform(0.9, 1.15),
            slant=rng.uniform(-0.05, 0.35),
            ink=rng.choice(INKS[ink_name]),
            pressure=rng.uniform(0.85, 1.0),
            stroke=rng.choice((0, 0, 1)) if size >= 20 else 0,
            wobble=rng.uniform(0.02, 0.08),
            spacing=rng.uniform(0.92, 1.12),
            thai_digits=rng.choice((0.0, 0.0, 0.0, 0.1, 0.6)),
            dash_words=rng.choice((0.0, 0.0, 0.5)),
            unit_words=rng.choice((0.0, 0.5, 0.9)),
        )

    def font_for(self, text: str) -> str:
        """Latin handwriting faces have no Thai glyphs: anything Thai is written with the Thai face."""
        return self.thai_font if _is_thai(text) else self.digit_font


def _is_thai(text: str) -> bool:
    return any("\u0e00" <= ch <= "\u0e7f" for ch in text)


def _pen_size(text: str, hand: Hand, size: float) -> float:
    """Arabic numbers are scaled to the hand's digit height; Thai words and digits keep the pen size."""
    return size if _is_thai(text) else size * _size_factor(hand.digit_font)


def text_width(text: str, hand: Hand, size: float | None = None) -> float:
    font = _font(hand.font_for(text), max(6, round(_pen_size(text, hand, size or hand.size))))
    return sum(font.getlength(c) for c in clusters(text)) * hand.spacing


def write(
    page: Image.Image,
    x: float,
    baseline: float,
    text: str,
    hand: Hand,
    rng: random.Random,
    max_width: float | None = None,
) -> tuple[int, int, int, int] | None:
    """Write ``text`` with its left end at ``x`` on ``baseline``; returns the ink's bounding box on the page.

    The text shrinks to ``max_width`` when given. Jitter: size ±8%, per-cluster size and baseline drift,
    slant ±, rotation ±2.5°, opacity; all drawn from ``rng``, so a seed gives the same strokes.
    """
    from PIL import Image, ImageDraw, ImageFilter

    if not text:
        return None
    size = hand.size * rng.uniform(0.92, 1.08)
    if max_width:
        # 0.9: slant, rotation and the looser spacing of a hand make the ink wider than the font's advance
        size = min(size, size * 0.9 * max_width / max(1.0, text_width(text, hand, size)))
    size = max(8.0, size)
    path = hand.font_for(text)
    size = _pen_size(text, hand, size)
    parts = clusters(text)
    pad = round(size * 1.2)
    width = round(text_width(text, hand, size) * 1.15) + 2 * pad
    height = round(size * 2.6) + 2 * pad
    base = pad + round(size * 1.5)  # room above the baseline for Thai upper marks
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    cx, drift = float(pad), 0.0
    if text == "-":  # a zero: one quick pen stroke, longer than any font's hyphen
        length, y = size * rng.uniform(0.6, 1.1), base - size * rng.uniform(0.3, 0.45)
        draw.line(
            [(pad, y), (pad + length, y + rng.uniform(-0.12, 0.06) * size)],
            fill=255,
            width=max(2, round(size / 11)) + hand.stroke,
        )
        parts = []
    for part in parts:
        font = _font(path, max(6, round(size * rng.uniform(0.94, 1.06))))
        drift = max(-0.15, min(0.15, drift + rng.gauss(0, hand.wobble))) if part.strip() else drift
        draw.text(
            (cx + rng.gauss(0, size * 0.02), base + drift * size),
            part,
            font=font,
            fill=255,
            anchor="ls",
            stroke_width=hand.stroke,
        )
        cx += font.getlength(part) * hand.spacing * rng.uniform(0.96, 1.05)
    slant = hand.slant + rng.gauss(0, 0.04)
    # shear about the baseline: a point h pixels above it moves right by slant·h
    mask = mask.transform(
        mask.size, Image.Transform.AFFINE, (1, slant, -slant * base, 0, 1, 0), resample=Image.Resampling.BICUBIC
    )
    mask = mask.rotate(rng.uniform(-2.5, 2.5), resample=Image.Resampling.BICUBIC, center=(pad, base))
    mask = mask.filter(ImageFilter.GaussianBlur(0.35 * size / 24))  # ballpoint edges are soft
    opacity = hand.pressure * rng.uniform(0.88, 1.0)
    mask = mask.point(lambda v: round(v * opacity))
    left, top = round(x) - pad, round(baseline) - base
    ink = tuple(max(0, min(255, c + rng.randint(-10, 10))) for c in hand.ink)
    page.paste(ink if page.mode == "RGB" else round(sum(ink) / 3), (left, top, left + width, top + height), mask)
    box = mask.point(lambda v: 255 if v > 60 else 0).getbbox()
    if box is None:
        return None
    return (left + box[0], top + box[1], left + box[2], top + box[3])


def scribble(page: Image.Image, x: float, baseline: float, width: float, hand: Hand, rng: random.Random) -> None:
    """A signature: a smooth random loop-and-stroke line over ``width`` pixels."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(page)
    n = rng.randint(5, 9)
    points = []
    for i in range(n * 4 + 1):
        t = i / (n * 4)
        px = x + t * width + rng.gauss(0, hand.size * 0.15)
        py = baseline - hand.size * (0.5 + 0.6 * rng.random()) * (1 if i % 2 else 0.2)
        points.append((px, py))
    # Chaikin smoothing turns the zig-zag into pen curves
    for _ in range(3):
        smooth = [points[0]]
        for (ax, ay), (bx, by) in zip(points, points[1:]):
            smooth += [(0.75 * ax + 0.25 * bx, 0.75 * ay + 0.25 * by), (0.25 * ax + 0.75 * bx, 0.25 * ay + 0.75 * by)]
        points = smooth + [points[-1]]
    colour = hand.ink if page.mode == "RGB" else round(sum(hand.ink) / 3)
    draw.line(points, fill=colour, width=max(1, round(hand.size / 14)) + hand.stroke, joint="curve")
