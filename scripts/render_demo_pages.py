"""Write one page of each demo form kind to docs/demo_forms/ (the README's pictures of the demo forms).

    .venv/bin/python scripts/render_demo_pages.py [--out docs/demo_forms]

Each page is rendered at 150 dpi as `demo-data` does, scaled to 100 dpi and stored as a 256-colour
PNG (phone scans softened, 40 colours) so each stays under 300 KB.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataset_platform.forms.demo import random_extraction  # noqa: E402
from dataset_platform.forms.render import NoiseOptions, RenderOptions, render_pages  # noqa: E402

# (file name, form type, page, phone-scan noise)
PAGES = (
    ("ss5-18_page1.png", "ส.ส. 5/18", 1, False),
    ("ss5-18_page2_signatures.png", "ส.ส. 5/18", 2, False),
    ("ss5-17_page1_phone-scan.png", "ส.ส. 5/17", 1, True),
    ("ss5-16_page1.png", "ส.ส. 5/16", 1, False),
    ("ss5-18-partylist_page1.png", "ส.ส. 5/18 (บช)", 1, False),
    ("ss5-17-partylist_page3_phone-scan.png", "ส.ส. 5/17 (บช)", 3, True),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/demo_forms"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from PIL import Image, ImageFilter

    for k, (name, form_type, page, noisy) in enumerate(PAGES):
        rng = random.Random(args.seed + k)
        _, extraction = random_extraction(rng, form_type=form_type)
        options = RenderOptions(seed=args.seed + k, noise=NoiseOptions.phone(rng) if noisy else None)
        image = render_pages(extraction, options)[page - 1]
        if noisy:  # sensor grain does not compress: soften it, scale to 75 dpi and use 40 colours (≤ 300 KB)
            image = image.filter(ImageFilter.MedianFilter(3))
        scale = 1 / 2 if noisy else 2 / 3
        small = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        small.quantize(colors=40 if noisy else 256, dither=Image.Dither.NONE).save(args.out / name, optimize=True)
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
