"""The offline `tesseract` extraction model: page images → OCR text (Tesseract ``tha+eng``) → `FormExtraction`.

Tesseract is CPU-bound, so pages are OCR'd in worker *processes*, each running Tesseract
single-threaded (``OMP_THREAD_LIMIT=1``): two processes on two cores beat one process with two
OpenMP threads. One module-level pool is shared by every caller in a process (many form sets →
one pool), created lazily and shut down at exit.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, cast

from dataset_platform.forms.ocr_parse import parse_form_text
from dataset_platform.forms.schema import FormExtraction

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

# Part of the extraction cache key: bump when preprocessing or parsing changes what is read.
OCR_VERSION = "v1"
LANG = "tha+eng"
TESSERACT_CONFIG = "--psm 6 --dpi 300 -c preserve_interword_spaces=1"
TARGET_DPI = 300  # Tesseract reads Thai best with glyphs ~ 300 dpi high; demo scans are 150–200 dpi
MAX_PIXELS = 60_000_000


class UnreadablePage(Exception):
    """A page that is missing, empty, corrupt or not an image; the whole form set fails with this reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"{self.path.name}: {reason}")

    def __reduce__(self):  # picklable across the process pool
        return (UnreadablePage, (str(self.path), self.reason))


def load_page(path: Path) -> Image.Image:
    """The page as an 8-bit grayscale image, or `UnreadablePage` saying why not."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise UnreadablePage(path, "file not found")
    if path.stat().st_size == 0:
        raise UnreadablePage(path, "empty file (0 bytes)")
    try:
        with Image.open(path) as probe:
            probe.verify()
        image = Image.open(path)
        if image.width * image.height > MAX_PIXELS:
            raise UnreadablePage(path, f"image too large ({image.width}×{image.height})")
        image.load()
    except UnreadablePage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadablePage(path, f"not a readable image ({type(exc).__name__}: {exc})") from None
    if image.width < 50 or image.height < 50:
        raise UnreadablePage(path, f"image too small ({image.width}×{image.height})")
    return image.convert("L")


def _otsu_threshold(gray: np.ndarray) -> int:
    import numpy as np

    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = gray.size
    weights = np.cumsum(hist)
    means = np.cumsum(hist * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (means[-1] * weights / total - means) ** 2 / (weights * (total - weights))
    return int(np.nanargmax(between[:-1]))


def estimate_skew(ink: np.ndarray, max_deg: float = 3.0) -> float:
    """Rotation (degrees) that makes text lines horizontal: the angle with the sharpest row profile.

    Coarse-to-fine (0.5° then 0.1°) on a small copy: ~20 rotations instead of 60.
    """
    import numpy as np
    from PIL import Image

    small = Image.fromarray((ink * 255).astype(np.uint8))
    scale = 700 / max(small.size)
    if scale < 1:
        small = small.resize((round(small.width * scale), round(small.height * scale)), Image.Resampling.BILINEAR)

    def sharpness(angle: float) -> float:
        rotated = np.asarray(small.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float64)
        return float(np.square(np.diff(rotated.sum(axis=1))).sum())

    coarse = max(np.arange(-max_deg, max_deg + 0.25, 0.5), key=lambda a: sharpness(float(a)))
    fine = max(np.arange(coarse - 0.4, coarse + 0.45, 0.1), key=lambda a: sharpness(float(a)))
    return round(float(fine), 2)


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels on a horizontal run of ≥ length set pixels (a binary opening in O(pixels), not O(pixels·length))."""
    import numpy as np

    csum = np.zeros((mask.shape[0], mask.shape[1] + 1), np.int32)
    np.cumsum(mask, axis=1, out=csum[:, 1:])
    full = (csum[:, length:] - csum[:, :-length]) == length  # the window starting at column j is all set
    starts = np.zeros((mask.shape[0], full.shape[1] + 1), np.int32)
    np.cumsum(full, axis=1, out=starts[:, 1:])
    cols = np.arange(mask.shape[1])
    lo = np.clip(cols - length + 1, 0, full.shape[1])
    hi = np.clip(cols + 1, 0, full.shape[1])
    return (starts[:, hi] - starts[:, lo]) > 0  # some all-set window covers the pixel


def _rule_mask(ink: np.ndarray, min_len: tuple[int, int], max_thickness: int) -> np.ndarray:
    """Pixels of straight rules (the table grid) at least min_len = (horizontal, vertical) long.

    A short closing along the line bridges the gaps blur and JPEG leave in a thin rule; the
    opening keeps runs longer than any glyph; blobs thicker than a rule are text lines that merged,
    not rules. The mask is widened so anti-aliased edges do not survive as glyph-like fragments.
    """
    import numpy as np
    from scipy import ndimage

    def thin_runs(mask: np.ndarray, length: int) -> np.ndarray:  # horizontal case; vertical via transpose
        runs = _long_runs(ndimage.binary_closing(mask, structure=np.ones((1, 5), bool)), length)
        labels, _ = ndimage.label(runs)
        keep = [0] + [int(sl[0].stop - sl[0].start <= max_thickness) for sl in ndimage.find_objects(labels)]
        return np.asarray(keep, bool)[labels]

    rules = thin_runs(ink, min_len[0]) | thin_runs(ink.T, min_len[1]).T
    return ndimage.binary_dilation(rules, structure=np.ones((3, 3), bool), iterations=2)


