"""Throughput of Gemini extraction vs the concurrency ideal, against a local Gemini-protocol server.

N form sets at concurrency C, the server (a separate process, so it does not share our GIL)
answering after a fixed latency L: the ideal is N·L/C seconds. Each row is measured in this run
with the real google-genai client and an empty cache; ``ratio`` = ideal / elapsed (1.0 = perfect,
aim ≥ 0.8). A last row checks the requests-per-minute limiter against its own ideal.
Run: ``.venv/bin/python bench/gemini_throughput.py [--quick]``. ``bench/openai_throughput.py`` runs the
same measurement (``benchmark()`` below) for the OpenAI-compatible path.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataset_platform.forms.cache import ExtractionCache  # noqa: E402
from dataset_platform.forms.gemini import GeminiOptions  # noqa: E402
from dataset_platform.forms.model_api import RetryPolicy  # noqa: E402
from dataset_platform.forms.model_config import ModelConfig  # noqa: E402
from dataset_platform.forms.runner import extract_form_sets  # noqa: E402
from dataset_platform_tests.forms.helpers import make_form_set  # noqa: E402

# Real Gemini calls on a 3-page form take seconds; the last row of each list shows the client's own
# per-request CPU cost (~10 ms in the SDK) becoming the limit when the latency is unrealistically short.
FULL = [(32, 4, 2.0), (64, 8, 2.0), (128, 16, 2.0), (256, 32, 2.0), (256, 64, 2.0), (128, 16, 0.2)]
QUICK = [(16, 4, 1.0), (32, 8, 1.0), (64, 16, 1.0), (64, 16, 0.2)]


# One attempt, a long timeout: a retried request would hide a slow client behind a second try.
NO_RETRY = RetryPolicy(attempts=1, timeout_s=60)
# extract_form_sets keyword arguments (the model's options) for a server's base URL.
OptionsFor = Callable[[str], dict[str, Any]]


class ServerProcess:
    """A ``support/`` test server in a child process; configured and read through its /_config endpoint."""

    def __init__(self, module: str = "dataset_platform_tests.support.gemini_server"):
        self.module = module

    def __enter__(self):
        cmd = [sys.executable, "-m", self.module]
        root = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)
        self.url = self.proc.stdout.readline().strip()
        return self

    def config(self, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        with urllib.request.urlopen(f"{self.url}/_config?{query}") as response:
            return json.loads(response.read())

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def gemini_options(url: str) -> dict[str, Any]:
    return {"gemini_options": GeminiOptions(api_key="bench", base_url=url, retry=NO_RETRY)}


def measure(server, dirs, concurrency, latency, root, rpm=None, *, model="gemini-2.5-flash", options=gemini_options):
    before = server.config(latency_s=latency)["requests"]
    cache = ExtractionCache(Path(tempfile.mkdtemp(dir=root)))  # empty: every form set is a real call
    start, cpu_start = time.perf_counter(), time.process_time()
    records = extract_form_sets(
        dirs,
        ModelConfig(model=model),
        max_concurrency=concurrency,
        requests_per_minute=rpm,
        cache=cache,
        **options(server.url),
    )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert all(r.error is None for r in records), [r.error for r in records if r.error][:3]
    stats = server.config()
    assert stats["requests"] - before == len(dirs), (stats["requests"] - before, len(dirs))
    return elapsed, stats["peak_in_flight"], cpu * 1000 / len(dirs)


def benchmark(name: str, server_module: str, model: str, options: OptionsFor, doc: str) -> int:
    """Measure ``model`` (through ``options``) against ``server_module`` and write bench/results/<name>.json."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--quick", action="store_true", help="small run (~20 s)")
    args = parser.parse_args()
    cases = QUICK if args.quick else FULL
    rows = []
    run = {"model": model, "options": options}
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(server_module) as server:
        root = Path(tmp)
        all_dirs = [make_form_set(root / "forms", f"fs-{i:04d}", pages=3) for i in range(max(n for n, _, _ in cases))]
        measure(server, all_dirs[:4], 4, 0.0, root, **run)  # warm-up: imports, first connection
        for n, c, latency in cases:
            elapsed, peak, cpu_ms = measure(server, all_dirs[:n], c, latency, root, **run)
            ideal = n * latency / c
            rows.append(
                {
                    "n": n,
                    "concurrency": c,
                    "latency_s": latency,
                    "ideal_s": round(ideal, 3),
                    "elapsed_s": round(elapsed, 3),
                    "ratio": round(ideal / elapsed, 3),
                    "peak_in_flight": peak,
                    "client_cpu_ms_per_request": round(cpu_ms, 1),
                }
            )
            print(
                f"N={n:4d} C={c:3d} L={latency:.2f}s  ideal {ideal:6.2f}s  elapsed {elapsed:6.2f}s  "
                f"ratio {ideal / elapsed:.3f}  peak in flight {peak}  client CPU {cpu_ms:.1f} ms/request"
            )
        n, c, rpm = (24, 8, 1200) if args.quick else (60, 8, 1200)
        elapsed, _, _ = measure(server, all_dirs[:n], c, 0.01, root, rpm=rpm, **run)
        ideal = (n - c) / (rpm / 60)  # a burst of C, then one request per 60/rpm seconds
        rate_row = {
            "n": n,
            "concurrency": c,
            "requests_per_minute": rpm,
            "ideal_s": round(ideal, 3),
            "elapsed_s": round(elapsed, 3),
            "ratio": round(ideal / elapsed, 3),
        }
        print(
            f"rate limit {rpm}/min: N={n} C={c}  ideal {ideal:.2f}s  elapsed {elapsed:.2f}s"
            f"  ratio {ideal / elapsed:.3f}"
        )
    result = {
        "benchmark": name,
        "model": model,
        "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "concurrency": rows,
        "rate_limit": rate_row,
        "min_ratio_realistic_latency": min(r["ratio"] for r in rows if r["latency_s"] >= 1.0),
    }
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"min ratio at L ≥ 1 s: {result['min_ratio_realistic_latency']:.3f} → {out}")
    return 0


def main() -> int:
    return benchmark(
        "gemini_throughput", "dataset_platform_tests.support.gemini_server", "gemini-2.5-flash", gemini_options, __doc__
    )


if __name__ == "__main__":
    sys.exit(main())
