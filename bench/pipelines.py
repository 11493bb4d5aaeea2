"""Declared pipelines: DuckDB pushdown vs eager pandas, rows/s per step, LLM cache on rerun, definitions load time.

    python bench/pipelines.py [--quick] [--rows N]

Data: a generated orders file (N rows, default 1M; 16 columns incl. a text note and 8 wide float columns)
and a 10k-row customers file, both Parquet and CSV. The pipeline: join customers on customer_id → filter
(status = 'paid' AND amount > 1000 AND province = 'Bangkok') → select 4 columns. Each variant runs in a
fresh interpreter so peak RSS is its own; the variants run one after another in this one run:
  - pandas eager: read the whole file, merge, boolean mask, column selection;
  - DuckDB fused: the same steps as one query (what the optimiser pushes into the scan);
  - pipeline steps: the join, filter and select steps of dataset_platform.pipelines, each reading the
    previous step's Parquet file and writing its own (what the Dagster assets do), with rows/s per step.
Then an `llm` step over 200 rows twice against a local OpenAI-compatible server (model calls counted by the
server), and the definitions load time / `import dagster` (alternating fresh interpreters).
Writes bench/results/pipelines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def make_data(directory: Path, rows: int) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    statuses = np.array(["paid", "shipped", "cancelled", "refunded", "pending"])
    notes = np.array([f"deliver to building {i} floor {i % 7} before noon please" for i in range(1000)])
    orders = {
        "order_id": np.arange(rows, dtype="int64"),
        "customer_id": rng.integers(0, 10_000, rows),
        "amount": rng.uniform(10, 5000, rows).round(2),
        "status": statuses[rng.integers(0, 5, rows)],
        "note": notes[rng.integers(0, 1000, rows)],
        "created_at": np.datetime64("2026-01-01") + rng.integers(0, 300, rows).astype("timedelta64[D]"),
        **{f"metric_{i}": rng.normal(size=rows) for i in range(8)},
        "channel": np.array(["web", "app", "shop"])[rng.integers(0, 3, rows)],
        "units": rng.integers(1, 20, rows),
    }
    provinces = np.array(["Bangkok", "Chiang Mai", "Khon Kaen", "Phuket", "Songkhla"])
    customers = {
        "customer_id": np.arange(10_000),
        "province": provinces[rng.integers(0, 5, 10_000)],
        "segment": np.array(["retail", "sme", "gov"])[rng.integers(0, 3, 10_000)],
    }
    paths = {}
    for name, cols in (("orders", orders), ("customers", customers)):
        table = pa.table(cols)
        pq.write_table(table, directory / f"{name}.parquet")
        pcsv.write_csv(table, directory / f"{name}.csv")
        paths[name] = directory / f"{name}.parquet"
        paths[f"{name}_csv"] = directory / f"{name}.csv"
    return paths


PANDAS = """
import pandas as pd
read = pd.read_parquet if "{fmt}" == "parquet" else pd.read_csv
orders, customers = read("{orders}"), read("{customers}")
joined = orders.merge(customers, on="customer_id", how="inner")
kept = joined[(joined.status == "paid") & (joined.amount > 1000) & (joined.province == "Bangkok")]
out = kept[["order_id", "customer_id", "amount", "segment"]]
out.to_parquet("{out}")
rows = len(out)
"""

FUSED = """
import duckdb
con = duckdb.connect()
scan = "read_parquet" if "{fmt}" == "parquet" else "read_csv"
con.execute(f\"\"\"COPY (SELECT order_id, customer_id, amount, segment
    FROM {{scan}}('{orders}') o JOIN {{scan}}('{customers}') c USING (customer_id)
    WHERE status = 'paid' AND amount > 1000 AND province = 'Bangkok') TO '{out}' (FORMAT parquet)\"\"\")
