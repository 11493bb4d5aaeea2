"""Demo form generation and page rendering: kinds, ground truth, handwritten and printed layouts, files; no OCR."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from PIL import Image

from dataset_platform.forms.demo import FORM_TYPES, PARTY_LIST, demo_plan, random_extraction, render_demo_form_sets
from dataset_platform.forms.handwriting import DIGIT_FACES, THAI_FACES, available_faces, clusters
from dataset_platform.forms.layout import form_kind
from dataset_platform.forms.render import (
    NoiseOptions,
    RenderOptions,
    _Numbers,
    add_scan_noise,
    encode_pages,
    render_form_set,
    render_pages,
    render_with_layout,
    resolve_font,
)
from dataset_platform.forms.schema import FormExtraction
from dataset_platform.forms.thai import parse_number, thai_words_to_int


def design_rules_hold(e: FormExtraction) -> bool:
    """The consistency rules of DESIGN.md for the form's kind (a ``-`` row holds; no balance rule on batches)."""
    b = e.ballot_statistics
    kind, _ = form_kind(e.form_info.form_type)
    ok = b.good_ballots + b.bad_ballots + b.no_vote_ballots == b.ballots_used
    ok &= sum(c.vote_count for c in e.vote_results) == b.good_ballots
    if kind == "5/18":
        ok &= b.ballots_used + b.ballots_remaining == b.ballots_allocated
    return ok and all(
        (c.vote_count == 0 and c.vote_count_text is None) or thai_words_to_int(c.vote_count_text) == c.vote_count
        for c in e.vote_results
    )


def pdf_pages(data: bytes) -> list[Image.Image]:
    """The page images of a PDF written by Pillow, read back with Pillow's own PDF parser (no renderer needed)."""
    from PIL import PdfParser

    pdf = PdfParser.PdfParser(buf=data)
    images = []
    for ref in pdf.pages:
        (image_ref,) = pdf.read_indirect(ref)[b"Resources"][b"XObject"].values()
        stream = pdf.read_indirect(image_ref)
        assert stream.dictionary[b"Filter"] == b"DCTDecode"  # pages are JPEG, as a phone scanner app writes them
        images.append(Image.open(io.BytesIO(stream.buf)))
    return images


@pytest.mark.parametrize("form_type", FORM_TYPES)
def test_random_extractions_follow_their_kind_and_are_consistent(form_type):
    rng = random.Random(3)
    kind, party_list = form_kind(form_type)
    sizes = set()
    for _ in range(60 if party_list else 200):
        form_set_id, e = random_extraction(rng, form_type=form_type)
        assert e.form_info.form_type == form_type
        assert design_rules_hold(e), form_set_id
        numbers = [c.candidate_number for c in e.vote_results]
        assert numbers == list(range(1, len(numbers) + 1))
        sizes.add(len(numbers))
        fi, vs, bs = e.form_info, e.voter_statistics, e.ballot_statistics
        assert fi.province and fi.constituency_number
        if kind == "5/18":
            assert re.fullmatch(r"[a-z]{3}-d\d\d-s\d\d\d" + ("-pl" if party_list else ""), form_set_id)
            assert vs.voters_present <= vs.eligible_voters and bs.ballots_used == vs.voters_present
            assert None not in (fi.district, fi.sub_district, fi.polling_station_number, fi.election_date)
        else:  # advance-vote batch: ballots received / good / bad / no-vote only
            assert re.fullmatch(rf"[a-z]{{3}}-d\d\d-a{kind[-2:]}-\d\d\d" + ("-pl" if party_list else ""), form_set_id)
            assert (vs.eligible_voters, vs.voters_present, bs.ballots_allocated, bs.ballots_remaining) == (None,) * 4
            assert (fi.district, fi.sub_district, fi.polling_station_number, fi.election_date) == (None,) * 4
            assert bs.ballots_used > 0
        if party_list:
            assert all(c.candidate_name is None for c in e.vote_results)
            assert [c.party_name for c in e.vote_results] == list(PARTY_LIST[: len(numbers)])
            assert 50 <= len(numbers) <= len(PARTY_LIST)
            assert sum(c.vote_count == 0 for c in e.vote_results) > len(numbers) / 3  # most parties get nothing here
        else:
            assert all(c.candidate_name for c in e.vote_results)
            assert len({c.party_name for c in e.vote_results}) == len(numbers)
    assert len(sizes) > 5


