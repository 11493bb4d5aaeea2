"""The pages of a form set: listing, content hashes, pixel sizes, whether each is readable, and opening them.

A form set is a folder of page images (``page_01.png, page_02.jpg, ...``) or one or more PDFs (DESIGN.md);
``forms/paths.py`` says which files are pages and in what order. This is the ``raw_form_images`` manifest,
the gate that turns a corrupt, empty, oversized or non-image page into a clear per-form-set failure before
any model is called, and ``open_page``, the one way every model reads a page as pixels.

PDF pages are rendered with PDFium (pypdfium2) at ``RENDER_DPI``. PDFium is not thread-safe, so every call
into it holds ``_PDFIUM_LOCK``; the runner's threads then render one page at a time.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataset_platform.forms import paths
from dataset_platform.forms.paths import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from PIL import Image as PILImage

MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf"}

# 200 DPI renders an A4 page at 1654×2339 px (Letter 1700×2200): handwritten digits ~5 mm tall come out
# ~40 px high, plenty for the recognisers and above what Gemini/VLMs keep after their own downscaling,
# while 300 DPI would cost 2.25× the pixels, memory and render time for no gain in reading.
RENDER_DPI = 200
# A PDF page larger than ~20 in (posters, broken scanner page boxes) renders at a lower scale instead.
MAX_RENDER_SIDE = 4000
# Pillow's default ``Image.MAX_IMAGE_PIXELS`` (its decompression-bomb warning); twice that is its error.
# Kept here so a global change to Pillow's limit does not change which pages are accepted.
MAX_PAGE_PIXELS = 89_478_485
BOMB_PIXELS = 2 * MAX_PAGE_PIXELS
# Oversized JPEGs (between the two limits) are decoded at 1/2, 1/4 or 1/8 scale (JPEG DCT scaling, the
# full image is never held) down to at most this many pixels: A4 scanned at 600 DPI, the most a scanner offers.
OVERSIZE_TARGET_PIXELS = 36_000_000

_PDFIUM_LOCK = threading.Lock()


class UnreadableFormSet(ValueError):
    """A form set whose pages cannot all be read; the message names the pages and why."""


@dataclass(frozen=True)
class PageInfo:
    """One page. For a PDF page ``path`` is the PDF, ``page_index`` its 0-based page, ``name`` ``scan.pdf#2``
    (1-based) and ``sha256`` the hash of the page rendered at ``RENDER_DPI``; ``size_bytes`` is the file's."""

    path: str
    name: str
    sha256: str
    size_bytes: int
    width: int | None
    height: int | None
    readable: bool
    reason: str | None
    page_index: int | None = None

    @property
    def is_pdf_page(self) -> bool:
        return self.page_index is not None

    @property
    def mime_type(self) -> str:
        return MIME_TYPES.get(Path(self.path).suffix.lower(), "application/octet-stream")

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True)
class PageRef:
    """A page located without reading it (no hash, no decode): what a viewer lists and ``open_page`` opens."""

    path: str
    name: str
    page_index: int | None = None

    readable = True  # not inspected: ``open_page`` reports what it cannot open

    @property
    def is_pdf_page(self) -> bool:
        return self.page_index is not None


def _pdf_page_count(path: Path) -> int | None:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            return None
        try:
            return len(pdf)
        finally:
            pdf.close()


def page_refs(form_set_dir: Path) -> list[PageRef]:
    """The set's pages in the order the model reads them, cheaply (a PDF is opened only to count its pages);
    an unreadable PDF stays one entry that ``open_page`` reports."""
    refs = []
    for path in paths.page_files(Path(form_set_dir)):
        count = _pdf_page_count(path) if paths.is_pdf(path) else None
        if count:
            refs += [PageRef(str(path.resolve()), f"{path.name}#{i + 1}", i) for i in range(count)]
        else:
            refs.append(PageRef(str(path.resolve()), path.name))
    return refs


def _pil() -> Any:
    """Pillow, with its decompression-bomb warning silenced: this module applies its own limits (re-applied on
    each call since test runners and ``catch_warnings`` reset the filters; an identical filter is replaced)."""
    import warnings

    from PIL import Image

    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    return Image


def list_pages(form_set_dir: Path) -> list[Path]:
    """Every page file of the set in page order (PDFs as one entry each)."""
    form_set_dir = Path(form_set_dir)
    if not form_set_dir.is_dir():
        raise UnreadableFormSet(f"form set folder {form_set_dir} does not exist")
    return paths.page_files(form_set_dir)


