"""What a PDF form set costs next to the same pages as PNG files, measured side by side in one run.

Three A4 pages of scan-like noise, once as ``page_NN.png`` files at 200 DPI and once as one PDF (the same
pixels as JPEG, as phone scanners write them). Measured: the ``raw_form_images`` manifest (hash + full decode
or render of every page) and ``open_page`` of every page, per page; and rendering the PDF at 300 vs 200 DPI.
Run: ``.venv/bin/python bench/pdf_pages.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataset_platform.forms import pages  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "pdf_pages.json"


def _scan_like(seed: int):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = rng.normal(235, 12, size=(2339, 1654, 3)).clip(0, 255).astype("uint8")
    pixels[400:2000:40, 150:1500] = 20  # dark ruled lines, like a form
    return Image.fromarray(pixels, "RGB")


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 2 if parser.parse_args().quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        png_dir, pdf_dir = Path(tmp) / "png", Path(tmp) / "pdf"
        png_dir.mkdir()
        pdf_dir.mkdir()
        images = [_scan_like(i) for i in range(3)]
        for i, image in enumerate(images, start=1):
            image.save(png_dir / f"page_{i:02d}.png")
        images[0].save(pdf_dir / "scan.pdf", save_all=True, append_images=images[1:], resolution=200, quality=85)
        n = len(images)
        manifest_png = _best(lambda: pages.form_set_manifest(png_dir), repeats) / n
        manifest_pdf = _best(lambda: pages.form_set_manifest(pdf_dir), repeats) / n
        png_pages, pdf_pages = pages.readable_pages(png_dir), pages.readable_pages(pdf_dir)
        open_png = _best(lambda: [pages.open_page(p) for p in png_pages], repeats) / n
        open_pdf = _best(lambda: [pages.open_page(p) for p in pdf_pages], repeats) / n
        dpi_200 = open_pdf
        pages.RENDER_DPI = 300
        dpi_300 = _best(lambda: [pages.open_page(p) for p in pdf_pages], repeats) / n
        pages.RENDER_DPI = 200
    result = {
        "pages": n,
        "manifest_s_per_page": {"png": round(manifest_png, 4), "pdf": round(manifest_pdf, 4)},
        "open_page_s_per_page": {"png": round(open_png, 4), "pdf": round(open_pdf, 4)},
        "ratio_manifest_pdf_vs_png": round(manifest_pdf / manifest_png, 2),
        "ratio_open_pdf_vs_png": round(open_pdf / open_png, 2),
        "ratio_render_300_vs_200_dpi": round(dpi_300 / dpi_200, 2),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