def _despeckle(ink: np.ndarray, max_area: int) -> np.ndarray:
    """Drop specks of dust: connected blobs smaller than the smallest Thai mark (a tone mark, a dot)."""
    import numpy as np
    from scipy import ndimage

    labels, count = ndimage.label(ink, structure=np.ones((3, 3), bool))
    if count == 0:
        return ink
    sizes = np.bincount(labels.ravel())
    keep = sizes > max_area
    keep[0] = False
    return keep[labels]


def preprocess(image: Image.Image, dpi: float | None = None) -> Image.Image:
    """Grayscale → deskew → erase table rules → upscale to ~300 dpi → binarise → despeckle."""
    import numpy as np
    from PIL import Image, ImageFilter

    # no smoothing at scan resolution: thin Thai strokes (loopless fonts at 150 dpi) would vanish
    gray = image.convert("L")
    arr = np.asarray(gray)
    threshold = _otsu_threshold(arr)
    ink = arr < threshold
    if ink.mean() < 1e-4:
        return gray  # blank page: nothing to straighten
    angle = estimate_skew(ink)
    if abs(angle) >= 0.1:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        arr = np.asarray(gray)
        ink = arr < threshold
    dpi = dpi or gray.width / 8.27  # A4 is ~8.3 in wide; infer the scan resolution when the file does not say
    # rules and dust are found at scan resolution (cheaper) and painted white before upscaling;
    # a lenient threshold catches the grey, blurred parts of thin rules
    rules = _rule_mask(
        arr < min(threshold + 50, 230),
        # a table's horizontal rules span the table; its vertical ones at least a header and a row
        min_len=(round(gray.width * 0.25), max(40, round(gray.width * 0.06))),
        max_thickness=round(dpi / 15),
    )
    dust = ink & ~_despeckle(ink & ~rules, max_area=max(2, round(4 * (dpi / 150) ** 2)))
    arr = np.where(rules | dust, 255, arr).astype(np.uint8)
    gray = Image.fromarray(arr, mode="L")
    scale = min(3.0, TARGET_DPI / dpi) if dpi < TARGET_DPI * 0.8 else 1.0
    if scale > 1:
        gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS)
    arr = np.asarray(gray)
    binary = Image.fromarray(np.where(arr < _otsu_threshold(arr), 0, 255).astype(np.uint8), mode="L")
    # at ~300 dpi a 3×3 median removes scanner dust but keeps strokes
    return binary.filter(ImageFilter.MedianFilter(3))


def ocr_page(path: Path | str) -> str:
    """OCR text of one page (runs in a worker process). Raises `UnreadablePage`."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import pytesseract

    path = Path(path)
    image = load_page(path)
    dpi = None
    try:
        from PIL import Image

        with Image.open(path) as original:
            dpi_info = original.info.get("dpi")
        if dpi_info and float(dpi_info[0]) > 50:
            dpi = float(dpi_info[0])
    except Exception:  # dpi is a hint only
        dpi = None
    arr_min = cast(tuple[int, int], image.getextrema())  # one band: (min, max)
    if arr_min[0] > 200 or arr_min[0] == arr_min[1]:
        raise UnreadablePage(path, "page is blank (no ink)")
    clean = preprocess(image, dpi)
    return pytesseract.image_to_string(clean, lang=LANG, config=TESSERACT_CONFIG)


_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_pool_lock = threading.Lock()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    # pay the imports when the pool starts, not on each worker's first page
    import numpy  # noqa: F401
    import pytesseract  # noqa: F401
    import scipy.ndimage  # noqa: F401
    from PIL import Image  # noqa: F401


def shared_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The process pool shared by every OCR call in this process (re-created if `workers` changes)."""
    global _pool, _pool_workers
    workers = workers or default_workers()
    with _pool_lock:
        if _pool is None or _pool_workers != workers:
            if _pool is not None:
                _pool.shutdown(wait=True)
            # spawn: safe inside multi-threaded hosts (Dagster, the extract CLI's thread pool)
            _pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
            )
            _pool_workers = workers
        return _pool


def shutdown_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


atexit.register(shutdown_pool)


def ocr_pages(paths: Iterable[Path], workers: int | None = None) -> list[str]:
    """OCR text of each page, in order, pages spread over the shared worker pool.

    ``workers=1`` keeps the work in this process (no pool): cheap for one page, and the baseline of
    the throughput benchmark.
    """
    paths = [Path(p) for p in paths]
    if workers == 1 or len(paths) == 0:
        return [ocr_page(p) for p in paths]
    try:
        return list(shared_pool(workers).map(ocr_page, paths))
    except BrokenProcessPool:  # a worker died (OOM kill, signal): start a fresh pool and retry once
        shutdown_pool()
        return list(shared_pool(workers).map(ocr_page, paths))


def ocr_form_set(page_paths: list[Path], *, workers: int | None = None) -> FormExtraction:
    """Read one form set's pages (sorted by name) into a `FormExtraction`; `UnreadablePage` if a page is bad."""
    paths = sorted((Path(p) for p in page_paths), key=lambda p: p.name)
    if not paths:
        raise UnreadablePage(Path("."), "form set has no pages")
    for path in paths:  # cheap check first: a corrupt page fails the set before any OCR time is spent
        load_page(path)
    return parse_form_text(ocr_pages(paths, workers))
