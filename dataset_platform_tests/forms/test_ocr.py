"""Tesseract OCR on freshly rendered forms (Thai digits, noise, non-demo fonts) and bad pages; no database."""

from __future__ import annotations

import random
import shutil

import pytest
from PIL import Image

from dataset_platform.experiments.evaluators import ballot_accuracy, vote_accuracy
from dataset_platform.forms.demo import random_extraction
from dataset_platform.forms.ocr import UnreadablePage, load_page, ocr_form_set, ocr_pages, shutdown_pool
from dataset_platform.forms.render import DEFAULT_FONTS, NoiseOptions, RenderOptions, render_form_set

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract binary not installed")


@pytest.fixture(scope="module", autouse=True)
def _pool():
    yield
    shutdown_pool()


# Printed renders (the Tesseract baseline's material) in fonts the demo never uses, at other sizes and resolutions.
CASES = {
    "arabic-kinnari": RenderOptions(
        style="printed", font="Kinnari", font_size=30, line_spacing=1.6, digits="arabic", seed=1
    ),
    "thai-digits-umpush": RenderOptions(style="printed", font="Umpush", font_size=34, dpi=200, digits="thai", seed=2),
    "noisy-mixed-sawasdee": RenderOptions(
        style="printed",
        font="Sawasdee",
        font_size=32,
        digits="mixed",
        thousands_separator="mixed",
        seed=3,
        noise=NoiseOptions(rotation_deg=1.2, blur_radius=0.7, jpeg_quality=45, speckle=0.002),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ocr_reads_a_never_seen_render(tmp_path, case):
    options = CASES[case]
    assert options.font not in DEFAULT_FONTS
    _, truth = random_extraction(random.Random(sorted(CASES).index(case) + 40), n_candidates=7)
    pages = render_form_set(truth, tmp_path / case, options)

    predicted = ocr_form_set(pages, workers=2)

    expected = truth.model_dump(mode="json")
    output = predicted.model_dump(mode="json")
    assert vote_accuracy(None, output, expected) >= (0.85 if options.noise else 0.95)
    assert [c.candidate_number for c in predicted.vote_results] == list(range(1, 8))
    assert (predicted.form_info.form_type, predicted.form_info.province) == ("ส.ส. 5/18", truth.form_info.province)
    if options.digits == "arabic":  # Tesseract's Thai model misreads Thai digits; Arabic ones are exact
        assert predicted.form_info == truth.form_info
        assert ballot_accuracy(None, output, expected) == 1.0
        assert predicted.voter_statistics == truth.voter_statistics


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_unreadable_pages_raise_a_clear_error(tmp_path):
    png = tmp_path / "ok.png"
    Image.new("L", (200, 300), 255).save(png)
    cases = {
        "file not found": tmp_path / "missing.png",
        "empty file": _write(tmp_path / "empty.png", b""),
        "not a readable image": _write(tmp_path / "text.png", b"this is not an image at all"),
        "truncated": _write(tmp_path / "cut.png", png.read_bytes()[:60]),
    }
    for reason, path in cases.items():
        with pytest.raises(UnreadablePage) as info:
            load_page(path)
        assert info.value.path == path
        assert reason in str(info.value) or "not a readable image" in str(info.value), (reason, str(info.value))
    with pytest.raises(UnreadablePage, match="blank"):
        ocr_pages([png], workers=1)


def test_a_bad_page_fails_the_form_set_across_the_process_pool(tmp_path):
    _, truth = random_extraction(random.Random(5), n_candidates=5)
    pages = render_form_set(truth, tmp_path, RenderOptions(style="printed", font="Loma", dpi=100, font_size=20))
    pages[1].write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(UnreadablePage) as info:
        ocr_form_set(pages, workers=2)
    assert info.value.path.name == "page_02.png"
    # a blank page is only found by the worker process: the error crosses the pool intact
    Image.new("L", (1240, 1754), 255).save(pages[1])
    with pytest.raises(UnreadablePage, match="blank") as info:
        ocr_form_set(pages, workers=2)
    assert info.value.path == pages[1]
    with pytest.raises(UnreadablePage, match="no pages"):
        ocr_form_set([])
