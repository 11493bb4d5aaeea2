"""Offline OCR baseline: pages/second with 1 vs 2 worker processes, and accuracy on never-seen renders.

    python bench/ocr_throughput.py [--quick] [--sets N] [--font NAME]

Renders N clean and N noisy form sets with a font the demo generator does not use and seeds it
never uses, OCRs every page once in this process (1 worker) and once over the shared pool of 2
worker processes (same pages, side by side), then parses the 2-worker texts and scores them with
the experiments' evaluators against the renders' ground truth. Writes bench/results/ocr_throughput.json.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataset_platform.forms.demo import random_extraction  # noqa: E402
from dataset_platform.forms.render import DEFAULT_FONTS, NoiseOptions, RenderOptions, render_form_set  # noqa: E402

BENCH_FONTS = ("Kinnari", "Umpush", "Sawasdee", "Norasi", "Laksaman", "Tlwg Typo")
SEED = 20_260_000  # far from any demo seed


def _scorers():
    try:
        from dataset_platform.experiments.evaluators import field_accuracy, vote_accuracy

        return vote_accuracy, field_accuracy, "dataset_platform.experiments.evaluators"
    except ImportError:  # the experiments package is optional for this benchmark

        def vote_accuracy(_input, output, expected):
            p = {c["candidate_number"]: c["vote_count"] for c in output["vote_results"]}
            e = {c["candidate_number"]: c["vote_count"] for c in expected["vote_results"]}
            keys = set(p) | set(e)
            return 1.0 if not keys else sum(k in p and k in e and p[k] == e[k] for k in keys) / len(keys)

        return vote_accuracy, None, "local"


def _cpu_seconds(workers: int) -> float:
    """CPU seconds spent on OCR so far: this process and its reaped children (Tesseract runs as a
    child process) for 1 worker; the pool's worker processes and their reaped children for 2."""
    if workers == 1:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    import psutil

    from dataset_platform.forms import ocr

    pool = ocr.shared_pool(workers)
    return sum(sum(psutil.Process(pid).cpu_times()[:4]) for pid in pool._processes)  # noqa: SLF001


