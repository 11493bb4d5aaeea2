"""What a reviewer waits for in the review app, measured side by side in one run.

1. Form queue rebuild (runs on every script rerun, i.e. every keystroke): N form sets read from
   their extraction files and re-checked, vs the per-form-set memo the app uses. ratio = cold / warm.
2. One grievance "Save & next" (validated insert + fetch of the next complaint + queue count) over
   M complaints, on the embedded SQLite file and on a real local PostgreSQL server. ratio = pg / sqlite.
Run: ``.venv/bin/python bench/review_app.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from dataset_platform.common import db  # noqa: E402
from dataset_platform.common.labels import label_names  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "review_app.json"


def make_form_sets(home: Path, n: int) -> None:
    import random

    from dataset_platform.forms.demo import random_extraction

    rng = random.Random(1)
    (home / "extractions").mkdir(parents=True)
    for i in range(n):
        form_set_id = f"f{i:05d}"
        _, extraction = random_extraction(rng)
        extraction = extraction.model_dump(mode="json")
        if i % 4 == 0:
            extraction["vote_results"][0]["vote_count"] += 1
        pages = home / "forms" / form_set_id
        pages.mkdir(parents=True)
        (pages / "page_01.png").write_bytes(b"")
        record = {"form_set_id": form_set_id, "model": "bench", "extraction": extraction, "error": None}
        (home / "extractions" / f"{form_set_id}.json").write_text(json.dumps(record, ensure_ascii=False))


def bench_queue(n: int, repeats: int) -> dict:
    from dataset_platform.review_app import form_queue

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATASET_PLATFORM_HOME"] = tmp
        make_form_sets(Path(tmp), n)
        cold, warm = [], []
        for _ in range(repeats):
            form_queue._ITEMS.clear()
            t0 = time.perf_counter()
            items = form_queue.build_queue({})
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            form_queue.build_queue({})
            warm.append(time.perf_counter() - t0)
        assert len(items) == n
    c, w = statistics.median(cold), statistics.median(warm)
    return {
        "form_sets": n,
        "cold_ms": round(c * 1000, 1),
        "memo_ms": round(w * 1000, 1),
        "ratio_cold_over_memo": round(c / w, 1),
    }


def seed_complaints(engine: sa.Engine, m: int) -> None:
    departments, urgencies = label_names("department"), label_names("urgency")
    rows = [
        {"id": i, "message": f"complaint {i}", "department": departments[i % 4], "urgency": urgencies[i % 3]}
        for i in range(1, m + 1)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(db.complaints), rows)


def time_saves(engine: sa.Engine, k: int) -> float:
    from dataset_platform.review_app import store

    timings = []
    for _ in range(k):
        t0 = time.perf_counter()
        [complaint] = store.grievance_queue(engine, limit=1)
        store.save_grievance_review(engine, complaint.id, complaint.department, "URGENT", "bench")
        store.count_grievance_queue(engine)
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def bench_saves(m: int, k: int) -> dict:
    from dataset_platform_tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = {}
            for name, url in (("sqlite", f"sqlite:///{tmp}/reviews.db"), ("postgres", server.create_database())):
                engine = db.make_engine(url)
                db.ensure_schema(engine)
                seed_complaints(engine, m)
                time_saves(engine, 3)  # warm the pool and caches
                results[name] = time_saves(engine, k)
                engine.dispose()
    finally:
        server.stop()
    return {
        "complaints": m,
        "saves": k,
        "sqlite_ms": round(results["sqlite"] * 1000, 2),
        "postgres_ms": round(results["postgres"] * 1000, 2),
        "ratio_postgres_over_sqlite": round(results["postgres"] / results["sqlite"], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, repeats, m, k = (200, 3, 2_000, 30) if args.quick else (2_000, 5, 20_000, 100)
    queue = bench_queue(n, repeats)
    print(
        f"form queue, {n} form sets: cold {queue['cold_ms']} ms, memo {queue['memo_ms']} ms,"
        f" ratio {queue['ratio_cold_over_memo']}×"
    )
    saves = bench_saves(m, k)
    print(
        f"grievance save & next, {m} complaints: sqlite {saves['sqlite_ms']} ms, postgres {saves['postgres_ms']} ms, "
        f"ratio pg/sqlite {saves['ratio_postgres_over_sqlite']}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "form_queue": queue,
                "grievance_save": saves,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
