"""Datadog LLMObs datasets without Dagster: the local versioned store, the record diff, the result types.

``LocalDatasetStore`` keeps each dataset's versions as ``datasets/<name>/v<N>.json`` under
``$DATASET_PLATFORM_HOME/datadog``, the layout earlier releases wrote, so their data stays readable.
``sync_records`` and ``keep_only`` edit a ddtrace ``Dataset`` through its public methods only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dataset_platform.common import atomic, settings

RecordKey = Callable[[Mapping[str, Any]], str]
SYNCED_FIELDS = ("input_data", "expected_output", "metadata")


@dataclass(frozen=True)
class PushResult:
    """Where a dataset push landed. The record counts are known only for Datadog (None locally)."""

    mode: str  # "datadog" | "local"
    action: str  # "created" | "updated" | "unchanged"
    dataset_id: str
    version: int
    url: str
    num_records: int
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The push log's and metadata's shape: counts that are not known are left out, not written as null."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class PulledDataset:
    version: int
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class ExperimentRequest:
    """One experiment to run over records of a pushed dataset: the task, the evaluators, where to record it."""

    name: str
    task: Callable[..., Any]
    dataset_name: str
    evaluators: Sequence[Callable[..., Any]]
    summary_evaluators: Sequence[Callable[..., Any]]
    config: Mapping[str, Any]
    record_keys: Sequence[str]  # exactly these records, matched by ``key``
    key: RecordKey
    jobs: int
    raise_errors: bool
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    dataset_version: int | None = None  # None = latest
    project_name: str | None = None  # where the experiment is recorded; None = the resource's project
    ml_app: str | None = None


@dataclass(frozen=True)
class ExperimentRow:
    key: str
    output: Any
    evaluations: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class ExperimentOutcome:
    experiment_id: str
    url: str
    dataset_version: int
    rows: list[ExperimentRow] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LocalDatasetStore:
    """Versioned JSON datasets on disk: a push that changes nothing keeps the version, any change adds one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def at_home(cls) -> LocalDatasetStore:
        return cls(settings.platform_home() / "datadog")

    def dataset_dir(self, name: str) -> Path:
        return self.root / "datasets" / name

    def version_path(self, name: str, version: int) -> Path:
        return self.dataset_dir(name) / f"v{version}.json"

    def versions(self, name: str) -> list[int]:
        directory = self.dataset_dir(name)
        if not directory.exists():
            return []
        return sorted(int(p.stem[1:]) for p in directory.glob("v*.json") if p.stem[1:].isdigit())

    def push(self, name: str, description: str, records: Sequence[Mapping[str, Any]]) -> PushResult:
        versions = self.versions(name)
        rows = [dict(r) for r in records]
        if versions and self._read(name, versions[-1])["records"] == rows:
            return self._result(name, versions[-1], "unchanged", len(rows))
        version = (versions[-1] + 1) if versions else 1
        payload = {"name": name, "description": description, "version": version, "records": rows}
        atomic.write_json(self.version_path(name, version), payload)
        return self._result(name, version, "updated" if versions else "created", len(rows))

    def pull(self, name: str, version: int | None = None) -> PulledDataset:
        versions = self.versions(name)
        if not versions:
            raise FileNotFoundError(
                f"no local dataset {name!r} under {self.dataset_dir(name)}; materialise datadog_dataset"
            )
        chosen = version or versions[-1]
        if chosen not in versions:
            raise FileNotFoundError(f"dataset {name!r} has no version {chosen}; versions: {versions}")
        return PulledDataset(chosen, self._read(name, chosen)["records"])

    def _read(self, name: str, version: int) -> dict[str, Any]:
        return json.loads(self.version_path(name, version).read_text("utf-8"))

    def _result(self, name: str, version: int, action: str, count: int) -> PushResult:
        return PushResult(
            mode="local",
            action=action,
            dataset_id=name,
            version=version,
            url=str(self.version_path(name, version)),
            num_records=count,
        )


class EditableDataset(Protocol):
    """The public part of ``ddtrace.llmobs.Dataset`` that the diff uses."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __getitem__(self, index: int) -> Any: ...

    def update(self, index: int, record: Any) -> None: ...

    def delete(self, index: int) -> None: ...

    def append(self, record: Any) -> None: ...


@dataclass(frozen=True)
class RecordChanges:
    inserted: int
    updated: int
    deleted: int

    @property
    def any(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)


def sync_records(dataset: EditableDataset, records: Sequence[Mapping[str, Any]], key: RecordKey) -> RecordChanges:
    """Stage the changes that make ``dataset`` hold ``records`` (matched by ``key``); ``push()`` sends them."""
    wanted = {key(r): r for r in records}
    existing = {key(r): i for i, r in enumerate(dataset)}
    updated = 0
    for k, index in existing.items():
        if k not in wanted:
            continue
        current, new = dataset[index], wanted[k]
        # An empty field and a missing one are the same record (the API returns {} for no metadata).
        changes = {f: new.get(f) for f in SYNCED_FIELDS if (current.get(f) or None) != (new.get(f) or None)}
        if changes:
            dataset.update(index, changes)
            updated += 1
    stale = sorted((i for k, i in existing.items() if k not in wanted), reverse=True)
    for index in stale:  # highest index first, so the others keep their positions
        dataset.delete(index)
    new_keys = [k for k in wanted if k not in existing]
    for k in new_keys:
        dataset.append(dict(wanted[k]))
    return RecordChanges(inserted=len(new_keys), updated=updated, deleted=len(stale))


def keep_only(dataset: EditableDataset, record_keys: Sequence[str], key: RecordKey, dataset_name: str = "") -> None:
    """Drop (locally, never pushed) every record of a pulled dataset whose key is not in ``record_keys``.

    An experiment then runs over exactly the sampled records with ddtrace's public API (``Dataset.delete``),
    instead of reordering its private record list so that ``sample_size`` takes the first ones. Row order
    does not matter: results are matched back to records by key.
    """
    wanted = set(record_keys)
    present = {key(r) for r in dataset}
    missing = wanted - present
    if missing:
        raise ValueError(f"records missing from Datadog dataset {dataset_name!r}: {sorted(missing)[:5]}")
    unwanted = [i for i, r in enumerate(dataset) if key(r) not in wanted]
    for index in reversed(unwanted):
        dataset.delete(index)
