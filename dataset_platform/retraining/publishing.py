"""Immutable dataset versions: gate, content hash, metadata, dataset card, local hub or Hugging Face Hub.

A version is all-or-nothing: locally its folder is staged and renamed into place; on the Hub all its
files go in ONE commit (with ``parent_commit`` for optimistic locking) and the version tag is created
on that commit afterwards. A re-run over the same splits finds the same content hash and publishes
nothing (``unchanged``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from dataset_platform.common import atomic
from dataset_platform.common.labels import LABEL_MAPPINGS, label_names
from dataset_platform.retraining import splitting

VERSION_RE = re.compile(r"^v\d{8}_\d{6}$")
METADATA_FILE = "dataset_metadata.json"
CARD_FILE = "README.md"
LANGUAGES = ["th", "ne", "en"]
LICENSE = "other"

PUBLISHED = "published"
UNCHANGED = "unchanged"
SKIPPED = "skipped_insufficient_data"


def version_tag(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC)
    return now.strftime("v%Y%m%d_%H%M%S")


def next_version_tag(now: dt.datetime | None, latest: str | None) -> str:
    """A tag later than ``latest`` (two versions within one second must not collide)."""
    now = now or dt.datetime.now(dt.UTC)
    tag = version_tag(now)
    while latest is not None and tag <= latest:
        now += dt.timedelta(seconds=1)
        tag = version_tag(now)
    return tag


def size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return name
    return "1M<n<10M"


@dataclass
class PublishResult:
    status: str
    label: str
    repo_id: str
    content_hash: str
    num_samples: int
    splits: dict[str, int]
    version_tag: str | None = None
    uri: str | None = None
    previous_version: str | None = None
    detail: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class Publisher(Protocol):
    repo_id: str

    def latest_metadata(self) -> dict | None: ...

    def ensure_tagged(self, metadata: dict) -> bool: ...

    def write_version(self, tag: str, files: dict[str, bytes], message: str) -> str: ...

    def version_uri(self, tag: str) -> str: ...


def build_metadata(
    *,
    repo_id: str,
    tag: str,
    label: str,
    splits: dict[str, pd.DataFrame],
    content_hash: str,
    created_at: dt.datetime,
    run_id: str | None,
    code_version: str | None,
    extra: dict | None = None,
) -> dict:
    names = label_names(label)
    everything = pd.concat(list(splits.values()), ignore_index=True)
    label_counts = everything["label"].value_counts()
    return {
        "dataset_name": repo_id,
        "version_tag": tag,
        "label_column": label,
        "label_mapping": dict(LABEL_MAPPINGS[label]),
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "num_samples": int(len(everything)),
        "splits": {split: int(len(df)) for split, df in splits.items()},
        "content_hash": content_hash,
        "source_counts": {str(k): int(v) for k, v in everything["source"].value_counts().sort_index().items()},
        "label_counts": {name: int(label_counts.get(i, 0)) for i, name in enumerate(names)},
        "dagster_run_id": run_id,
        "code_version": code_version,
        **(extra or {}),
    }


def build_card(metadata: dict) -> str:
    """README.md with the YAML `datasets` and the Hub read: license, task, languages, size, labels, configs."""
    from huggingface_hub import DatasetCard, DatasetCardData

    label = metadata["label_column"]
    names = label_names(label)
    data = DatasetCardData(
        pretty_name=f"Grievance {label} classification ({metadata['version_tag']})",
        license=LICENSE,
        license_name="internal-use-only",
        language=LANGUAGES,
        multilinguality="multilingual",
        task_categories=["text-classification"],
        task_ids=["multi-class-classification"],
        size_categories=[size_category(metadata["num_samples"])],
        tags=["grievances", "retraining", label],
        version=metadata["version_tag"],
        content_hash=metadata["content_hash"],
        configs=[
            {
                "config_name": "default",
                "default": True,
                "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splitting.SPLITS],
            }
        ],
        dataset_info={
            "features": [
                {"name": "complaint_id", "dtype": "int64"},
                {"name": "grievance", "dtype": "string"},
                {"name": "label", "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(names)}}}},
                {"name": "source", "dtype": "string"},
            ]
        },
    )
    rows = "\n".join(f"| {i} | {n} | {metadata['label_counts'].get(n, 0)} |" for i, n in enumerate(names))
    sizes = ", ".join(f"{s}: {n}" for s, n in metadata["splits"].items())
    body = f"""
