"""The offline model on pages drawn here in the real batch-form layout (printed labels, ruled table, digits in
the handwriting-like TLWG Purisa): locating, reading, bundled models without downloads, and extract_form_sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("rapidocr")
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract binary not installed")

PRINT_FONT = "/usr/share/fonts/truetype/tlwg/Loma.ttf"
HAND_FONT = "/usr/share/fonts/truetype/tlwg/Purisa.ttf"
INK = (25, 40, 150)  # blue ballpoint

STATS = [("๑. ได้รับบัตรเลือกตั้ง ทั้งหมด", 700), ("๒.๑ บัตรดี", 647), ("๒.๒ บัตรเสีย", 8),
         ("๒.๓ บัตรที่ไม่เลือกผู้สมัครผู้ใด", 45)]  # fmt: skip
VOTES = [131, 45, 29, 428, 9, 5]
THAI = "๐๑๒๓๔๕๖๗๘๙"


def _font(path: str, size: int):
    from PIL import ImageFont

    if not Path(path).is_file():
        pytest.skip(f"font {path} not installed (fonts-thai-tlwg)")
    return ImageFont.truetype(path, size)


def draw_batch_page(votes=VOTES, stats=STATS, rotate: float = 0.6, rule: int = 3):
    """Page 1 of a ส.ส. 5/17 batch form at 200 dpi: header, statistics lines, candidate table and total row."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1654, 2339), (250, 248, 242))
    d = ImageDraw.Draw(page)
    printed, hand = _font(PRINT_FONT, 36), _font(HAND_FONT, 44)
    d.text((1380, 110), "ส.ส. ๕/๑๗", font=printed, fill="black")
    d.text(
        (200, 360), "รายงานผลการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งและนอกราชอาณาจักรแบบแบ่งเขตเลือกตั้ง", font=printed, fill="black"
    )
    batch = "คณะกรรมการนับคะแนนบัตรเลือกตั้งนอกเขตเลือกตั้งและนอกราชอาณาจักร ชุดที่ ๔"
    d.text((300, 480), batch, font=printed, fill="black")
    y = 640
    for label, value in stats:
        x = 380 if label.startswith("๒") else 320
        d.text((x, y), label, font=printed, fill="black")
        end = x + d.textlength(label, font=printed)
        d.text((end + 20, y + 30), "." * 40, font=printed, fill="black")  # the dotted line
        d.text((end + 90, y - 12), str(value), font=hand, fill=INK)
        d.text((end + 330, y), "บัตร", font=printed, fill="black")
        y += 80
    xs, top, row_h = [130, 390, 780, 1030, 1590], 1000, 68
    rows = 1 + 10 + 1
    ys = [top, top + 120] + [top + 120 + row_h * i for i in range(1, rows)]
    for x in xs:
        d.line([(x, ys[0]), (x, ys[-1] if x in (xs[0], xs[-1], xs[-2]) else ys[-2])], fill="black", width=rule)
    for yy in ys:
        d.line([(xs[0], yy), (xs[-1], yy)], fill="black", width=rule)
    d.text((xs[-2] + 120, top + 30), "ได้คะแนน", font=printed, fill="black")
    for i in range(10):
        ry = ys[1 + i]
        d.text((xs[0] + 100, ry + 12), THAI[(i + 1) % 10] if i < 9 else "๑๐", font=printed, fill="black")
        d.text((xs[-2] + 10, ry + 30), "." * 12 + "(" + "." * 40 + ")", font=printed, fill="black")
        if i < len(votes):
            d.text((xs[-2] + 30, ry + 2), str(votes[i]), font=hand, fill=INK)
    d.text((xs[1] + 200, ys[-2] + 14), "รวมคะแนนทั้งสิ้น", font=printed, fill="black")
    d.text((xs[-2] + 30, ys[-2] + 2), str(sum(votes)), font=hand, fill=INK)
    return page.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=(250, 248, 242))


def draw_signature_page():
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1654, 2339), (250, 248, 242))
    ImageDraw.Draw(page).text(
        (300, 300), "ลงชื่อ ....................... ประธานกรรมการ", font=_font(PRINT_FONT, 36), fill="black"
    )
    return page