def _draft_scale(width: int, height: int) -> int:
    """1 when the image may be decoded in full, else the JPEG draft reduction (2, 4 or 8)."""
    if width * height <= MAX_PAGE_PIXELS:
        return 1
    for scale in (2, 4, 8):
        if (width // scale) * (height // scale) <= OVERSIZE_TARGET_PIXELS:
            return scale
    return 8


def _size_limit_reason(width: int, height: int, image_format: str | None) -> str | None:
    pixels = width * height
    size = f"{width}×{height} px ({pixels / 1e6:.0f} MP)"
    if pixels > BOMB_PIXELS:
        return f"{size} is over the {BOMB_PIXELS / 1e6:.0f} MP limit (a decompression bomb or a broken scan)"
    if pixels > MAX_PAGE_PIXELS and image_format != "JPEG":
        return (
            f"{size} is over the {MAX_PAGE_PIXELS / 1e6:.0f} MP page limit and, not being a JPEG, cannot be "
            "decoded at reduced size; rescan at 300–600 DPI"
        )
    return None


def _open_image(path: Path) -> PILImage.Image:
    """The decoded image (reduced for an oversized JPEG); raises ``ValueError`` over the size limits."""
    Image = _pil()
    img = Image.open(path)
    try:
        width, height = img.size
        reason = _size_limit_reason(width, height, img.format)
        if reason:
            raise ValueError(reason)
        scale = _draft_scale(width, height)
        if scale > 1:
            img.draft("RGB", (width // scale, height // scale))
        img.load()  # decodes every byte: catches truncated or corrupt data that open() accepts
    except BaseException:
        img.close()
        raise
    return img


def _inspect_image(path: Path, data: bytes) -> tuple[int | None, int | None, str | None]:
    Image = _pil()
    from PIL import UnidentifiedImageError

    if not data:
        return None, None, "empty file"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None, None, f"not an image file ({path.suffix or 'no extension'}); expected png, jpg or pdf"
    width = height = None
    try:
        with Image.open(path) as img:
            width, height = img.size
        with _open_image(path):
            pass
    except Image.DecompressionBombError as exc:  # Pillow refuses to open it at all (above its 2× limit)
        return width, height, f"decompression bomb refused by Pillow: {exc}"
    except UnidentifiedImageError:
        return width, height, "not a valid png/jpg image"
    except ValueError as exc:
        return width, height, str(exc)
    except (OSError, SyntaxError) as exc:
        return width, height, f"corrupt image: {exc}"
    return width, height, None


def _render_scale(page: Any) -> float:
    width_pt, height_pt = page.get_size()
    scale = RENDER_DPI / 72
    longest = max(width_pt, height_pt, 1.0)
    return min(scale, MAX_RENDER_SIDE / longest)


def _render(pdf: Any, index: int) -> PILImage.Image:
    """Page ``index`` of an open PdfDocument as an RGB image; the caller holds ``_PDFIUM_LOCK``."""
    page = pdf[index]
    try:
        bitmap = page.render(scale=_render_scale(page))
        image = bitmap.to_pil().convert("RGB")
        bitmap.close()
        return image
    finally:
        page.close()


def _pdf_reason(exc: BaseException) -> str:
    message = str(exc)
    if "password" in message.lower():
        return "password-protected PDF"
    return f"not a readable PDF: {message[:200]}"


def _inspect_pdf(path: Path, data: bytes) -> list[PageInfo]:
    import pypdfium2 as pdfium

    def whole_file(reason: str) -> list[PageInfo]:
        digest = hashlib.sha256(data).hexdigest()
        return [PageInfo(str(path.resolve()), path.name, digest, len(data), None, None, False, reason)]

    if not data:
        return whole_file("empty file")
    pages = []
    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            return whole_file(_pdf_reason(exc))
        try:
            if len(pdf) == 0:
                return whole_file("PDF has no pages")
            for index in range(len(pdf)):
                name = f"{path.name}#{index + 1}"
                try:
                    image = _render(pdf, index)
                except (pdfium.PdfiumError, OSError, ValueError) as exc:
                    digest = hashlib.sha256(data + f"#{index}".encode()).hexdigest()
                    pages.append(
                        PageInfo(
                            str(path.resolve()),
                            name,
                            digest,
                            len(data),
                            None,
                            None,
                            False,
                            f"page cannot be rendered: {exc}",
                            index,
                        )
                    )
                    continue
                digest = hashlib.sha256(f"{image.width}x{image.height}:".encode() + image.tobytes()).hexdigest()
                pages.append(
                    PageInfo(str(path.resolve()), name, digest, len(data), image.width, image.height, True, None, index)
                )
        finally:
            pdf.close()
    return pages


def inspect_file(path: Path) -> list[PageInfo]:
    """The pages of one page file: one for an image, one per page for a PDF (one naming why it is unreadable)."""
    path = Path(path)
    data = path.read_bytes()
    if paths.is_pdf(path):
        return _inspect_pdf(path, data)
    width, height, reason = _inspect_image(path, data)
    return [
        PageInfo(
            path=str(path.resolve()),
            name=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            width=width,
            height=height,
            readable=reason is None,
            reason=reason,
        )
    ]


def inspect_page(path: Path) -> PageInfo:
    """One image file's page (kept for callers that hold a single image)."""
    return inspect_file(path)[0]


def inspect_pages(form_set_dir: Path) -> list[PageInfo]:
    """Every page of the set in reading order: files in natural order, a PDF's pages in page order."""
    return [page for path in list_pages(form_set_dir) for page in inspect_file(path)]


def open_page(page: PageInfo | PageRef) -> PILImage.Image:
    """The page as an RGB image: image files decoded (oversized JPEGs at reduced scale), PDF pages rendered
    at ``RENDER_DPI``. Raises ``UnreadableFormSet`` naming the page when it cannot be read."""
    if isinstance(page, PageInfo) and not page.readable:  # a PageRef is not inspected: always readable
        raise UnreadableFormSet(f"{page.name}: {page.reason}")
    try:
        if page.is_pdf_page:
            import pypdfium2 as pdfium

            with _PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(page.path)
                try:
                    return _render(pdf, int(page.page_index or 0))
                finally:
                    pdf.close()
        if paths.is_pdf(Path(page.path)):
            raise ValueError("not a readable PDF")
        with _open_image(Path(page.path)) as img:
            return img.convert("RGB")
    except UnreadableFormSet:
        raise
    except Exception as exc:  # changed or vanished since inspection: still this page's fault alone
        raise UnreadableFormSet(f"{page.name}: cannot open ({type(exc).__name__}: {exc})"[:300]) from None


@dataclass(frozen=True)
class FormSetManifest:
    """The ``raw_form_images`` record of one form set (written as JSON by ``to_dict``)."""

    form_set_id: str
    folder: str
    pages: list[PageInfo]
    error: str | None

    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def num_pages(self) -> int:
        return len(self.pages)

    @property
    def num_unreadable_pages(self) -> int:
        return sum(not p.readable for p in self.pages)

    @property
    def total_bytes(self) -> int:
        """Bytes of the set's files (a PDF counted once, not once per page)."""
        return sum({p.path: p.size_bytes for p in self.pages}.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_set_id": self.form_set_id,
            "folder": self.folder,
            "num_pages": self.num_pages,
            "num_unreadable_pages": self.num_unreadable_pages,
            "total_bytes": self.total_bytes,
            "readable": self.readable,
            "error": self.error,
            "pages": [asdict(p) for p in self.pages],
        }


def form_set_manifest(form_set_dir: Path) -> FormSetManifest:
    """Every page of one form set, inspected (never raises for a bad page or folder: ``error`` says why)."""
    form_set_dir = Path(form_set_dir)
    try:
        pages = inspect_pages(form_set_dir)
        error = unreadable_reason(pages)
    except UnreadableFormSet as exc:
        pages, error = [], str(exc)
    return FormSetManifest(form_set_id=form_set_dir.name, folder=str(form_set_dir.resolve()), pages=pages, error=error)


def unreadable_reason(pages: list[PageInfo]) -> str | None:
    if not pages:
        return "no page images or PDFs in the form set folder"
    bad = [f"{p.name}: {p.reason}" for p in pages if not p.readable]
    return ("unreadable page(s): " + "; ".join(bad)) if bad else None


def readable_pages(form_set_dir: Path) -> list[PageInfo]:
    """The set's pages, or ``UnreadableFormSet`` naming every page that cannot be used."""
    pages = inspect_pages(form_set_dir)
    error = unreadable_reason(pages)
    if error:
        raise UnreadableFormSet(error)
    return pages