rows = con.execute("SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
"""

STEPS = """
import json, time
from pathlib import Path
from dataset_platform.components.dataset_pipeline import run_step
from dataset_platform.pipelines.spec import parse_pipeline
from dataset_platform.pipelines.sources import read_files
folder = Path("{folder}")
spec = parse_pipeline("bench", folder, {{
    "source": {{"type": "files", "path": "{orders}"}},
    "steps": [
        {{"id": "join", "kind": "join", "with": {{"type": "files", "path": "{customers}"}}, "keys": ["customer_id"]}},
        {{"id": "filter", "kind": "filter", "where": "status = 'paid' AND amount > 1000 AND province = 'Bangkok'"}},
        {{"id": "select", "kind": "select", "columns": ["order_id", "customer_id", "amount", "segment"]}},
    ]}}, "bench")
per_step = {{}}
t = time.perf_counter()
src = folder / "source.parquet"
n = read_files(spec, spec.source, src)
per_step["source"] = (n, time.perf_counter() - t)
up = src
for step in spec.steps:
    t = time.perf_counter()
    out = folder / f"{{step.id}}.parquet"
    outcome = run_step(spec, step, up, out, {{}})
    per_step[step.id] = (outcome.rows, time.perf_counter() - t)
    up = out
rows = outcome.rows
extra = {{k: {{"rows": r, "seconds": round(s, 3), "rows_per_s": round(r / s) if s else None}}
         for k, (r, s) in per_step.items()}}
"""

# Libraries are imported before the clock starts (import time is the load-time benchmark's business), and
# every variant imports the same ones, so peak RSS compares the work, not the libraries.
HARNESS = """
import json, resource, time
import duckdb, pandas, pyarrow.parquet
import dataset_platform.components.dataset_pipeline
import dataset_platform.pipelines.sources
import dataset_platform.pipelines.steps
import threading
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20
rss_start = rss_mb()
sampled = [rss_start]
done = threading.Event()
def sample():  # ru_maxrss would include the import-time peak; sample the work only
    while not done.wait(0.01):
        sampled.append(rss_mb())
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
t0 = time.perf_counter()
extra = None
{code}
done.set()
sampler.join()
peak = max(sampled)
print(json.dumps({{"seconds": time.perf_counter() - t0, "peak_rss_mb": peak, "peak_above_start_mb": peak - rss_start,
                  "rows": int(rows), "extra": extra}}))
"""


def run_variant(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", HARNESS.format(code=code)], cwd=REPO, capture_output=True, text=True, timeout=1800
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def llm_rerun(directory: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataset_platform.components.dataset_pipeline import run_step
    from dataset_platform.pipelines.spec import parse_pipeline
    from dataset_platform_tests.support.json_api_server import openai_server

    os.environ["DATASET_PLATFORM_HOME"] = str(directory / "home")
    src = directory / "llm_in.parquet"
    pq.write_table(pa.table({"text": [f"grievance {i} about {'water' if i % 2 else 'road'}" for i in range(200)]}), src)
    step = {
        "id": "topic",
        "kind": "llm",
        "task": "classify",
        "model": "openai/bench",
        "prompt": "{text}",
        "output": "topic",
        "labels": ["water", "road"],
        "batch_size": 32,
        "max_concurrency": 4,
    }
    spec = parse_pipeline("bench", directory, {"source": {"type": "files", "path": str(src)}, "steps": [step]}, "bench")

    class Models:
        openai_base_url, openai_api_key = None, None

    server = openai_server()
    Models.openai_base_url = server.url + "/v1"
    try:
        runs = []
        for _ in range(2):
            before = len(server.requests)
            t = time.perf_counter()
            outcome = run_step(spec, spec.steps[0], src, directory / "topic.parquet", {"models": Models()})
            runs.append(
                {
                    "server_requests": len(server.requests) - before,
                    "seconds": round(time.perf_counter() - t, 3),
                    **{k: outcome.metadata["llm"][k] for k in ("model_calls", "cache_hits", "input_tokens")},
                }
            )
    finally:
        server.stop()
    return {"rows": 200, "first_run": runs[0], "rerun_unchanged": runs[1]}


def load_ratio(repeats: int) -> dict:
    sys.path.insert(0, str(HERE))
    import statistics

    from load_time import TARGETS, sample

    sample(TARGETS["load definitions"])  # warm caches
    times = {name: [] for name in TARGETS}
    for _ in range(repeats):
        for name, code in TARGETS.items():
            times[name].append(sample(code)["seconds"])
    median = {name: statistics.median(v) for name, v in times.items()}
    return {"median_seconds": median, "ratio": round(median["load definitions"] / median["import dagster"], 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k rows, CSV skipped, 3 load-time samples")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--formats", default=None, help="comma-separated: parquet,csv (default both; --quick parquet)")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    results: dict = {"rows": rows, "cpu_count": os.cpu_count(), "load_average_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="bench_pipelines_") as tmp:
        directory = Path(tmp)
        paths = make_data(directory, rows)
        results["pushdown"] = {}
        formats = args.formats.split(",") if args.formats else (["parquet"] if args.quick else ["parquet", "csv"])
        for fmt in formats:
            orders, customers = (
                (paths["orders"], paths["customers"])
                if fmt == "parquet"
                else (paths["orders_csv"], paths["customers_csv"])
            )
            steps_dir = directory / f"steps_{fmt}"
            steps_dir.mkdir()
            variants = {
                "pandas_eager": PANDAS.format(fmt=fmt, orders=orders, customers=customers, out=directory / "p.parquet"),
                "duckdb_fused": FUSED.format(fmt=fmt, orders=orders, customers=customers, out=directory / "d.parquet"),
                "pipeline_steps": STEPS.format(folder=steps_dir, orders=orders, customers=customers),
            }
            measured = {name: run_variant(code) for name, code in variants.items()}
            assert len({m["rows"] for m in measured.values()}) == 1, measured  # same answer from every variant
            base = measured["pandas_eager"]
            for m in measured.values():
                m["speedup_vs_pandas"] = round(base["seconds"] / m["seconds"], 2)
                m["peak_rss_ratio_vs_pandas"] = round(m["peak_rss_mb"] / base["peak_rss_mb"], 3)
                m["working_memory_ratio_vs_pandas"] = round(m["peak_above_start_mb"] / base["peak_above_start_mb"], 3)
            results["pushdown"][fmt] = measured
        results["llm_rerun"] = llm_rerun(directory)
    results["load_time"] = load_ratio(3 if args.quick else 5)
    results["load_average_after"] = round(os.getloadavg()[0], 2)

    for fmt, measured in results["pushdown"].items():
        out_rows = next(iter(measured.values()))["rows"]
        print(f"{rows:,} orders ({fmt}) ⋈ 10k customers → filter → 4 columns; {out_rows:,} rows out")
        for name, m in measured.items():
            print(
                f"  {name:16}{m['seconds']:8.2f}s  peak RSS {m['peak_rss_mb']:6.0f} MB "
                f"(+{m['peak_above_start_mb']:5.0f} MB over the loaded libraries)  x{m['speedup_vs_pandas']:.2f} "
                f"speed, x{m['working_memory_ratio_vs_pandas']:.2f} working memory vs pandas"
            )
        for step, s in (measured["pipeline_steps"]["extra"] or {}).items():
            print(f"    step {step:8}{s['rows']:>10,} rows {s['seconds']:7.2f}s {s['rows_per_s'] or 0:>12,} rows/s")
    llm = results["llm_rerun"]
    print(
        f"llm step, {llm['rows']} rows: first run {llm['first_run']['server_requests']} model calls, "
        f"rerun over unchanged rows {llm['rerun_unchanged']['server_requests']} "
        f"({llm['rerun_unchanged']['cache_hits']} cache hits)"
    )
    print(f"definitions load / import dagster: {results['load_time']['ratio']:.2f}x (budget 1.6x)")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "pipelines.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
