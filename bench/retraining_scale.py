"""Retraining pull → clean → split at scale: the platform vs a straightforward pandas implementation.

Starts a throw-away PostgreSQL server, COPYs 1,000,000 complaints and 300,000 reviewed misclassification
rows (``--quick``: 100,000 / 30,000), then runs each implementation for both labels in its own
subprocess, measuring wall time and peak RSS (``resource.getrusage`` of that subprocess).

    .venv/bin/python bench/retraining_scale.py [--quick]

Writes bench/results/retraining_scale.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ("department", "urgency")


# --- the straightforward implementation (what the platform replaces) ---------------------------------

NAIVE_MIS = """
SELECT c.id AS complaint_id, c.message AS text, m.correct_{x} AS label
FROM misclassified_complaints m JOIN complaints c ON c.id = m.complaint_id
WHERE m.reviewed AND m.correct_{x} IS NOT NULL AND m.model_predicted_{x} IS DISTINCT FROM m.correct_{x}
ORDER BY m.id
"""
NAIVE_CONFIRMED = """
SELECT c.id AS complaint_id, c.message AS text, m.correct_{x} AS label, m.reviewed_at
FROM misclassified_complaints m JOIN complaints c ON c.id = m.complaint_id
WHERE m.reviewed AND m.correct_{x} IS NOT NULL AND m.model_predicted_{x} = m.correct_{x}
ORDER BY m.id
"""
NAIVE_POOL = """
SELECT c.id AS complaint_id, c.message AS text, c.{x} AS label FROM complaints c
WHERE c.{x} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM misclassified_complaints m WHERE m.complaint_id = c.id)
ORDER BY c.id
"""


class Phases:
    """Wall time per phase, for the breakdown run only (the timed runs pass a no-op)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 3)
        self._last = now


def _no_phases(name: str) -> None:
    pass


def naive(url: str, label: str, out: Path, phase=_no_phases) -> dict:
    import pandas as pd
    import sqlalchemy as sa
    from sklearn.model_selection import train_test_split

    from dataset_platform.common.labels import LABEL_MAPPINGS

    engine = sa.create_engine(url)
    mis = pd.read_sql(sa.text(NAIVE_MIS.format(x=label)), engine)
    phase("misclassified query (read_sql)")
    pool = pd.read_sql(sa.text(NAIVE_POOL.format(x=label)), engine)
    phase("pool query with texts (read_sql)")
    confirmed = pd.read_sql(sa.text(NAIVE_CONFIRMED.format(x=label)), engine)
    confirmed = confirmed.sort_values(["complaint_id", "reviewed_at"], ascending=[True, False])
    confirmed = confirmed.drop_duplicates("complaint_id").reset_index(drop=True)
    requested = math.floor(len(mis) * 0.5)
    if len(confirmed) > requested:  # confirmations first (DESIGN), a sample of them if there are more
        confirmed = confirmed.sample(n=requested, random_state=42).sort_values("complaint_id")
    sample = pool.sample(n=min(len(pool), requested - len(confirmed)), random_state=42)
    df = pd.concat(
        [
            mis.assign(source="misclassified"),
            confirmed.drop(columns="reviewed_at").assign(source="confirmed"),
            sample.assign(source="correct"),
        ],
        ignore_index=True,
    )
    phase("sample + concat")

    def clean(text: str) -> str:
        text = re.sub(r"https?://\S+|www\.\S+", " ", text)
        text = re.sub(r"</?[A-Za-z!][^<>]*>", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        return unicodedata.normalize("NFC", text)

    df["grievance"] = df["text"].apply(clean)
    phase("cleaning (apply re.sub)")
    mapping = LABEL_MAPPINGS[label]
    df = df[df["label"].isin(mapping) & (df["grievance"] != "")].drop_duplicates("grievance")
    df["label"] = df["label"].map(mapping)
    df = df[["complaint_id", "grievance", "label", "source"]]
    phase("filter + dedup + encode")
    train, rest = train_test_split(df, test_size=0.2, stratify=df["label"], random_state=42)
    eval_, test = train_test_split(rest, test_size=0.5, stratify=rest["label"], random_state=42)
    phase("split (2× train_test_split)")
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("eval", eval_), ("test", test)):
        part.to_parquet(out / f"{name}.parquet", index=False)
    phase("parquet write")
    return {
        "n_misclassified": len(mis),
        "n_correct": len(confirmed) + len(sample),
        "records": len(df),
        "splits": {"train": len(train), "eval": len(eval_), "test": len(test)},
    }


