"""The pull → clean → split steps as plain functions on files (the Dagster assets and the benchmark call these)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from dataset_platform.common import atomic
from dataset_platform.common.labels import label_names
from dataset_platform.retraining import cleaning, paths, pull, quality, splitting


def run_pull(engine: sa.Engine, label: str, **options) -> pull.PullStats:
    stats = pull.pull(engine, label, paths.pull_file(label), **options)
    atomic.write_json(paths.pull_stats_file(label), stats.to_dict())
    return stats


def _return_freed_memory_promptly() -> None:
    """Arrow's jemalloc keeps freed pages for a while; cleaning makes several column-sized temporaries."""
    try:
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # built without jemalloc: the system allocator already returns memory
        pass


def run_clean_split(label: str, pull_path: Path | None = None, out_dir: Path | None = None) -> dict:
    """Clean, deduplicate and split a pull; the split folder is replaced as a whole. Returns the report."""
    _return_freed_memory_promptly()
    table = pull.read_pull(pull_path or paths.pull_file(label))
    cleaned, clean_stats = cleaning.clean_records(table, label)
    del table
    splits, split_report = splitting.stratified_split(cleaned, label)
    digest = splitting.content_hash(splits)
    report = {
        "label": label,
        "clean": clean_stats.to_dict(),
        "split": split_report.to_dict(),
        "num_samples": int(sum(split_report.sizes.values())),
        "content_hash": digest,
    }
    target = Path(out_dir or paths.splits_dir(label))
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.remove_stale_staging(target.parent)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=atomic.STAGING_SUFFIX))
    try:
        splitting.write_splits(splits, staging, label)
        atomic.write_json(staging / "split_report.json", report)
        # Safe without the production one-run-per-partition limit: concurrent writers serialise on a lock,
        # readers see the previous version or this one (splits/ is a symlink replaced in one rename).
        atomic.swap_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def run_quality(label: str, previous_label_counts: dict | None = None) -> quality.QualityReport:
    """Quality report of the current splits; files: report.json, report.md, label_distribution.png."""
    names = label_names(label)
    splits = splitting.read_splits(paths.splits_dir(label))
    report = quality.run_quality_checks(
        splits, label_names=names, previous_label_counts=previous_label_counts, schema=quality.split_schema(names)
    )
    out = paths.quality_dir(label)
    atomic.write_json(out / "report.json", report.to_dict())
    atomic.write_text(out / "report.md", report.to_markdown())
    quality.plot_label_distribution(report, out / "label_distribution.png", title=f"{label}: label distribution per split")
    return report


def read_split_report(label: str) -> dict:
    return json.loads(paths.split_report_file(label).read_text())
