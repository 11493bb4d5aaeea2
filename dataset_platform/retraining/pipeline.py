"""The pull → clean → split → quality steps as plain functions on files (called by the assets and the benchmark)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from dataset_platform.common import atomic
from dataset_platform.common.labels import label_names
from dataset_platform.retraining import cleaning, paths, plots, pull, quality, splitting
from dataset_platform.retraining.policy import LabelPolicy
from dataset_platform.retraining.schemas import split_schema


def run_pull(
    engine: sa.Engine, label: str, *, policy: LabelPolicy | None = None, base: pa.Table | None = None, **options
) -> pull.PullStats:
    """Pull records and gold; the pull stats file records the label's policy for the later steps."""
    gold_path = paths.gold_pull_file(label)
    stats = pull.pull(engine, label, paths.pull_file(label), base=base, gold_path=gold_path, **options)
    atomic.write_json(paths.pull_stats_file(label), {**stats.to_dict(), "policy": (policy or LabelPolicy()).to_dict()})
    return stats


def read_pull_stats(label: str) -> dict:
    path = paths.pull_stats_file(label)
    return json.loads(path.read_text()) if path.exists() else {}


def _return_freed_memory_promptly() -> None:
    """Arrow's jemalloc keeps freed pages for a while; cleaning makes several column-sized temporaries."""
    try:
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # built without jemalloc: the system allocator already returns memory
        pass


def run_clean_split(label: str, pull_path: Path | None = None, out_dir: Path | None = None) -> dict:
    """Clean, deduplicate, hold out gold copies and split a pull; the split folder (splits, cleaned gold,
    split_report.json) is replaced as a whole. Returns the split report."""
    _return_freed_memory_promptly()
    policy = LabelPolicy.from_dict(read_pull_stats(label).get("policy"))
    gold = cleaning.clean_gold(pull.read_gold(paths.gold_pull_file(label)), label)
    table = pull.read_pull(pull_path or paths.pull_file(label))
    cleaned, clean_stats = cleaning.clean_records(table, label, pii_policy=policy.pii, gold_texts=gold["grievance"])
    del table
    splits, split_report = splitting.stratified_split(cleaned, label)
    digest = splitting.content_hash(splits)
    report = {
        "label": label,
        "clean": clean_stats.to_dict(),
        "split": split_report.to_dict(),
        "num_samples": int(sum(split_report.sizes.values())),
        "content_hash": digest,
        "n_gold": len(gold),
    }
    # Safe without the production one-run-per-partition limit: concurrent writers serialise on a lock,
    # readers see the previous version or this one (splits/ is a symlink replaced in one rename).
    with atomic.swapped_directory(Path(out_dir or paths.splits_dir(label))) as staging:
        splitting.write_splits(splits, staging, label)
        splitting.write_gold(gold, staging, label)
        atomic.write_json(staging / "split_report.json", report)
    return report


@dataclass
class Assessment:
    report: quality.QualityReport
    decision: quality.GateDecision


def new_reviews_since(label: str, reviewed_through: str | None) -> int | None:
    """Reviewed rows of the current pull newer than the published version's (None: nothing published)."""
    if reviewed_through is None:
        return None
    import pyarrow.parquet as pq

    since = pa.scalar(dt.datetime.fromisoformat(reviewed_through), pa.timestamp("us"))
    reviewed_at = pq.read_table(paths.pull_file(label), columns=["reviewed_at"]).column("reviewed_at")
    return int(pc.sum(pc.fill_null(pc.greater(reviewed_at, since), False)).as_py() or 0)


def run_quality(label: str, previous: dict | None = None, compared_with: str | None = None) -> Assessment:
    """Quality report and gate decision of the current splits: report.json, report.md, label_distribution.png.

    ``previous``: dataset_metadata.json of the published version (drift, new reviews, unchanged content).
    Written for every candidate, blocked or skipped ones included, with the reasons.
    """
    names = label_names(label)
    splits = splitting.read_splits(paths.splits_dir(label))
    gold = splitting.read_gold(paths.splits_dir(label))
    stats = read_pull_stats(label)
    split_report = json.loads(paths.split_report_file(label).read_text())
    policy = LabelPolicy.from_dict(stats.get("policy"))
    gold_counts = {names[int(k)]: int(v) for k, v in gold["label"].value_counts().sort_index().items()}
    report = quality.run_quality_checks(
        splits,
        label_names=names,
        previous_label_counts=(previous or {}).get("label_counts"),
        reference_counts={"gold": gold_counts, "population": stats.get("population") or {}},
        gold_texts=gold["grievance"],
        pii_policy=policy.pii,
        schema=split_schema(names),
    )
    everything = pd.concat(list(splits.values()), ignore_index=True)
    counts = everything["label"].value_counts()
    class_counts = {name: int(counts.get(i, 0)) for i, name in enumerate(names)}
    published = previous is not None
    decision = quality.evaluate_gate(
        report,
        policy,
        class_counts=class_counts,
        new_reviews=new_reviews_since(label, (previous or {}).get("reviewed_through", "1970-01-01T00:00:00"))
        if published
        else None,
        unchanged=published and (previous or {}).get("content_hash") == split_report["content_hash"],
    )
    report.context.update(
        {
            "label": label,
            "content_hash": split_report["content_hash"],
            # What drift was judged against: the published tag, or why nothing could be (a Hub outage).
            "compared_with": compared_with or (previous or {}).get("version_tag"),
            "pull": {k: stats.get(k) for k in ("source_counts", "gold_held_out", "quarantined_count", "n_gold")},
            "clean": split_report["clean"],
        }
    )
    out = paths.quality_dir(label)
    quality.write_report(report, decision, out)
    plots.plot_label_distribution(report, out / "label_distribution.png", title=f"{label}: label distribution")
    return Assessment(report, decision)


def read_split_report(label: str) -> dict:
    return json.loads(paths.split_report_file(label).read_text())