def platform(url: str, label: str, out: Path) -> dict:
    from dataset_platform.common import db
    from dataset_platform.retraining import pipeline

    started = time.perf_counter()
    stats = pipeline.run_pull(db.make_engine(url), label)
    pulled = time.perf_counter()
    report = pipeline.run_clean_split(label)
    return {
        "n_misclassified": stats.n_misclassified,
        "n_correct": stats.n_correct,
        "records": report["num_samples"],
        "splits": report["split"]["sizes"],
        "pull_seconds": round(pulled - started, 2),
        "clean_split_seconds": round(time.perf_counter() - pulled, 2),
    }


def platform_phases(url: str, label: str, out: Path, phase) -> None:
    """The platform's steps one at a time (run_pull overlaps the first four; run_clean_split chains the rest)."""
    import numpy as np
    import pyarrow as pa

    from dataset_platform.common import db
    from dataset_platform.retraining import cleaning, paths, pipeline, pull, splitting
    from dataset_platform.retraining.transport import arrow_batches

    engine = db.make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        phase("connect")
        dialect = pull.query_dialect(conn)
        pool = pull._ids(conn, pull.correct_pool_query(label), pull.CHUNK_SIZE)
        phase("pool ids query (bigint only)")
        estimate = conn.execute(pull.misclassified_estimate_query(label)).scalar_one()
        phase("misclassified count estimate")
        rows = pull._Rows(np.zeros(0, dtype=np.int64))
        parts = pull._fetch_correct_sample(
            conn, label, rows, pool, math.floor(estimate * 0.5), 42, pull.CHUNK_SIZE, dialect
        )
        phase("sampled correct rows by id (= ANY)")
        query = pull.misclassified_query(label, dialect)
        mis = [
            rows.accept(raw, "misclassified") for raw in arrow_batches(conn, query, pull._REVIEWED_RAW, pull.CHUNK_SIZE)
        ]
        phase("misclassified query with texts (+ UTF-8/NUL check)")
    del pool, parts, mis
    pipeline.run_pull(engine, label)
    phase("run_pull (the above, overlapped, + parquet write)")
    table = pull.read_pull(paths.pull_file(label))
    phase("read pull parquet")
    cleaning.clean_texts(table.column("text"))
    phase("clean_texts (RE2 + NFC)")
    cleaned, _ = cleaning.clean_records(table, label)
    phase("clean_records (clean again + encode + dedup)")
    splits, _ = splitting.stratified_split(cleaned, label)
    phase("stratified split")
    splitting.content_hash(splits)
    phase("content hash")
    splitting.write_splits(splits, out / "phases", label)
    phase("parquet write (3 splits)")
    del table, cleaned, splits
    pa.default_memory_pool().release_unused()


