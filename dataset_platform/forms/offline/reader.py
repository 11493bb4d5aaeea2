"""Form set → `Assembled` extraction, pages read in parallel on the OCR process pool of `forms.ocr`.

The pool is the one the ``tesseract`` model uses (one pool per process, spawn, single-threaded
workers, released at the end of each batch by the runner); only the function sent to it differs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from dataset_platform.forms.offline.assemble import Assembled, assemble
from dataset_platform.forms.offline.page import PageReading, read_page

# Part of the extraction cache key: bump when locating, reading or the arithmetic changes what is returned.
OFFLINE_VERSION = "v5"
PDF_DPI = 200


@dataclass(frozen=True)
class PageSource:
    """One page: an image file, or page `index` of a PDF."""

    path: str
    index: int | None = None


def page_sources(paths: Sequence[Path | str]) -> list[PageSource]:
    """Image files as one page each; each PDF as its pages in order."""
    sources: list[PageSource] = []
    for path in paths:
        path = Path(path)
        if path.suffix.lower() == ".pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(path))
            try:
                sources += [PageSource(str(path), i) for i in range(len(pdf))]
            finally:
                pdf.close()
        else:
            sources.append(PageSource(str(path)))
    return sources


def open_source(source: PageSource) -> object:
    """The page as a PIL image (PDF pages rendered at `PDF_DPI`)."""
    if source.index is None:
        from PIL import Image

        with Image.open(source.path) as image:
            image.load()
            return image.convert("RGB")
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source.path)
    try:
        return pdf[source.index].render(scale=PDF_DPI / 72).to_pil().convert("RGB")
    finally:
        pdf.close()


def read_source(source: PageSource | object) -> PageReading:
    """Worker entry point: open and read one page (a `PageSource`, or the runner's `pages.PageInfo`)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if isinstance(source, PageSource):
        return read_page(open_source(source))
    from dataset_platform.forms import pages

    return read_page(pages.open_page(source))  # type: ignore[arg-type]


def read_pages(sources: Sequence[PageSource | object], workers: int | None = None) -> list[PageReading]:
    """Readings of each page, in order; ``workers=1`` reads in this process."""
    from dataset_platform.forms import ocr

    sources = list(sources)
    if workers == 1 or not sources:
        return [read_source(s) for s in sources]
    try:
        return list(ocr.shared_pool(workers).map(read_source, sources))
    except BrokenProcessPool:  # a worker died (OOM kill, signal): start a fresh pool and retry once
        ocr.shutdown_pool()
        return list(ocr.shared_pool(workers).map(read_source, sources))


def read_form_set(paths: Sequence[Path | str], workers: int | None = None) -> Assembled:
    """Read the pages (image files and/or PDFs, in order) of one form set."""
    return assemble(read_pages(page_sources(paths), workers))


def read_page_infos(page_infos: Sequence[object], workers: int | None = None) -> Assembled:
    """Read a form set's pages as the runner lists them (`pages.PageInfo`, opened by `pages.open_page`)."""
    return assemble(read_pages(list(page_infos), workers))


def availability() -> str | None:
    """None when the offline model can run here, else why not (for `ExtractionModels.availability`)."""
    import shutil

    from dataset_platform.forms.offline.recognise import RecogniserUnavailable, bundled_models

    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "onnxruntime is not installed"
    try:
        bundled_models()
    except RecogniserUnavailable as exc:
        return str(exc)
    if shutil.which("tesseract") is None:
        return "tesseract is not installed (Debian tesseract-ocr tesseract-ocr-tha)"
    return None