def render_sets(root: Path, n: int, noisy: bool, fonts: tuple[str, ...], seed: int):
    rng = random.Random(seed)
    sets = []
    for i in range(n):
        form_set_id, truth = random_extraction(rng)
        options = RenderOptions(
            style="printed",
            font=fonts[i % len(fonts)],
            font_size=rng.choice((26, 28, 32, 34)),
            line_spacing=rng.choice((1.5, 1.7, 2.1)),
            digits=rng.choice(("arabic", "thai", "mixed")),
            thousands_separator=rng.choice((True, False, "mixed")),
            dpi=rng.choice((150, 200)),
            noise=NoiseOptions.random(rng) if noisy else None,
            seed=rng.randrange(2**31),
        )
        folder = root / f"{'noisy' if noisy else 'clean'}-{i:02d}-{form_set_id}"
        sets.append((folder.name, truth, render_form_set(truth, folder, options), options.font))
    return sets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 clean + 2 noisy form sets")
    parser.add_argument("--sets", type=int, default=None, help="form sets per variant (default 6, quick 2)")
    parser.add_argument("--font", action="append", default=None, help="font family (repeatable)")
    parser.add_argument("--throughput-pages", type=int, default=None, help="pages timed (default 16, quick 6)")
    parser.add_argument("--repeats", type=int, default=None, help="alternating timing rounds (default 2, quick 1)")
    args = parser.parse_args()
    n = args.sets or (2 if args.quick else 6)
    args.throughput_pages = args.throughput_pages or (6 if args.quick else 16)
    args.repeats = args.repeats or (1 if args.quick else 2)
    fonts = tuple(args.font or BENCH_FONTS)
    assert not set(fonts) & set(DEFAULT_FONTS), "the benchmark must use fonts the demo does not"
    os.environ["OMP_THREAD_LIMIT"] = "1"

    from dataset_platform.forms.ocr import _init_worker, ocr_pages, shared_pool, shutdown_pool
    from dataset_platform.forms.ocr_parse import parse_form_text

    vote_accuracy, field_accuracy, scorer = _scorers()
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        sets = render_sets(Path(tmp), n, False, fonts, SEED) + render_sets(Path(tmp), n, True, fonts, SEED + 1)
        pages = [p for _, _, paths, _ in sets for p in paths]
        print(f"{len(sets)} form sets, {len(pages)} pages, fonts {', '.join(fonts)}; load {os.getloadavg()[0]:.1f}")

        # accuracy: every page once over the 2-worker pool
        list(shared_pool(2).map(abs, range(4)))  # start the 2 worker processes outside any timing
        _init_worker()  # and pay this process's imports before the 1-worker timing
        texts = ocr_pages(pages, workers=2)

        # throughput: the same pages with 1 worker (in this process) and 2 workers, alternated so both
        # see the same background load; the best of each is reported (least disturbed by other work)
        sample = pages[: args.throughput_pages]
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(args.repeats):
            for workers in (1, 2):
                cpu, started = _cpu_seconds(workers), time.perf_counter()
                ocr_pages(sample, workers=workers)
                wall = time.perf_counter() - started
                runs[workers].append((wall, _cpu_seconds(workers) - cpu))
        shutdown_pool()
        one = min(w for w, _ in runs[1])
        two = min(w for w, _ in runs[2])

        rows, offset = [], 0
        for name, truth, paths, font in sets:
            predicted = parse_form_text(texts[offset : offset + len(paths)]).model_dump(mode="json")
            offset += len(paths)
            expected = truth.model_dump(mode="json")
            row = {"form_set": name, "font": font, "vote_accuracy": vote_accuracy(None, predicted, expected)}
            if field_accuracy:
                row["field_accuracy"] = field_accuracy(None, predicted, expected)
            rows.append(row)

    def mean(variant: str, key: str):
        values = [r[key] for r in rows if r["form_set"].startswith(variant) and key in r]
        return round(statistics.fmean(values), 4) if values else None

    result = {
        "pages": len(pages),
        "throughput_pages": len(sample),
        "repeats": args.repeats,
        "runs_wall_s": {str(k): [round(w, 2) for w, _ in v] for k, v in runs.items()},
        "cpu_s_per_page_1_worker": round(min(c for _, c in runs[1]) / len(sample), 3),
        # cores the OCR actually got (CPU seconds / wall seconds): on a shared machine the 2-worker
        # speedup is capped by this, not by the code
        "cores_obtained_1_worker": round(max(c / w for w, c in runs[1]), 2),
        "cores_obtained_2_workers": round(max(c / w for w, c in runs[2]), 2),
        "form_sets": len(sets),
        "fonts": list(fonts),
        "pages_per_s_1_worker": round(len(sample) / one, 3),
        "pages_per_s_2_workers": round(len(sample) / two, 3),
        "speedup_2_vs_1": round(one / two, 3),
        "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "vote_accuracy_clean": mean("clean", "vote_accuracy"),
        "vote_accuracy_noisy": mean("noisy", "vote_accuracy"),
        "field_accuracy_clean": mean("clean", "field_accuracy"),
        "field_accuracy_noisy": mean("noisy", "field_accuracy"),
        "scorer": scorer,
        "per_form_set": rows,
        "quick": args.quick,
    }
    print(f"1 worker : {result['pages_per_s_1_worker']:.3f} pages/s")
    speedup = result["speedup_2_vs_1"]
    print(f"2 workers: {result['pages_per_s_2_workers']:.3f} pages/s  → speedup {speedup:.2f}× (aim ≥ 1.8)")
    clean, noisy = result["vote_accuracy_clean"], result["vote_accuracy_noisy"]
    print(
        f"cores obtained: 1 worker {result['cores_obtained_1_worker']}, 2 workers {result['cores_obtained_2_workers']}"
    )
    print(f"vote_accuracy clean {clean} (aim ≥ 0.95), noisy {noisy} (aim ≥ 0.85)")
    print(f"field_accuracy clean {result['field_accuracy_clean']}, noisy {result['field_accuracy_noisy']}")
    for r in rows:
        if r["vote_accuracy"] < 1:
            print(f"  {r['form_set']} ({r['font']}): vote_accuracy {r['vote_accuracy']:.3f}")
    out = Path(__file__).parent / "results" / "ocr_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    from dataset_platform.common.atomic import write_json

    write_json(out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