def _preimport(kind: str) -> None:
    """Libraries are imported before the clock starts; their memory still counts in the peak RSS."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import sqlalchemy  # noqa: F401

    if kind == "naive":
        import sklearn.model_selection  # noqa: F401
    else:
        import dataset_platform.retraining.pipeline  # noqa: F401


def phases_worker(url: str, out: Path) -> None:
    os.environ["DATASET_PLATFORM_HOME"] = str(out / "home")
    _preimport("naive")
    _preimport("platform")
    report = {}
    for kind in ("naive", "platform"):
        for label in LABELS:
            phase = Phases()
            if kind == "naive":
                naive(url, label, out / "naive" / label, phase)
            else:
                platform_phases(url, label, out / "platform" / label, phase)
            report[f"{kind}/{label}"] = phase.seconds
    print(json.dumps(report))


def worker(kind: str, url: str, out: Path) -> None:
    os.environ["DATASET_PLATFORM_HOME"] = str(out / "home")
    _preimport(kind)
    started = time.perf_counter()
    results = {label: (naive if kind == "naive" else platform)(url, label, out / label) for label in LABELS}
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kind": kind, "work_seconds": wall, "peak_rss_mib": peak_kib / 1024, "labels": results}))


# --- data ----------------------------------------------------------------------------------------------


def load(url: str, n_complaints: int, n_reviews: int, seed: int = 11) -> float:
    import psycopg

    from dataset_platform.common import db
    from dataset_platform.common.labels import label_names
    from dataset_platform.retraining import demo

    db.ensure_schema(db.make_engine(url))
    rng = random.Random(seed)
    departments, urgencies = label_names("department"), label_names("urgency")
    bases = [(d, u, demo._message(rng, d, u)) for d, u in ((rng.randrange(4), rng.randrange(3)) for _ in range(20_000))]
    started = time.perf_counter()
    reviewed = rng.sample(range(1, n_complaints + 1), n_reviews)
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            with cur.copy("COPY complaints (id, message, department, urgency, created_at) FROM STDIN") as copy:
                for cid in range(1, n_complaints + 1):
                    d, u, text = bases[rng.randrange(len(bases))]
                    copy.write_row((cid, f"{text} ref {cid}", departments[d], urgencies[u], "2026-01-01 00:00:00"))
            with cur.copy(
                "COPY misclassified_complaints (id, complaint_id, model_predicted_department, model_predicted_urgency, "
                "correct_department, correct_urgency, reviewed, reviewed_at) FROM STDIN"
            ) as copy:
                for rid, cid in enumerate(reviewed, start=1):
                    d, u = rng.randrange(4), rng.randrange(3)
                    cd = departments[(d + 1) % 4] if rng.random() < 0.9 else departments[d]
                    cu = urgencies[(u + 1) % 3] if rng.random() < 0.6 else None
                    copy.write_row(
                        (
                            rid,
                            cid if rid % 500 else None,
                            departments[d],
                            urgencies[u],
                            cd,
                            cu,
                            True,
                            "2026-02-01 00:00:00",
                        )
                    )
    # What autovacuum does to a real database after a bulk load; done explicitly so that it cannot
    # kick in during one side's timed run. It sets the visibility map (index-only scans) and hint bits.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def run_phases(url: str, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--phases-worker", "--url", url, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"phase breakdown failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_worker(kind: str, url: str, out: Path, script: Path | None = None) -> dict:
    started = time.perf_counter()
    worker_kind = "platform" if kind == "baseline" else kind
    command = [sys.executable, str(script or __file__), "--worker", worker_kind, "--url", url, "--out", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 complaints and 30,000 reviewed rows")
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs of each; the best time is kept")
    parser.add_argument("--worker", choices=["naive", "platform"])
    parser.add_argument("--phases-worker", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another checkout whose platform worker runs on the same data")
    parser.add_argument("--url")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.out)
        return
    if args.phases_worker:
        phases_worker(args.url, args.out)
        return

    from dataset_platform_tests.support.postgres import start_postgres

    n_complaints, n_reviews = (100_000, 30_000) if args.quick else (1_000_000, 300_000)
    server = start_postgres(extra_conf={"shared_buffers": "'256MB'", "work_mem": "'64MB'"})
    try:
        url = server.create_database("retraining_bench")
        load_seconds = load(url, n_complaints, n_reviews)
        print(f"loaded {n_complaints:,} complaints + {n_reviews:,} reviewed rows with COPY in {load_seconds:.1f}s")
        runs: dict[str, list[dict]] = {"naive": [], "platform": []}
        kinds = ["naive", "platform"]
        if args.baseline:
            runs["baseline"] = []
            kinds.append("baseline")
        baseline_script = args.baseline / "bench" / "retraining_scale.py" if args.baseline else None
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.repeat):  # alternate, so background load hits all alike; keep each one's best
                for kind in kinds:
                    script = baseline_script if kind == "baseline" else None
                    runs[kind].append(run_worker(kind, url, Path(tmp) / f"{kind}{i}", script))
            phases = run_phases(url, Path(tmp) / "phases")  # after the timed runs: not part of any timing
        results = {kind: min(r, key=lambda x: x["work_seconds"]) for kind, r in runs.items()}
        for kind, r in runs.items():
            results[kind]["peak_rss_mib"] = max(x["peak_rss_mib"] for x in r)
            print(kind, "runs:", [round(x["work_seconds"], 2) for x in r])
    finally:
        server.stop()

    naive_r, platform_r = results["naive"], results["platform"]
    summary = {
        "complaints": n_complaints,
        "reviewed_rows": n_reviews,
        "load_seconds": round(load_seconds, 2),
        "naive_seconds": round(naive_r["work_seconds"], 2),
        "platform_seconds": round(platform_r["work_seconds"], 2),
        "speedup": round(naive_r["work_seconds"] / platform_r["work_seconds"], 2),
        "naive_peak_rss_mib": round(naive_r["peak_rss_mib"], 1),
        "platform_peak_rss_mib": round(platform_r["peak_rss_mib"], 1),
        "memory_ratio": round(platform_r["peak_rss_mib"] / naive_r["peak_rss_mib"], 2),
        "naive_process_seconds": round(naive_r["process_seconds"], 2),
        "platform_process_seconds": round(platform_r["process_seconds"], 2),
        "repeat": args.repeat,
        "platform_phases": {
            x: {k: platform_r["labels"][x][k] for k in ("pull_seconds", "clean_split_seconds")} for x in LABELS
        },
        "runs_seconds": {kind: [round(x["work_seconds"], 2) for x in r] for kind, r in runs.items()},
        "ratio_per_round": [
            round(n["work_seconds"] / p["work_seconds"], 2) for n, p in zip(runs["naive"], runs["platform"])
        ],
        "phase_breakdown_seconds": phases,
        "records": {k: {label: v["labels"][label]["records"] for label in LABELS} for k, v in results.items()},
        "same_pull_sizes": all(
            (naive_r["labels"][x]["n_misclassified"], naive_r["labels"][x]["n_correct"])
            == (platform_r["labels"][x]["n_misclassified"], platform_r["labels"][x]["n_correct"])
            for x in LABELS
        ),
    }
    if args.baseline:
        base_r = results["baseline"]
        summary["baseline"] = str(args.baseline)
        summary["baseline_seconds"] = round(base_r["work_seconds"], 2)
        summary["baseline_peak_rss_mib"] = round(base_r["peak_rss_mib"], 1)
        summary["speedup_vs_baseline"] = round(base_r["work_seconds"] / platform_r["work_seconds"], 2)
        summary["ratio_vs_baseline_per_round"] = [
            round(b["work_seconds"] / p["work_seconds"], 2) for b, p in zip(runs["baseline"], runs["platform"])
        ]
    print(json.dumps(summary, indent=2))
    print(
        f"pull→clean→split, both labels: naive {summary['naive_seconds']}s / platform {summary['platform_seconds']}s "
        f"= {summary['speedup']}× faster; peak RSS naive {summary['naive_peak_rss_mib']} MiB vs platform "
        f"{summary['platform_peak_rss_mib']} MiB ({summary['memory_ratio']}×)"
    )
    name = "retraining_scale_quick.json" if args.quick else "retraining_scale.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
