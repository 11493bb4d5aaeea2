"""The `offline` model on the handwritten demo renders (real layouts, ink, phone-scan noise, PDFs).

    python bench/offline_renders.py [--quick] [--sets N] [--models offline,tesseract]

Renders N form sets with `render_demo_form_sets` at a seed the demo never uses (the demo plan's mix of
5/18, 5/16-5/17 batches, a party-list set from six sets on, some as PDFs), reads them through
`extract_form_sets` (2 workers, fresh cache) and scores them with the figures of `bench/real_forms.py`.
Writes bench/results/offline_renders.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_forms import score, summarise  # noqa: E402

SEED = 31_337_000  # far from the demo's seeds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 sets")
    parser.add_argument("--sets", type=int, default=8)
    parser.add_argument("--models", default="offline")
    args = parser.parse_args()
    from dataset_platform.forms.cache import ExtractionCache
    from dataset_platform.forms.demo import render_demo_form_sets
    from dataset_platform.forms.model_config import ModelConfig
    from dataset_platform.forms.pages import inspect_pages
    from dataset_platform.forms.runner import extract_form_sets

    n = 3 if args.quick else args.sets
    result: dict = {"sets": n, "seed": SEED, "models": {}}
    with tempfile.TemporaryDirectory(prefix="offline-renders-") as tmp:
        root = Path(tmp) / "forms"
        made = render_demo_form_sets(root, n, SEED)
        dirs = [root / fid for fid, _ in made]
        pages = sum(len(inspect_pages(d)) for d in dirs)
        kinds = sorted({e.form_info.form_type for _, e in made})
        print(f"{n} rendered sets, {pages} pages, kinds: {', '.join(kinds)}")
        for model in [m for m in args.models.split(",") if m]:
            started = time.perf_counter()
            records = extract_form_sets(
                dirs, ModelConfig(model=model), max_concurrency=2, cache=ExtractionCache(Path(tmp) / f"cache-{model}")
            )
            seconds = time.perf_counter() - started
            rows = [
                score(r.extraction, e.model_dump(mode="json"), r.uncertain_fields) for r, (_, e) in zip(records, made)
            ]
            summary = summarise(rows, pages, seconds)
            summary["errors"] = [r.error for r in records if r.error]
            per_kind = {}
            for kind in kinds:
                idx = [i for i, (_, e) in enumerate(made) if e.form_info.form_type == kind]
                per_kind[kind] = summarise([rows[i] for i in idx], 0, 0)
            result["models"][model] = {**summary, "per_kind": per_kind}
            print(
                f"{model:9s} vote_acc={summary['vote_accuracy']} ballot_acc={summary['ballot_accuracy']} "
                f"number_precision={summary['number_precision']} abstained={summary['abstained']} "
                f"pages/s={summary['pages_per_s']} (2 workers)",
                flush=True,
            )
            for kind, s in per_kind.items():
                print(
                    f"  {kind}: vote_acc={s['vote_accuracy']} precision={s['number_precision']} sets={s['form_sets']}"
                )
    out = Path(__file__).resolve().parent / "results" / "offline_renders.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