# {metadata["dataset_name"]} — {label} classifier retraining data, {metadata["version_tag"]}

Reviewed misclassifications of the production grievance classifier plus a sample of correctly
classified grievances (human-confirmed ones first), optionally mixed with a base training dataset
(Thai, Nepali and English), cleaned, PII-masked and split stratified 80/10/10. Complaints of the blind
gold set are held out of every split.

- **Label column:** `{label}` (ClassLabel, ids follow the mapping order)
- **Splits:** {sizes} ({metadata["num_samples"]} records)
- **Sources:** {", ".join(f"{k}: {v}" for k, v in metadata["source_counts"].items())}
- **Content hash:** `{metadata["content_hash"]}`
- **Created:** {metadata["created_at"]} (Dagster run `{metadata.get("dagster_run_id")}`)

| id | {label} | records |
|---|---|---|
{rows}

Columns: `complaint_id` (int), `grievance` (cleaned text: URLs and HTML removed, whitespace collapsed,
NFC, PII replaced by typed placeholders such as `[PHONE]`), `label` (int), `source` (`misclassified` |
`confirmed` | `correct` | `base`). This version never changes; newer data
gets a new version tag.
"""
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n{body}"))


def publish_version(
    publisher: Publisher,
    *,
    label: str,
    splits_dir: Path,
    run_id: str | None = None,
    code_version: str | None = None,
    now: dt.datetime | None = None,
    extra_metadata: dict | None = None,
) -> PublishResult:
    """Compare the hash with the latest version → write one new immutable version (or nothing).

    The caller has passed the candidate through the gate (``quality.read_decision``); it is not repeated here.
    """
    splits = splitting.read_splits(splits_dir)
    digest = splitting.content_hash(splits)
    sizes = {split: len(df) for split, df in splits.items()}
    total = sum(sizes.values())
    result = PublishResult(
        status=PUBLISHED, label=label, repo_id=publisher.repo_id, content_hash=digest, num_samples=total, splits=sizes
    )

    latest = publisher.latest_metadata()
    latest_tag = latest["version_tag"] if latest else None
    result.previous_version = latest_tag
    if latest and latest.get("content_hash") == digest:
        repaired = publisher.ensure_tagged(latest)
        result.status = PUBLISHED if repaired else UNCHANGED
        result.version_tag, result.uri, result.metadata = (
            latest_tag,
            publisher.version_uri(latest["version_tag"]),
            latest,
        )
        result.detail = "tag created for a version whose tag was missing" if repaired else "same content hash as latest"
        return result

    created = now or dt.datetime.now(dt.UTC)
    tag = next_version_tag(created, latest_tag)
    metadata = build_metadata(
        repo_id=publisher.repo_id,
        tag=tag,
        label=label,
        splits=splits,
        content_hash=digest,
        created_at=created if created.tzinfo else created.replace(tzinfo=dt.UTC),
        run_id=run_id,
        code_version=code_version,
        extra=extra_metadata,
    )
    data_dir = Path(splits_dir) / "data"
    files = {
        f"data/{splitting.split_filename(s)}": (data_dir / splitting.split_filename(s)).read_bytes()
        for s in splitting.SPLITS
    }
    files[METADATA_FILE] = (json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    files[CARD_FILE] = build_card(metadata).encode()
    message = f"Publish {label} dataset {tag} ({total} records, content {digest[:12]})"
    result.uri = publisher.write_version(tag, files, message)
    result.status, result.version_tag, result.metadata = PUBLISHED, tag, metadata
    return result


class LocalHub:
    """``<root>/<repo_id>/<version_tag>/`` folders, each staged then renamed into place."""

    def __init__(self, root: Path, repo_id: str):
        self.root = Path(root)
        self.repo_id = repo_id
        self.repo_dir = self.root / repo_id

    def versions(self) -> list[str]:
        if not self.repo_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.repo_dir.iterdir() if VERSION_RE.match(p.name) and (p / METADATA_FILE).is_file()
        )

    def latest_metadata(self) -> dict | None:
        versions = self.versions()
        return json.loads((self.repo_dir / versions[-1] / METADATA_FILE).read_text()) if versions else None

    def ensure_tagged(self, metadata: dict) -> bool:
        return False  # a local version is visible exactly when its folder exists

    def version_dir(self, tag: str) -> Path:
        return self.repo_dir / tag

    def read_version(self, tag: str | None = None) -> dict[str, pd.DataFrame]:
        """The splits of one version (default: the latest)."""
        versions = self.versions()
        tag = tag or (versions[-1] if versions else None)
        if tag not in versions:
            raise FileNotFoundError(f"no version {tag!r} of {self.repo_id} under {self.repo_dir}")
        return splitting.read_splits(self.version_dir(tag))

    def version_uri(self, tag: str) -> str:
        return self.version_dir(tag).resolve().as_uri()

    def write_version(self, tag: str, files: dict[str, bytes], message: str) -> str:
        with atomic.staged_directory(self.version_dir(tag)) as staging:
            for relpath, data in files.items():
                write_version_file(staging / relpath, data)
        return self.version_uri(tag)

    def lock(self) -> AbstractContextManager[None]:
        """Serialises check-then-publish between concurrent runs of the same repo."""
        return atomic.locked(self.repo_dir / ".publish.lock")


def write_version_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class HubPublisher:
    """Hugging Face Hub dataset repo; ``api`` is an ``HfApi`` (or a test double of it)."""

    def __init__(self, api: Any, repo_id: str, private: bool = True):
        self.api = api
        self.repo_id = repo_id
        self.private = private
        self._head: str | None = None
        self._files: list[str] = []
        self._tags: set[str] = set()

    def _refresh(self) -> None:
        self.api.create_repo(self.repo_id, repo_type="dataset", private=self.private, exist_ok=True)
        info = self.api.dataset_info(self.repo_id, files_metadata=False)
        self._head = info.sha
        self._files = [s.rfilename for s in (info.siblings or [])]
        self._tags = {ref.name for ref in self.api.list_repo_refs(self.repo_id, repo_type="dataset").tags}

    def latest_metadata(self) -> dict | None:
        self._refresh()
        if METADATA_FILE not in self._files:
            return None
        path = self.api.hf_hub_download(self.repo_id, METADATA_FILE, repo_type="dataset", revision=self._head)
        return json.loads(Path(path).read_text())

    def ensure_tagged(self, metadata: dict) -> bool:
        """A crash between commit and tag leaves main at the version without its tag: tag it now."""
        tag = metadata["version_tag"]
        if tag in self._tags:
            return False
        self.api.create_tag(self.repo_id, tag=tag, revision=self._head, repo_type="dataset", tag_message=tag)
        self._tags.add(tag)
        return True

    def read_version(self, tag: str | None = None) -> dict[str, pd.DataFrame]:
        """The splits of one version (a tag; default: the main branch, i.e. the latest version)."""
        from huggingface_hub import snapshot_download

        folder = snapshot_download(
            self.repo_id,
            repo_type="dataset",
            revision=tag,
            allow_patterns=["data/*"],
            token=getattr(self.api, "token", None),
        )
        return splitting.read_splits(Path(folder))

    def version_uri(self, tag: str) -> str:
        endpoint = getattr(self.api, "endpoint", None) or "https://huggingface.co"
        return f"{endpoint.rstrip('/')}/datasets/{self.repo_id}/tree/{tag}"

    def write_version(self, tag: str, files: dict[str, bytes], message: str) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        if self._head is None:
            self._refresh()
        stale = [f for f in self._files if f.startswith("data/") and f not in files]
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationDelete(path_in_repo=f) for f in stale
        ]
        operations += [CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in sorted(files.items())]
        commit = self.api.create_commit(
            self.repo_id,
            operations=operations,
            commit_message=message,
            repo_type="dataset",
            parent_commit=self._head,
        )
        self.api.create_tag(self.repo_id, tag=tag, revision=commit.oid, repo_type="dataset", tag_message=message)
        self._tags.add(tag)
        return self.version_uri(tag)
