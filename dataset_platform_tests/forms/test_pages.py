"""Form-set pages: natural order, PDF form sets (listing, manifest, open_page), oversized and bomb pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from dataset_platform.forms import pages, paths
from dataset_platform.forms.pages import PageRef, UnreadableFormSet, form_set_manifest, open_page, readable_pages

A4_AT_200_DPI = (1654, 2339)


def write_pdf(path: Path, colours: list[tuple[int, int, int]]) -> Path:
    """A PDF with one A4 page per colour (Pillow writes 150 DPI images into A4-sized pages)."""
    images = [Image.new("RGB", (1240, 1754), colour) for colour in colours]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path


def write_png(path: Path, size=(40, 60), colour=(255, 255, 255), mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour if mode == "RGB" else 1).save(path)
    return path


def test_pages_are_in_natural_order_and_hidden_files_are_ignored(tmp_path):
    root = tmp_path / "forms"
    for n in (10, 2, 1):
        write_png(root / "fs" / f"page_{n}.png")
    write_png(root / "fs" / ".page_0.png")
    (root / "fs" / "ground_truth.json").write_text("{}")
    (root / ".staging").mkdir()
    assert [p.name for p in paths.page_files(root / "fs")] == ["page_1.png", "page_2.png", "page_10.png"]
    assert [p.name for p in readable_pages(root / "fs")] == ["page_1.png", "page_2.png", "page_10.png"]
    assert paths.form_set_ids(root) == ["fs"]


def test_pdf_form_set_lists_files_then_pages(tmp_path):
    folder = tmp_path / "batch"
    write_pdf(folder / "scan_10.pdf", [(0, 0, 255)])
    write_pdf(folder / "scan_2.pdf", [(255, 0, 0), (0, 255, 0)])
    manifest = form_set_manifest(folder)
    assert manifest.readable and manifest.error is None and manifest.num_pages == 3
    listed = [(p.name, p.page_index, p.width, p.height) for p in manifest.pages]
    assert listed == [
        ("scan_2.pdf#1", 0, *A4_AT_200_DPI),
        ("scan_2.pdf#2", 1, *A4_AT_200_DPI),
        ("scan_10.pdf#1", 0, *A4_AT_200_DPI),
    ]
    assert len({p.sha256 for p in manifest.pages}) == 3  # each page hashed by its own content
    sizes = {(folder / n).stat().st_size for n in ("scan_2.pdf", "scan_10.pdf")}
    assert manifest.total_bytes == sum(sizes)  # a PDF counted once, not once per page
    colours = [open_page(p).getpixel((800, 1200)) for p in readable_pages(folder)]
    expected = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]  # Pillow stores the pages as JPEG: ±2 per channel
    assert all(abs(a - b) <= 2 for got, want in zip(colours, expected) for a, b in zip(got, want)), colours
    assert all(open_page(p).mode == "RGB" and open_page(p).size == A4_AT_200_DPI for p in readable_pages(folder))
    refs = pages.page_refs(folder)
    assert [r.name for r in refs] == ["scan_2.pdf#1", "scan_2.pdf#2", "scan_10.pdf#1"]
    assert open_page(refs[1]).getpixel((10, 10))[1] > 250


def test_same_pdf_page_hashes_the_same_and_a_changed_page_differently(tmp_path):
    write_pdf(tmp_path / "a" / "s.pdf", [(255, 0, 0), (0, 255, 0)])
    write_pdf(tmp_path / "b" / "s.pdf", [(255, 0, 0), (0, 0, 0)])
    a, b = readable_pages(tmp_path / "a"), readable_pages(tmp_path / "b")
    assert a[0].sha256 == b[0].sha256 and a[1].sha256 != b[1].sha256


def test_image_pages_open_as_rgb(tmp_path):
    write_png(tmp_path / "fs" / "page_01.png", mode="L", colour=128)
    [page] = readable_pages(tmp_path / "fs")
    image = open_page(page)
    assert image.mode == "RGB" and image.size == (40, 60) and page.page_index is None and page.mime_type == "image/png"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"%PDF-1.4 garbage", "not a readable PDF"), (b"hello", "not a readable PDF")],
)
def test_bad_pdf_is_named_with_its_reason(tmp_path, data, reason):
    (tmp_path / "fs").mkdir()
    (tmp_path / "fs" / "scan.pdf").write_bytes(data)
    manifest = form_set_manifest(tmp_path / "fs")
    assert not manifest.readable and manifest.num_unreadable_pages == 1
    assert manifest.error is not None and manifest.error.startswith("unreadable page(s): scan.pdf: ")
    assert reason in manifest.error
    with pytest.raises(UnreadableFormSet, match="scan.pdf"):
        readable_pages(tmp_path / "fs")
    with pytest.raises(UnreadableFormSet, match="scan.pdf"):
        open_page(PageRef(str(tmp_path / "fs" / "scan.pdf"), "scan.pdf"))


def test_decompression_bomb_page_is_refused_and_named(tmp_path):
    # 14000×13000 1-bit pixels: 182 MP, above Pillow's own error limit, ~10 kB on disk and 23 MB to build
    bomb = write_png(tmp_path / "fs" / "page_02.png", size=(14000, 13000), mode="1")
    write_png(tmp_path / "fs" / "page_01.png")
    manifest = form_set_manifest(tmp_path / "fs")
    assert manifest.num_unreadable_pages == 1 and not manifest.readable
    [bad] = [p for p in manifest.pages if not p.readable]
    assert bad.name == "page_02.png" and "decompression bomb" in (bad.reason or "")
    assert bomb.stat().st_size < 1_000_000


def test_oversized_png_is_rejected_and_oversized_jpeg_decoded_reduced(tmp_path, monkeypatch):
    # the limits scaled down 100× so the test builds small images; the rules are the same
    monkeypatch.setattr(pages, "MAX_PAGE_PIXELS", 1_000_000)
    monkeypatch.setattr(pages, "BOMB_PIXELS", 2_000_000)
    monkeypatch.setattr(pages, "OVERSIZE_TARGET_PIXELS", 400_000)
    write_png(tmp_path / "png" / "page_01.png", size=(1200, 1000))
    [png] = form_set_manifest(tmp_path / "png").pages
    assert not png.readable and "1200×1000 px" in (png.reason or "") and "page limit" in (png.reason or "")

    Image.new("RGB", (1200, 1000), (10, 200, 30)).save(tmp_path / "page_01.jpg", quality=95)
    (tmp_path / "jpg").mkdir()
    (tmp_path / "page_01.jpg").rename(tmp_path / "jpg" / "page_01.jpg")
    [jpg] = readable_pages(tmp_path / "jpg")
    assert (jpg.width, jpg.height) == (1200, 1000)  # the file's own size is reported
    image = open_page(jpg)
    assert image.size == (600, 500) and image.mode == "RGB"  # decoded at 1/2 scale, never in full

    Image.new("RGB", (1500, 1400), "white").save(tmp_path / "jpg" / "page_02.jpg")
    bad = [p for p in form_set_manifest(tmp_path / "jpg").pages if not p.readable]
    assert [p.name for p in bad] == ["page_02.jpg"] and "decompression bomb" in (bad[0].reason or "")
