"""Load time of the code location: `dataset_platform.definitions` vs a bare `import dagster`.

    python bench/load_time.py [--quick] [--repeats N]

The webserver, the daemon and every run worker load the definitions, so this is paid on each run
launch and each code reload. Each sample is a fresh interpreter; the two measurements alternate so
that both see the same machine load, and the median is reported. Also lists which heavy SDKs end up
imported and the slowest packages the definitions add on top of dagster (python -X importtime).
Writes bench/results/load_time.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dataset_platform_tests.deploy.test_lazy_imports import HEAVY_MODULES as LAZY_IMPORT_GUARDED  # noqa: E402

HERE = Path(__file__).parent
REPO = HERE.parent

# The SDKs the lazy-import test forbids at load (one list, owned by the test), plus libraries worth seeing here.
HEAVY_MODULES = (*LAZY_IMPORT_GUARDED, "pandera", "pandas", "pyarrow", "PIL")

TARGETS = {
    "import dagster": "import dagster",
    "load definitions": (
        "import dataset_platform.definitions as d; repo = d.defs.get_repository_def(); "
        "n_assets = len(repo.asset_graph.get_all_asset_keys())"
    ),
}

TIMED = """
import json, sys, time
t0 = time.perf_counter()
{code}
elapsed = time.perf_counter() - t0
print(json.dumps({{"seconds": elapsed, "heavy": sorted(m for m in {heavy!r} if m in sys.modules),
                  "n_assets": globals().get("n_assets")}}))
"""


def sample(code: str) -> dict:
    """One fresh interpreter; wall time includes interpreter start-up, `seconds` only the code."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(code=code, heavy=HEAVY_MODULES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def top_packages_added(limit: int = 10) -> list[tuple[str, float]]:
    """Top-level packages whose own import time (summed over their modules) the definitions add to dagster's."""

    def self_time_by_package(code: str) -> dict[str, float]:
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        ).stderr
        totals: dict[str, float] = defaultdict(float)
        for line in err.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)", line)
            if m:
                totals[m.group(2).split(".")[0]] += int(m.group(1)) / 1e6
        return totals

    base = self_time_by_package(TARGETS["import dagster"])
    defs = self_time_by_package(TARGETS["load definitions"])
    added = {pkg: s for pkg, s in defs.items() if pkg not in base and s >= 0.001}
    return sorted(added.items(), key=lambda kv: -kv[1])[:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 samples each instead of 9")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 9)

    load_before = os.getloadavg()[0]
    sample(TARGETS["import dagster"])  # warm the OS file cache and .pyc files before measuring
    sample(TARGETS["load definitions"])
    samples: dict[str, list[dict]] = {name: [] for name in TARGETS}
    for _ in range(repeats):
        for name, code in TARGETS.items():
            samples[name].append(sample(code))

    median = {name: statistics.median(s["seconds"] for s in runs) for name, runs in samples.items()}
    median_wall = {name: statistics.median(s["wall"] for s in runs) for name, runs in samples.items()}
    ratio = median["load definitions"] / median["import dagster"]
    heavy = samples["load definitions"][-1]["heavy"]
    n_assets = samples["load definitions"][-1]["n_assets"]
    added = top_packages_added()

    load_after = os.getloadavg()[0]
    print(f"samples: {repeats} fresh interpreters per target, alternating; median")
    print(f"1-min load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs (compare the ratio)")
    print(f"{'':22}{'in-process':>12}{'wall (incl. python start)':>28}")
    for name in TARGETS:
        print(f"{name:22}{median[name]:>11.2f}s{median_wall[name]:>27.2f}s")
    added_seconds = median["load definitions"] - median["import dagster"]
    print(
        f"ratio definitions / import dagster: {ratio:.2f}x  (definitions add {added_seconds:.2f}s; {n_assets} assets)"
    )
    print(f"heavy modules imported by loading the definitions: {', '.join(heavy) or 'none'}")
    print("packages imported by the definitions but not by dagster (own import time, one -X importtime run):")
    for pkg, seconds in added:
        print(f"  {pkg:28}{seconds:6.3f}s")

    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "load_time.json").write_text(
        json.dumps(
            {
                "repeats": repeats,
                "median_seconds": median,
                "median_wall_seconds": median_wall,
                "ratio_definitions_over_import_dagster": round(ratio, 3),
                "n_asset_keys": n_assets,
                "heavy_modules_imported": heavy,
                "top_packages_added": dict(added),
                "python": sys.version.split()[0],
                "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
                "cpu_count": os.cpu_count(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
