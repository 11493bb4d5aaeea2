"""`dataset-platform extract` (JSON lines, usage errors), the tesseract model on rendered forms and PDF sets."""

from __future__ import annotations

import json

import pytest

from dataset_platform.forms.extract_cli import main
from dataset_platform.forms.model_config import ModelConfig
from dataset_platform.forms.runner import extract_form_sets
from dataset_platform.forms.schema import FormExtraction
from dataset_platform_tests.forms.helpers import make_form_set, sample_extraction


def test_extract_writes_one_line_per_folder(gemini_server, tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.url)
    good = make_form_set(tmp_path, "good")
    bad = make_form_set(tmp_path, "bad")
    (bad / "page_03.png").write_text("not an image")
    out = tmp_path / "out" / "predictions.jsonl"

    assert main([good, bad], model="gemini-2.5-flash", output=out, max_concurrency=2) == 0

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["good", "bad"]
    assert lines[0] == {"id": "good", "extraction": sample_extraction(), "error": None, "uncertain_fields": []}
    assert lines[1]["extraction"] is None and "page_03.png" in lines[1]["error"]
    assert lines[1]["uncertain_fields"] == []


def test_extract_line_carries_uncertain_fields(tmp_path, monkeypatch, capsys):
    from dataset_platform.forms import runner

    uncertain = ["ballot_statistics.good_ballots", "vote_results[0].vote_count"]

    def fake_offline(self, form_set_id, pages):  # the offline reader is built on another branch
        return self.record(form_set_id, extraction=sample_extraction(), uncertain_fields=list(uncertain))

    monkeypatch.setattr(runner._Extractor, "_offline", fake_offline)
    assert main([make_form_set(tmp_path, "a")], model="offline", output=None, max_concurrency=None) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["id"] == "a" and line["uncertain_fields"] == uncertain and line["error"] is None


def test_extract_to_stdout_is_quiet_on_stderr(gemini_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GEMINI_BASE_URL", gemini_server.url)
    assert main([make_form_set(tmp_path, "a")], model="gemini-2.5-flash", output=None, max_concurrency=None) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["id"] == "a"
    assert captured.err == ""


@pytest.mark.parametrize(
    ("model", "message"),
    [("gemini-2.5-flash", "GEMINI_API_KEY not set"), ("gpt-4o", "unknown model")],
)
def test_usage_errors_exit_non_zero(tmp_path, capsys, model, message):
    assert main([make_form_set(tmp_path, "a")], model=model, output=None, max_concurrency=None) == 2
    assert message in capsys.readouterr().err


def test_missing_folder_is_a_usage_error(tmp_path, capsys):
    assert main([tmp_path / "nope"], model="tesseract", output=None, max_concurrency=None) == 2
    assert "not a form-set folder" in capsys.readouterr().err


def test_progress_line_format():
    import io

    from dataset_platform.forms.extract_cli import Progress

    stream = io.StringIO()
    progress = Progress(2, stream)
    progress(1, 2, type("R", (), {"error": "boom"})())
    progress(2, 2, type("R", (), {"error": None})())
    text = stream.getvalue()
    assert "extract 1/2" in text and "extract 2/2" in text and "1 failed" in text and "ETA" in text


@pytest.mark.slow
def test_tesseract_model_reads_a_rendered_form(tmp_path):
    from dataset_platform.forms.render import RenderOptions, render_form_set

    expected = FormExtraction.model_validate(sample_extraction())
    folder = tmp_path / "rendered"
    render_form_set(expected, folder, RenderOptions(style="printed"))
    broken = make_form_set(tmp_path, "broken", pages=1)
    (broken / "page_02.png").write_bytes(b"")

    first = extract_form_sets([folder, broken], ModelConfig(model="tesseract"), max_concurrency=2)
    record = first[0]
    assert record.error is None, record.error
    assert record.prompt_version.startswith("ocr-") and record.cost_usd == 0
    got = {c["candidate_number"]: c["vote_count"] for c in record.extraction["vote_results"]}
    assert got == {1: 200, 2: 150, 3: 30}
    assert record.extraction["ballot_statistics"] == sample_extraction()["ballot_statistics"]
    assert "page_02.png: empty file" in first[1].error

    [again] = extract_form_sets([folder], ModelConfig(model="tesseract"))
    assert again.cache_hit and again.extraction == record.extraction


def _as_pdf(pages, target):
    """The page images as one multi-page PDF at 200 dpi (Pillow's writer), as phone scanners deliver them."""
    from PIL import Image

    images = [Image.open(p).convert("RGB") for p in pages]
    images[0].save(target, save_all=True, append_images=images[1:], resolution=200.0)
    return target


def test_tesseract_page_files_render_pdf_pages_in_order(tmp_path):
    from PIL import Image, ImageChops

    from dataset_platform.forms.pages import inspect_pages
    from dataset_platform.forms.runner import _page_files

    folder = tmp_path / "set"
    folder.mkdir()
    colours = ["white", "black", "gray"]
    sources = []
    for i, colour in enumerate(colours):
        image = Image.new("RGB", (400, 566), colour)
        image.paste((255, 0, 0), (10 + 40 * i, 10, 60 + 40 * i, 60))  # a mark that tells the pages apart
        sources.append(image)
        image.save(tmp_path / f"p{i}.png")
    _as_pdf([tmp_path / "p0.png", tmp_path / "p1.png"], folder / "a_scan.pdf")
    sources[2].save(folder / "b_page.png")
    pages = inspect_pages(folder)
    assert [p.is_pdf_page for p in pages] == [True, True, False]

    (tmp_path / "tmp").mkdir()
    files = _page_files(pages, tmp_path / "tmp")
    assert [f.name for f in files] == ["0000.png", "0001.png", "0002.png"]  # ordered by name as OCR reads them
    for file, source in zip(files, sources):
        with Image.open(file) as got:
            assert got.size == source.size
            diff = ImageChops.difference(got.convert("L"), source.convert("L"))
            assert sum(i * n for i, n in enumerate(diff.histogram())) / (400 * 566) < 2  # JPEG inside the PDF
            marks = [got.convert("RGB").getpixel((35 + 40 * i, 35)) for i in range(3)]
            red = [r > 200 and g < 60 and b < 60 for r, g, b in marks]
            assert red == [i == sources.index(source) for i in range(3)]
    plain = [p for p in pages if not p.is_pdf_page]
    assert _page_files(plain, tmp_path / "unused") == [folder / "b_page.png"]


@pytest.mark.slow
def test_tesseract_model_reads_a_pdf_form_set(tmp_path):
    from dataset_platform.forms.render import RenderOptions, render_form_set

    expected = FormExtraction.model_validate(sample_extraction())
    pages = render_form_set(expected, tmp_path / "rendered", RenderOptions(style="printed"))
    assert len(pages) >= 2
    folder = tmp_path / "pdf-set"
    folder.mkdir()
    _as_pdf(pages[:2], folder / "scan.pdf")  # the table's pages as one 2-page PDF

    [record] = extract_form_sets([folder], ModelConfig(model="tesseract"))
    assert record.error is None, record.error
    got = {c["candidate_number"]: c["vote_count"] for c in record.extraction["vote_results"]}
    assert got == {1: 200, 2: 150, 3: 30}
    assert record.extraction["ballot_statistics"] == sample_extraction()["ballot_statistics"]