def test_bundled_models_are_inside_the_wheel_and_nothing_is_downloaded(monkeypatch):
    import numpy as np
    from PIL import Image, ImageDraw
    from rapidocr.utils import download_file

    from dataset_platform.forms.offline import recognise

    paths = recognise.bundled_models()
    assert all(Path(p).is_file() and ("site-packages" in p or "dist-packages" in p) for p in paths.values())

    def no_download(*_a, **_k):
        raise AssertionError("rapidocr tried to download a model")

    monkeypatch.setattr(download_file.DownloadFile, "run", staticmethod(no_download))
    monkeypatch.setattr(recognise, "_engine", None)
    crop = Image.new("L", (260, 70), 250)
    ImageDraw.Draw(crop).text((20, 2), "428", font=_font(HAND_FONT, 48), fill=30)
    text, score = recognise.recognise_text(np.asarray(crop))
    assert recognise.leading_number(text) == 428 and score > 0.5


def test_locates_table_rows_and_total_row_on_a_tilted_page():
    import numpy as np

    from dataset_platform.forms.offline.layout import find_table
    from dataset_platform.forms.offline.page import normalise_page

    table = find_table(normalise_page(draw_batch_page(rotate=0.8)))
    assert table is not None and len(table.xs) == 5 and table.rows == 12
    assert table.merged[-1] and not any(table.merged[1:-1])  # only the total row spans the first columns
    assert find_table(np.asarray(draw_signature_page().convert("L"))) is None


def test_extract_form_sets_offline_reads_a_drawn_batch_form_given_as_pdf(tmp_path):
    from dataset_platform.forms.cache import ExtractionCache
    from dataset_platform.forms.model_config import ModelConfig
    from dataset_platform.forms.runner import extract_form_sets

    folder = tmp_path / "forms" / "batch-a"
    folder.mkdir(parents=True)
    # one two-page PDF, as the Election Commission publishes scans
    draw_batch_page().save(folder / "scan.pdf", save_all=True, append_images=[draw_signature_page()], resolution=200)
    [record] = extract_form_sets([folder], ModelConfig(model="offline"), cache=ExtractionCache(tmp_path / "cache"))
    assert record.error is None and record.prompt_version.startswith("offline-")
    e = record.extraction
    assert e["form_info"]["form_type"] == "ส.ส. 5/17"
    assert [r["vote_count"] for r in e["vote_results"]] == VOTES
    assert [r["candidate_number"] for r in e["vote_results"]] == [1, 2, 3, 4, 5, 6]
    b = e["ballot_statistics"]
    assert (b["ballots_used"], b["good_ballots"], b["bad_ballots"], b["no_vote_ballots"]) == (700, 647, 8, 45)
    assert b["ballots_allocated"] is None and b["ballots_remaining"] is None  # a batch form has none
    assert record.uncertain_fields == []


def test_a_flat_stroke_is_a_dash_but_a_digit_is_not():
    import numpy as np

    from dataset_platform.forms.offline.page import _is_dash

    def crop(*boxes):
        image = np.full((56, 60), 245, dtype=np.uint8)
        for top, bottom, left, right in boxes:
            image[top:bottom, left:right] = 30
        return image

    assert _is_dash(crop((24, 29, 8, 50)))
    assert _is_dash(crop((24, 29, 8, 50), (5, 7, 55, 57)))  # a speck of paper noise does not matter
    assert not _is_dash(crop((8, 48, 26, 31)))  # a `1`
    assert not _is_dash(crop((24, 29, 8, 50), (5, 45, 52, 58)))  # a dash beside a digit
    assert not _is_dash(np.full((56, 60), 245, dtype=np.uint8))


def _bend(page, drift: float = 9.0):
    """The page as a curved scan: rules bow by up to `drift` px (up/down along the width, sideways down the
    height), which no single deskew angle straightens."""
    import cv2
    import numpy as np
    from PIL import Image

    image = np.asarray(page)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_y = yy + drift * np.sin(np.pi * xx / w) ** 2
    map_x = xx + drift * np.sin(np.pi * yy / h) ** 2
    bent = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=(250, 248, 242))
    return Image.fromarray(bent)


def test_locates_every_row_and_column_of_a_table_whose_rules_bow():
    from dataset_platform.forms.offline.layout import find_table
    from dataset_platform.forms.offline.page import normalise_page

    table = find_table(normalise_page(_bend(draw_batch_page(rotate=0.0, rule=1))))  # thin rules, as scanned
    # a missed rule shifts the vote column or drops rows: later rows would get their neighbours' values
    assert table is not None and len(table.xs) == 5 and table.rows == 12
    assert table.merged[-1] and not any(table.merged[1:-1])
