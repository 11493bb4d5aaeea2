"""The platform link: when datasets were last rebuilt, reviews waiting for a rebuild, and the exports.

Read from the files the pipelines leave behind (`$HOME/ground_truth/LATEST`, the local hub's version
folders, `$HOME/exports/*.json`) so the app needs no Dagster instance. Anything missing or unreadable
reads as "not built yet" rather than an error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dataset_platform.common import settings
from dataset_platform.common.labels import LABELS
from dataset_platform.forms.paths import ground_truth_dir, is_hidden
from dataset_platform.review_app import form_queue, store

_TAG = re.compile(r"v(\d{8})_(\d{6})")
DEFAULT_REPOS = {"department": "local/department-dataset", "urgency": "local/urgency-dataset"}


def tag_time(tag: str | None) -> dt.datetime | None:
    """``v20260101_120000`` → naive UTC datetime (the version tags are UTC)."""
    match = _TAG.fullmatch(tag or "")
    if not match:
        return None
    try:
        return dt.datetime.strptime("".join(match.groups()), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def latest_ground_truth_version() -> str | None:
    folder = ground_truth_dir()
    try:
        tag = (folder / "LATEST").read_text(encoding="utf-8").strip()
    except OSError:
        tag = ""
    if tag_time(tag):
        return tag
    tags = sorted(p.stem for p in folder.glob("v*.jsonl") if tag_time(p.stem)) if folder.is_dir() else []
    return tags[-1] if tags else None


def dataset_repo(label: str) -> str:
    return os.environ.get(f"{label.upper()}_DATASET") or DEFAULT_REPOS[label]


def latest_published_version(label: str) -> str | None:
    """Newest version folder of the label's dataset in the local hub (`$HOME/hub/<repo_id>/<tag>/`)."""
    repo_dir = settings.hub_dir() / dataset_repo(label)
    if not repo_dir.is_dir():
        return None
    tags = sorted(d.name for d in repo_dir.iterdir() if d.is_dir() and tag_time(d.name))
    return tags[-1] if tags else None


@dataclass(frozen=True)
class PlatformStatus:
    ground_truth_version: str | None
    form_reviews_pending: int
    published: dict[str, str | None] = field(default_factory=dict)
    grievance_reviews_pending: dict[str, int] = field(default_factory=dict)
    dagster_url: str = ""

    @property
    def ground_truth_built_at(self) -> dt.datetime | None:
        return tag_time(self.ground_truth_version)


def dagster_asset_url(asset_key: str = "ground_truth_dataset") -> str:
    return f"{settings.dagster_ui_url().rstrip('/')}/assets/{asset_key}"


def platform_status(engine: sa.Engine) -> PlatformStatus:
    version = latest_ground_truth_version()
    published = {label: latest_published_version(label) for label in LABELS}
    return PlatformStatus(
        ground_truth_version=version,
        form_reviews_pending=store.extraction_reviews_since(engine, tag_time(version)),
        published=published,
        grievance_reviews_pending={
            label: store.grievance_reviews_since(engine, tag_time(published[label]), label) for label in LABELS
        },
        dagster_url=dagster_asset_url(),
    )


def latest_datadog_export() -> Path | None:
    """The newest JSON file under `$HOME/exports` (the `datadog_dataset` asset's export)."""
    folder = settings.exports_dir()
    if not folder.is_dir():
        return None
    files = [p for p in folder.rglob("*.json") if p.is_file() and not is_hidden(p)]
    return max(files, key=lambda p: p.stat().st_mtime) if files else None


def live_ground_truth(engine: sa.Engine) -> list[dict[str, Any]]:
    """Ground-truth records as `ground_truth_dataset` would build them now (latest reviews + model
    extractions), for a download before the sensor's next rebuild."""
    from dataset_platform.forms import ground_truth

    return ground_truth.build_records(
        form_queue.list_form_sets(), ground_truth.load_extractions(), ground_truth.latest_reviews(engine)
    )


def ground_truth_download(engine: sa.Engine) -> tuple[str, bytes, str]:
    """(file name, JSONL bytes, description): the latest built version if there is one, else a live build."""
    from dataset_platform.forms.ground_truth import load_ground_truth

    try:
        version, records = load_ground_truth()
        description = f"built version {version}"
    except (FileNotFoundError, ValueError, OSError):
        version, records = "live", live_ground_truth(engine)
        description = "not built yet: current reviews and model extractions"
    data = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode("utf-8")
    return f"ground_truth_{version}.jsonl", data, description


def live_ground_truth_download(engine: sa.Engine) -> tuple[str, bytes]:
    records = live_ground_truth(engine)
    data = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records).encode("utf-8")
    return f"ground_truth_live_{store.utcnow():%Y%m%d_%H%M%S}.jsonl", data
