"""Where things live and the embedded defaults of DESIGN.md's configuration table.

Read at call time (not import time) so tests and the CLI can point DATASET_PLATFORM_HOME elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

# Records in total per published version; see policy.py for the per-class and new-review minimums.
DEFAULT_MIN_DATASET_LEN = 100


def platform_home() -> Path:
    return Path(os.environ.get("DATASET_PLATFORM_HOME", "./.data")).resolve()


def form_sets_dir() -> Path:
    """One sub-folder per form set, holding its page images (and, for demo data, ground_truth.json)."""
    return platform_home() / "forms"


def hub_dir() -> Path:
    return platform_home() / "hub"


def cache_dir() -> Path:
    return platform_home() / "cache"


def exports_dir() -> Path:
    return platform_home() / "exports"


def experiments_dir() -> Path:
    return platform_home() / "experiments"


def wandb_dir() -> Path:
    return platform_home() / "wandb"


def default_database_url() -> str:
    return f"sqlite:///{platform_home() / 'reviews.db'}"


def database_url() -> str:
    return os.environ.get("POSTGRES_URL") or default_database_url()


def min_dataset_len() -> int:
    return int(os.environ.get("MIN_DATASET_LEN", DEFAULT_MIN_DATASET_LEN))


def dagster_ui_url() -> str:
    return os.environ.get("DAGSTER_UI_URL", "http://localhost:3000")