def test_a_zero_is_written_as_a_dash_with_no_words():
    forms = [random_extraction(random.Random(seed), form_type="ส.ส. 5/18 (บช)")[1] for seed in range(5)]
    zeros = [c for e in forms for c in e.vote_results if c.vote_count == 0]
    assert zeros and all(c.vote_count_text is None for c in zeros)


@pytest.mark.parametrize(
    "digits, separators, value, expected",
    [
        ("arabic", True, 12345, "12,345"),
        ("thai", True, 1964, "๑,๙๖๔"),
        ("thai", False, 1964, "๑๙๖๔"),
        ("arabic", False, 7, "7"),
    ],
)
def test_printed_number_formatting(digits, separators, value, expected):
    nums = _Numbers(RenderOptions(style="printed", digits=digits, thousands_separator=separators), random.Random(0))
    assert nums(value) == expected


def test_mixed_digits_vary_per_number():
    nums = _Numbers(RenderOptions(style="printed", digits="mixed"), random.Random(0))
    printed = {nums(1234) for _ in range(40)}
    assert printed == {"1,234", "๑,๒๓๔"}


@pytest.mark.parametrize("candidates, pages", [(5, 3), (10, 3), (11, 4), (20, 4)])
def test_printed_page_count_follows_the_candidate_count(candidates, pages):
    _, e = random_extraction(random.Random(candidates), n_candidates=candidates)
    images = render_pages(e, RenderOptions(style="printed", dpi=100, font_size=20))
    assert len(images) == pages
    assert all(im.size == (827, 1169) and im.mode == "L" for im in images)  # A4 at 100 dpi
    assert all(im.getextrema()[0] == 0 for im in images)  # every page has ink


@pytest.mark.parametrize("form_type, pages", [("ส.ส. 5/18", 2), ("ส.ส. 5/17", 2), ("ส.ส. 5/16 (บช)", 4)])
def test_handwritten_page_count_follows_the_kind(form_type, pages):
    _, e = random_extraction(random.Random(1), form_type=form_type)
    images = render_pages(e, RenderOptions(dpi=100, font_size=20))
    assert len(images) == pages
    assert all(im.size == (827, 1169) and im.mode == "RGB" for im in images)


def test_printed_render_writes_png_or_jpeg_deterministically(tmp_path):
    _, e = random_extraction(random.Random(1), n_candidates=6)
    options = RenderOptions(style="printed", font="Kinnari", seed=4)
    clean = render_form_set(e, tmp_path / "clean", options)
    again = render_form_set(e, tmp_path / "again", options)
    noisy = render_form_set(
        e, tmp_path / "noisy", RenderOptions(style="printed", font="Kinnari", seed=4, noise=NoiseOptions())
    )
    assert [p.name for p in clean] == ["page_01.png", "page_02.png", "page_03.png"]
    assert [p.name for p in noisy] == ["page_01.jpg", "page_02.jpg", "page_03.jpg"]
    assert [p.read_bytes() for p in clean] == [p.read_bytes() for p in again]
    with Image.open(clean[1]) as a, Image.open(noisy[1]) as b:
        assert a.size == b.size == (1240, 1754)
        assert a.tobytes() != b.convert("L").tobytes()
        assert round(a.info["dpi"][0]) == 150


def test_font_option_changes_the_printed_rendering():
    _, e = random_extraction(random.Random(2), n_candidates=5)
    assert resolve_font("Kinnari").endswith("Kinnari.ttf")
    garuda = render_pages(e, RenderOptions(style="printed", font="Garuda"))[0]
    kinnari = render_pages(e, RenderOptions(style="printed", font="Kinnari"))[0]
    assert garuda.tobytes() != kinnari.tobytes()


def test_handwriting_fonts_are_installed_and_clusters_keep_their_marks():
    assert available_faces(THAI_FACES), "fonts-thai-tlwg (Purisa) is needed for handwritten demo forms"
    assert len(available_faces(DIGIT_FACES)) >= 4  # several hands, so the same digits do not always look alike
    assert clusters("สี่ร้อยต่ำ") == ["สี่", "ร้", "อ", "ย", "ต่ำ"]


