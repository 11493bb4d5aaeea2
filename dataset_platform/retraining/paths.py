"""Files the retraining assets hand to each other: ``$DATASET_PLATFORM_HOME/retraining/<label>/...``."""

from __future__ import annotations

from pathlib import Path

from dataset_platform.common import settings


def label_dir(label: str) -> Path:
    return settings.platform_home() / "retraining" / label


def pull_file(label: str) -> Path:
    return label_dir(label) / "pull.parquet"


def pull_stats_file(label: str) -> Path:
    return label_dir(label) / "pull_stats.json"


def gold_pull_file(label: str) -> Path:
    """Gold rows as pulled (complaint_id, raw text, label name)."""
    return label_dir(label) / "gold_pull.parquet"


def splits_dir(label: str) -> Path:
    """Holds ``data/{train,eval,test}-00000-of-00001.parquet`` and ``split_report.json``."""
    return label_dir(label) / "splits"


def gold_file(label: str) -> Path:
    """The cleaned gold set of the current splits (complaint_id, grievance, label id): what models are scored on."""
    return splits_dir(label) / "gold.parquet"


def split_report_file(label: str) -> Path:
    return splits_dir(label) / "split_report.json"


def quality_dir(label: str) -> Path:
    return label_dir(label) / "quality"


def published_file(label: str) -> Path:
    return label_dir(label) / "published.json"
