"""Does retraining make the classifier better? Measured on the simulation and the demo data, side by side.

1. Gold accuracy of the reference model (TF-IDF char_wb 2–5 + logistic regression) trained on each weekly
   version, per recipe — founding (errors + 50% sample of unreviewed correct), + kept confirmations,
   + confirmations and base data — vs the production model, on the same blind gold sample (95% bootstrap CI);
   plus the founding version's own test-split accuracy (drawn from the error pool).
2. Errors found per 100 reviews: the cleanlab-ranked queue vs random order (mean of 50 shuffles).
3. Grievance "Save & next" latency with the ranked queue vs the oldest-first queue (SQLite, M complaints).
4. Demo data (`retraining/demo.py`): ranked vs random errors per 100 (errors known from the demo's reviews,
   ranked with the reviews hidden), and gold accuracy when the demo seeds a gold set.
Run: ``.venv/bin/python bench/retraining_quality.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from dataset_platform.common import db  # noqa: E402
from dataset_platform.common.labels import LABEL_MAPPINGS, LABELS  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "retraining_quality.json"
RECIPES = {"founding": (False, False), "+confirmations": (True, False), "+confirmations+base": (True, True)}


def _engine(url: str) -> sa.Engine:
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    return engine


def gold_frame(world, label: str) -> pd.DataFrame:
    from dataset_platform.retraining.cleaning import clean_text

    g = world.gold.merge(world.complaints, left_on="complaint_id", right_on="id")
    return pd.DataFrame(
        {
            "grievance": [clean_text(m) for m in g["message"]],
            "label": g[label].to_numpy(),
            "production": g[f"pred_{label}"].to_numpy(),
        }
    )


def bench_versions(world, weeks: list[int]) -> dict:
    from dataset_platform.retraining import cleaning, evaluation, simulation, splitting

    out: dict = {}
    for label in LABELS:
        names = list(LABEL_MAPPINGS[label])
        gold = gold_frame(world, label)
        production = evaluation.classification_scores(gold["label"], gold["production"], names)["accuracy"]
        rows = []
        for week in weeks:
            for recipe, (confirmations, base) in RECIPES.items():
                records = simulation.recipe_records(
                    world, label, through_week=week, confirmations=confirmations, base=base
                )
                cleaned, _ = cleaning.clean_records(records, label)
                splits, _ = splitting.stratified_split(cleaned, label)
                model = evaluation.train_reference(splits["train"]["grievance"], splits["train"]["label"])
                predicted = evaluation.predict(model, gold["grievance"])
                acc = evaluation.classification_scores(gold["label"], predicted, names)
                test = splits["test"]
                test_acc = float((evaluation.predict(model, test["grievance"]) == test["label"].to_numpy()).mean())
                rows.append(
                    {
                        "week": week,
                        "recipe": recipe,
                        "train_rows": len(splits["train"]),
                        "gold_accuracy": acc["accuracy"],
                        "gold_macro_f1": acc["macro_f1"]["value"],
                        "test_accuracy": round(test_acc, 4),
                    }
                )
                a = acc["accuracy"]
                print(
                    f"  {label:10} week {week} {recipe:20} train {len(splits['train']):5}  gold acc {a['value']:.3f} "
                    f"[{a['ci_low']:.3f}, {a['ci_high']:.3f}]  own test {test_acc:.3f}  "
                    f"(production {production['value']:.3f})",
                    flush=True,
                )
        out[label] = {"production_gold_accuracy": production, "versions": rows}
    return out


def errors_per_100(ranked: np.ndarray, is_error: pd.Series, budget: int = 100, shuffles: int = 50) -> dict:
    from dataset_platform.retraining.review_queue import errors_found

    ranked_found = errors_found(ranked, is_error, budget)
    rng = random.Random(0)
    randoms = []
    for _ in range(shuffles):
        order = list(ranked)
        rng.shuffle(order)
        randoms.append(errors_found(order, is_error, budget))
    scale = 100 / budget
    return {
        "candidates": int(len(ranked)),
        "budget": budget,
        "ranked_per_100": round(ranked_found * scale, 1),
        "random_per_100": round(statistics.mean(randoms) * scale, 1),
        "ratio": round(ranked_found / max(statistics.mean(randoms), 1e-9), 2),
    }


def bench_ranking(world, folds: int) -> dict:
    from dataset_platform.retraining import review_queue, simulation

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATASET_PLATFORM_HOME"] = tmp
        engine = _engine(f"sqlite:///{tmp}/reviews.db")
        simulation.seed_database(engine, world)
        stats = review_queue.build_ranking(engine, folds=folds)
        ranked = review_queue.ranked_ids()
        errors = pd.Series(simulation.production_error_mask(world, ranked), index=ranked)
        result = errors_per_100(ranked, errors)
        result["ranking_seconds"] = stats.seconds
        engine.dispose()
    return result


def bench_save_latency(m: int, k: int) -> dict:
    """Save & next with the ranked queue vs oldest first, one SQLite file of ``m`` complaints, alternating."""
    from dataset_platform.common.labels import label_names
    from dataset_platform.retraining import review_queue
    from dataset_platform.review_app import store

    departments, urgencies = label_names("department"), label_names("urgency")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATASET_PLATFORM_HOME"] = tmp
        engine = _engine(f"sqlite:///{tmp}/reviews.db")
        rows = [
            {"id": i, "message": f"complaint {i}", "department": departments[i % 4], "urgency": urgencies[i % 3]}
            for i in range(1, m + 1)
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(db.complaints), rows)
        order = np.random.default_rng(0).permutation(np.arange(1, m + 1))
        review_queue.queue_dir().mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"complaint_id": order, "p_wrong": np.linspace(1, 0, m)}).to_parquet(review_queue.ranking_file())
        gold_rng = random.Random(0)

        def ranked_step():
            cid = review_queue.next_ranked(engine)
            complaint = store.get_complaint(engine, cid)
            store.save_grievance_review(engine, complaint.id, complaint.department, "URGENT", "bench")
            store.count_grievance_queue(engine)

        def oldest_step():
            [complaint] = store.grievance_queue(engine, limit=1)
            store.save_grievance_review(engine, complaint.id, complaint.department, "URGENT", "bench")
            store.count_grievance_queue(engine)

        def gold_step():
            cid = review_queue.next_gold(engine, gold_rng)
            store.save_gold_label(engine, store.get_complaint(engine, cid).id, departments[0], urgencies[0], "bench")

        timings: dict[str, list[float]] = {"ranked": [], "oldest": [], "gold": []}
        for step in (ranked_step, oldest_step, gold_step):
            step()  # warm
        for _ in range(k):
            for name, step in (("ranked", ranked_step), ("oldest", oldest_step), ("gold", gold_step)):
                t0 = time.perf_counter()
                step()
                timings[name].append(time.perf_counter() - t0)
        engine.dispose()
    med = {name: statistics.median(v) for name, v in timings.items()}
    return {
        "complaints": m,
        "saves": k,
        **{f"{n}_ms": round(v * 1000, 2) for n, v in med.items()},
        "ratio_ranked_over_oldest": round(med["ranked"] / med["oldest"], 2),
    }


def bench_demo(n: int, folds: int) -> dict:
    """Demo data: rank with the reviews hidden, count known errors found; gold accuracy if the demo has gold."""
    from dataset_platform.retraining import demo, evaluation, pipeline, review_queue
    from dataset_platform.retraining.splitting import read_splits

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATASET_PLATFORM_HOME"] = tmp
        engine = _engine(f"sqlite:///{tmp}/reviews.db")
        demo.seed_complaints(engine, n=n, seed=7)
        c, m = db.complaints, db.misclassified_complaints
        with engine.connect() as conn:
            complaints = pd.DataFrame(conn.execute(sa.select(c)).all(), columns=[col.name for col in c.columns])
            reviews = pd.DataFrame(
                conn.execute(sa.select(m).where(m.c.reviewed.is_(True))).all(), columns=[col.name for col in m.columns]
            )
            n_gold = conn.execute(sa.select(sa.func.count()).select_from(db.gold_labels)).scalar_one()
        wrong_label = [
            reviews[f"correct_{x}"].notna() & (reviews[f"correct_{x}"] != reviews[f"model_predicted_{x}"])
            for x in LABELS
        ]
        wrong = reviews[wrong_label[0] | wrong_label[1]]["complaint_id"]
        hidden = _engine(f"sqlite:///{tmp}/hidden.db")
        with hidden.begin() as conn:
            conn.execute(sa.insert(c), complaints.to_dict("records"))
        stats = review_queue.build_ranking(hidden, folds=folds)
        ranked = review_queue.ranked_ids()
        known = set(wrong.dropna().astype(int))
        out["ranking"] = {
            **errors_per_100(ranked, pd.Series([int(i) in known for i in ranked], index=ranked)),
            "ranking_seconds": stats.seconds,
            "errors_known_from": "demo reviews (correct != predicted)",
        }
        if not n_gold:
            out["gold"] = "skipped: the demo data has no gold set on this branch"
            return out
        os.environ["MIN_DATASET_LEN"] = "1"
        for label in LABELS:
            pipeline.run_pull(engine, label)
            pipeline.run_clean_split(label)
            splits = read_splits(pipeline.paths.splits_dir(label))
            gold, _ = evaluation.load_gold(engine, label)
            test_prod = evaluation.production_predictions(engine, label, splits["test"]["complaint_id"])
            report = evaluation.evaluate(label, splits, gold, test_prod)
            out[label] = {model: scores["accuracy"] for model, scores in report["gold"].items()}
            out[label]["gold_rows"] = len(gold)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from dataset_platform.retraining import simulation

    quick, full = (1200, [2, 4], 3, 5_000, 10, 2000), (2400, [1, 2, 3, 4], 5, 20_000, 50, 6000)
    n, weeks, folds, m, k, demo_n = quick if args.quick else full
    started = time.perf_counter()
    world = simulation.simulate(n=n, seed=11, weeks=4, gold_n=500, base_n=1500)
    errors = {label: round(world.error_rate(label), 3) for label in LABELS}
    print(
        f"simulation: {n} complaints over 4 weeks, production error rate {errors}, {len(world.reviews)} reviews, "
        f"{len(world.gold)} gold, {len(world.base)} base records"
    )
    versions = bench_versions(world, weeks)
    ranking_world = simulation.simulate(n=n, seed=12, weeks=4, reviewed_weeks=3, gold_n=300, base_n=0)
    ranking = bench_ranking(ranking_world, folds)
    print(
        f"errors per 100 reviews (simulation, {ranking['candidates']} unreviewed): "
        f"ranked {ranking['ranked_per_100']} vs random {ranking['random_per_100']} ({ranking['ratio']}×), "
        f"ranking built in {ranking['ranking_seconds']}s"
    )
    latency = bench_save_latency(m, k)
    print(
        f"save & next, {m} complaints (SQLite): ranked {latency['ranked_ms']} ms vs oldest-first "
        f"{latency['oldest_ms']} ms (×{latency['ratio_ranked_over_oldest']}), "
        f"gold draw + save {latency['gold_ms']} ms"
    )
    demo_result = bench_demo(demo_n, folds)
    r = demo_result["ranking"]
    print(
        f"demo data ({demo_n} complaints): errors per 100 ranked {r['ranked_per_100']} vs random "
        f"{r['random_per_100']} ({r['ratio']}×); gold: {demo_result.get('gold', 'measured')}"
    )
    for label in LABELS:
        if label in demo_result:
            scores = demo_result[label].items()
            print(f"  demo {label}: " + ", ".join(f"{k} {v['value']}" for k, v in scores if isinstance(v, dict)))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "quick": args.quick,
                "cpus": os.cpu_count(),
                "simulation": {
                    "complaints": n,
                    "production_error_rate": errors,
                    "reviews": len(world.reviews),
                    "gold": len(world.gold),
                    "versions": versions,
                    "ranking": ranking,
                },
                "save_latency": latency,
                "demo": demo_result,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