def _ink_pixels(image: Image.Image, box) -> int:
    """Pixels in ``box`` that are ballpoint ink (blue, or dark) rather than paper or grey dots."""
    import numpy as np

    px = np.asarray(image.crop(box), dtype=np.int16)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    return int(((b - r > 40) | ((r + g + b) < 200)).sum())


def _value(text: str) -> int | None:
    return 0 if text.strip() == "-" else parse_number(text)


@pytest.mark.parametrize("form_type", ["ส.ส. 5/18", "ส.ส. 5/17", "ส.ส. 5/18 (บช)"])
def test_the_values_drawn_are_the_ground_truth(form_type):
    _, truth = random_extraction(random.Random(8), form_type=form_type)
    images, layout = render_with_layout(truth, RenderOptions(seed=5))
    kind, party_list = form_kind(form_type)
    drawn = {d.field: d for d in layout.values}
    assert len(drawn) == len(layout.values)  # every value written once

    bs = truth.ballot_statistics.model_dump()
    expected_numbers = {f"ballot_statistics.{k}": v for k, v in bs.items() if v is not None}
    if kind == "5/18":
        expected_numbers |= {f"voter_statistics.{k}": v for k, v in truth.voter_statistics.model_dump().items()}
        expected_numbers["form_info.polling_station_number"] = truth.form_info.polling_station_number
    else:
        assert not [f for f in drawn if f.startswith("voter_statistics") or "allocated" in f or "remaining" in f]
    expected_numbers["form_info.constituency_number"] = truth.form_info.constituency_number
    expected_numbers["vote_results.total"] = truth.ballot_statistics.good_ballots
    for i, c in enumerate(truth.vote_results):
        expected_numbers[f"vote_results[{i}].vote_count"] = c.vote_count
        words = drawn.get(f"vote_results[{i}].vote_count_text")
        if c.vote_count == 0:
            assert words is None and drawn[f"vote_results[{i}].vote_count"].text == "-"
        else:
            assert thai_words_to_int(words.text.strip("- ")) == c.vote_count
        for name_field in ("candidate_name", "party_name"):
            written = drawn.get(f"vote_results[{i}].{name_field}")
            # names are handwritten only on advance-vote batches; 5/18 and party lists print them
            assert (written.text if written else None) == (getattr(c, name_field) if kind != "5/18" else None)
    for field, value in expected_numbers.items():
        assert _value(drawn[field].text) == value, field
    assert drawn["form_info.province"].text == truth.form_info.province

    # the ink is on the page where the layout says, beside its printed label, in the form's order
    for d in layout.values:
        assert d.box is not None and _ink_pixels(images[d.page - 1], d.box) > 15, d
    for label in layout.labels:
        value = drawn[label.field]
        assert value.page == label.page and value.box[0] > label.box[2], label.field
        assert value.box[1] < label.box[3] and value.box[3] > label.box[1], label.field  # same line
    tops = [drawn[f"ballot_statistics.{k}"].box[1] for k in bs if bs[k] is not None]
    assert tops == sorted(tops)
    rows = [
        (drawn[f"vote_results[{i}].vote_count"].page, drawn[f"vote_results[{i}].vote_count"].box[1])
        for i in range(len(truth.vote_results))
    ]
    assert rows == sorted(rows) and drawn["vote_results.total"].page == (3 if party_list else 1)


def test_handwritten_render_is_deterministic_for_a_seed_and_varies_with_it():
    _, e = random_extraction(random.Random(4), n_candidates=5)
    a = render_pages(e, RenderOptions(seed=3, dpi=100, font_size=20))
    b = render_pages(e, RenderOptions(seed=3, dpi=100, font_size=20))
    c = render_pages(e, RenderOptions(seed=4, dpi=100, font_size=20))
    assert [im.tobytes() for im in a] == [im.tobytes() for im in b]
    assert a[0].tobytes() != c[0].tobytes()


