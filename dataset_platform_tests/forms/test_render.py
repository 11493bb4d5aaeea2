"""Demo form generation and page rendering (layout, options, determinism); no OCR, no database."""

from __future__ import annotations

import json
import random
import re

import pytest
from PIL import Image

from dataset_platform.forms.consistency import check_rules
from dataset_platform.forms.demo import random_extraction, render_demo_form_sets
from dataset_platform.forms.render import (
    NoiseOptions,
    RenderOptions,
    _Numbers,
    render_form_set,
    render_pages,
    resolve_font,
)
from dataset_platform.forms.schema import FormExtraction


def test_random_extractions_are_realistic_and_consistent():
    rng = random.Random(3)
    sizes = set()
    for _ in range(200):
        form_set_id, e = random_extraction(rng)
        assert re.fullmatch(r"[a-z]{3}-d\d\d-s\d\d\d", form_set_id)
        assert all(check_rules(e).values()), form_set_id
        numbers = [c.candidate_number for c in e.vote_results]
        assert numbers == list(range(1, len(numbers) + 1))
        assert 5 <= len(numbers) <= 20
        assert e.voter_statistics.voters_present <= e.voter_statistics.eligible_voters
        assert len({c.party_name for c in e.vote_results}) == len(numbers)
        sizes.add(len(numbers))
    assert len(sizes) > 8


@pytest.mark.parametrize(
    "digits, separators, value, expected",
    [
        ("arabic", True, 12345, "12,345"),
        ("thai", True, 1964, "๑,๙๖๔"),
        ("thai", False, 1964, "๑๙๖๔"),
        ("arabic", False, 7, "7"),
    ],
)
def test_number_formatting(digits, separators, value, expected):
    nums = _Numbers(RenderOptions(digits=digits, thousands_separator=separators), random.Random(0))
    assert nums(value) == expected


def test_mixed_digits_vary_per_number():
    nums = _Numbers(RenderOptions(digits="mixed"), random.Random(0))
    printed = {nums(1234) for _ in range(40)}
    assert printed == {"1,234", "๑,๒๓๔"}


@pytest.mark.parametrize("candidates, pages", [(5, 3), (10, 3), (11, 4), (20, 4)])
def test_page_count_follows_the_candidate_count(candidates, pages):
    _, e = random_extraction(random.Random(candidates), n_candidates=candidates)
    images = render_pages(e, RenderOptions(dpi=100, font_size=20))
    assert len(images) == pages
    assert all(im.size == (827, 1169) and im.mode == "L" for im in images)  # A4 at 100 dpi
    assert all(im.getextrema()[0] == 0 for im in images)  # every page has ink


def test_render_form_set_writes_png_or_jpeg_deterministically(tmp_path):
    _, e = random_extraction(random.Random(1), n_candidates=6)
    clean = render_form_set(e, tmp_path / "clean", RenderOptions(font="Kinnari", seed=4))
    again = render_form_set(e, tmp_path / "again", RenderOptions(font="Kinnari", seed=4))
    noisy = render_form_set(e, tmp_path / "noisy", RenderOptions(font="Kinnari", seed=4, noise=NoiseOptions()))
    assert [p.name for p in clean] == ["page_01.png", "page_02.png", "page_03.png"]
    assert [p.name for p in noisy] == ["page_01.jpg", "page_02.jpg", "page_03.jpg"]
    assert [p.read_bytes() for p in clean] == [p.read_bytes() for p in again]
    with Image.open(clean[1]) as a, Image.open(noisy[1]) as b:
        assert a.size == b.size == (1240, 1754)
        assert a.tobytes() != b.convert("L").tobytes()
        assert round(a.info["dpi"][0]) == 150


def test_font_option_changes_the_rendering():
    _, e = random_extraction(random.Random(2), n_candidates=5)
    assert resolve_font("Kinnari").endswith("Kinnari.ttf")
    garuda = render_pages(e, RenderOptions(font="Garuda"))[0]
    kinnari = render_pages(e, RenderOptions(font="Kinnari"))[0]
    assert garuda.tobytes() != kinnari.tobytes()


def test_render_demo_form_sets(tmp_path):
    made = render_demo_form_sets(tmp_path / "a", n=4, seed=11)
    again = render_demo_form_sets(tmp_path / "b", n=4, seed=11)
    assert [i for i, _ in made] == [i for i, _ in again]
    assert len({i for i, _ in made}) == 4
    for form_set_id, extraction in made:
        folder = tmp_path / "a" / form_set_id
        pages = sorted(p.name for p in folder.glob("page_*"))
        assert len(pages) >= 3 and pages[0] in ("page_01.png", "page_01.jpg")
        truth = FormExtraction.model_validate(json.loads((folder / "ground_truth.json").read_text()))
        assert truth == extraction
        assert [p.read_bytes() for p in sorted(folder.glob("page_*"))] == [
            p.read_bytes() for p in sorted((tmp_path / "b" / form_set_id).glob("page_*"))
        ]
    # the third set of every three is a noisy scan
    assert any((tmp_path / "a" / i / "page_01.jpg").exists() for i, _ in made)
    assert not list((tmp_path / "a").glob(".*"))  # no staging folders left behind