def test_phone_scan_noise_keeps_the_page_and_changes_it():
    _, e = random_extraction(random.Random(4), n_candidates=5)
    clean = render_pages(e, RenderOptions(seed=3, dpi=100, font_size=20))[0]
    noise = NoiseOptions(
        rotation_deg=1.0, shadow=0.4, colour_cast=(1.0, 0.95, 0.85), stamp=True, bleed=0.5, keystone=0.01
    )
    noisy = add_scan_noise(clean, noise, random.Random(1))
    assert noisy.size == clean.size and noisy.mode == "RGB"
    # the warm cast and the shadow darken the blue channel of the paper most
    paper = clean.crop((300, 1000, 500, 1100)).resize((1, 1)).getpixel((0, 0))
    cast = noisy.crop((300, 1000, 500, 1100)).resize((1, 1)).getpixel((0, 0))
    assert cast[2] < paper[2] - 15 and cast[2] < cast[0]
    top = noisy.crop((100, 0, 700, 4)).resize((1, 1)).getpixel((0, 0))
    assert top[0] > top[1] + 30  # the red band of the bleed


def test_pdf_form_sets_hold_every_page(tmp_path):
    _, e = random_extraction(random.Random(6), form_type="ส.ส. 5/17 (บช)")
    noise = NoiseOptions.phone(random.Random(3))
    options = RenderOptions(seed=2, dpi=100, font_size=20, file_format="pdf", noise=noise)
    paths = render_form_set(e, tmp_path / "one", options)
    assert [p.name for p in paths] == ["scan.pdf"]
    pages = pdf_pages(paths[0].read_bytes())
    assert len(pages) == 4 and all(p.size == (827, 1169) and p.mode == "RGB" for p in pages)
    split = render_form_set(
        e, tmp_path / "two", RenderOptions(seed=2, dpi=100, font_size=20, file_format="pdf", pdf_files=2)
    )
    assert [p.name for p in split] == ["scan_1.pdf", "scan_2.pdf"]
    assert [len(pdf_pages(p.read_bytes())) for p in split] == [2, 2]
    assert encode_pages(render_pages(e, options), options)[0][1] == paths[0].read_bytes()  # deterministic


def test_demo_plan_mixes_kinds_and_files():
    plan = demo_plan(12)
    kinds = [t for t, _ in plan]
    assert kinds.count("ส.ส. 5/18") >= 7 and sum("(บช)" in t for t in kinds) == 1
    assert {"ส.ส. 5/16", "ส.ส. 5/17"} <= set(kinds)
    assert 2 <= sum(f == "pdf" for _, f in plan) <= 6
    assert all(t == "ส.ส. 5/18" and f == "auto" for t, f in demo_plan(3))  # small demos stay simple


def test_render_demo_form_sets(tmp_path):
    made = render_demo_form_sets(tmp_path / "a", n=6, seed=11)
    assert len({i for i, _ in made}) == 6
    for (form_set_id, extraction), (form_type, file_format) in zip(made, demo_plan(6)):
        folder = tmp_path / "a" / form_set_id
        truth = FormExtraction.model_validate(json.loads((folder / "ground_truth.json").read_text()))
        assert truth == extraction and truth.form_info.form_type == form_type
        files = sorted(p.name for p in folder.iterdir() if p.name != "ground_truth.json")
        n_pages = 4 if "(บช)" in form_type else 2
        if file_format == "pdf":
            assert files == ["scan.pdf"] and len(pdf_pages((folder / "scan.pdf").read_bytes())) == n_pages
        else:
            assert files in (
                [f"page_{k:02d}.png" for k in range(1, n_pages + 1)],
                [f"page_{k:02d}.jpg" for k in range(1, n_pages + 1)],
            )
    assert not list((tmp_path / "a").glob(".*"))  # no staging folders left behind
    again = render_demo_form_sets(tmp_path / "b", n=1, seed=11)
    assert again[0] == made[0]
    first = sorted((tmp_path / "a" / made[0][0]).glob("page_*"))
    second = sorted((tmp_path / "b" / made[0][0]).glob("page_*"))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_printed_demo_keeps_the_typed_look(tmp_path):
    made = render_demo_form_sets(tmp_path, n=3, seed=11, printed=True)
    for form_set_id, truth in made:
        assert truth.form_info.form_type == "ส.ส. 5/18"
        pages = sorted((tmp_path / form_set_id).glob("page_*"))
        assert len(pages) >= 3
        with Image.open(pages[0]) as im:
            assert im.mode == "L"
