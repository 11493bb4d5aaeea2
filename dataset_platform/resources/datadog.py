"""Datadog LLM Observability through ddtrace when DD_API_KEY and DD_APP_KEY are set, else a local store.

The local store keeps each dataset's versions as JSON files under ``$DATASET_PLATFORM_HOME/datadog``;
experiments then run locally with the same evaluators (see ``dataset_platform.experiments``).
ddtrace is imported only when Datadog is actually used. ``DD_LLMOBS_OVERRIDE_ORIGIN`` (a proxy or a
test endpoint) is honoured by ddtrace itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from dataset_platform.common import atomic, settings

# LLMObs is process-global: one enable/disable session at a time.
_SESSION_LOCK = threading.Lock()


class DatadogLLMObs(dg.ConfigurableResource):
    api_key: str | None = Field(default=None, description="DD_API_KEY")
    app_key: str | None = Field(default=None, description="DD_APP_KEY")
    site: str = Field(default="datadoghq.com", description="DD_SITE")
    ml_app: str = Field(default="vote-extraction", description="LLMObs ml_app")
    project_name: str = Field(default="vote-extraction", description="LLMObs project holding datasets and experiments")

    @property
    def enabled(self) -> bool:
        return bool(self.api_key and self.app_key)

    def describe(self) -> str:
        """Where data goes, safe for metadata (no keys)."""
        return f"Datadog LLM Observability ({self.site})" if self.enabled else f"local store {self.local_dir()}"

    def local_dir(self) -> Path:
        return settings.platform_home() / "datadog"

    # --- ddtrace session -----------------------------------------------------------------------

    @contextmanager
    def session(self, ml_app: str | None = None, project_name: str | None = None) -> Iterator[Any]:
        """``LLMObs`` enabled (agentless) for the block, flushed and disabled after it."""
        if not self.enabled:
            raise RuntimeError("Datadog is not configured: DD_API_KEY and DD_APP_KEY are both required")
        from ddtrace.llmobs import LLMObs

        with _SESSION_LOCK:
            LLMObs.enable(
                **_ml_app_argument(LLMObs.enable, ml_app or self.ml_app),
                api_key=self.api_key,
                app_key=self.app_key,
                site=self.site,
                project_name=project_name or self.project_name,
                agentless_enabled=True,
                integrations_enabled=False,
            )
            try:
                yield LLMObs
            finally:
                try:
                    LLMObs.flush()
                finally:
                    LLMObs.disable()

    # --- datasets ------------------------------------------------------------------------------

    def push_dataset(
        self,
        name: str,
        description: str,
        records: Sequence[Mapping[str, Any]],
        key: Callable[[Mapping[str, Any]], str],
        project_name: str | None = None,
    ) -> dict[str, Any]:
        """Create the dataset, or bring it in line with ``records`` (matched by ``key``): insert, update, delete.

        Returns ``{"mode", "action" (created|updated|unchanged), "dataset_id", "version", "url",
        "inserted", "updated", "deleted", "num_records"}``.
        """
        if not self.enabled:
            return self._push_local(name, description, records)
        project = project_name or self.project_name
        with self.session(project_name=project) as llmobs:
            try:
                dataset = llmobs.pull_dataset(dataset_name=name, project_name=project)
            except ValueError as exc:
                if "not found" not in str(exc):
                    raise
                dataset = llmobs.create_dataset(
                    dataset_name=name, project_name=project, description=description, records=[dict(r) for r in records]
                )
                return self._remote_result(dataset, "created", inserted=len(records))
            inserted, updated, deleted = _sync_records(dataset, records, key)
            if inserted or updated or deleted:
                dataset.push()
            action = "updated" if (inserted or updated or deleted) else "unchanged"
            return self._remote_result(dataset, action, inserted=inserted, updated=updated, deleted=deleted)

    def pull_dataset(
        self, name: str, version: int | None = None, project_name: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """(version, records with input_data/expected_output/metadata) from Datadog or the local store."""
        if not self.enabled:
            return self._pull_local(name, version)
        project = project_name or self.project_name
        with self.session(project_name=project) as llmobs:
            dataset = llmobs.pull_dataset(dataset_name=name, project_name=project, version=version)
            return dataset.version, [dict(r) for r in dataset]

    def _remote_result(self, dataset: Any, action: str, inserted: int = 0, updated: int = 0, deleted: int = 0):
        return {
            "mode": "datadog",
            "action": action,
            "dataset_id": dataset._id,
            "version": dataset.latest_version,
            "url": dataset.url,
            "inserted": inserted,
            "updated": updated,
            "deleted": deleted,
            "num_records": len(dataset),
        }

    def _dataset_dir(self, name: str) -> Path:
        return self.local_dir() / "datasets" / name

    def _local_versions(self, name: str) -> list[int]:
        directory = self._dataset_dir(name)
        if not directory.exists():
            return []
        return sorted(int(p.stem[1:]) for p in directory.glob("v*.json") if p.stem[1:].isdigit())

    def _push_local(self, name: str, description: str, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        versions = self._local_versions(name)
        records = [dict(r) for r in records]
        if versions:
            latest = versions[-1]
            if json.loads((self._dataset_dir(name) / f"v{latest}.json").read_text("utf-8"))["records"] == records:
                return self._local_result(name, latest, "unchanged", len(records))
        version = (versions[-1] + 1) if versions else 1
        path = self._dataset_dir(name) / f"v{version}.json"
        atomic.write_json(path, {"name": name, "description": description, "version": version, "records": records})
        return self._local_result(name, version, "updated" if versions else "created", len(records))

    def _local_result(self, name: str, version: int, action: str, count: int) -> dict[str, Any]:
        return {
            "mode": "local",
            "action": action,
            "dataset_id": name,
            "version": version,
            "url": str(self._dataset_dir(name) / f"v{version}.json"),
            "num_records": count,
        }

    def _pull_local(self, name: str, version: int | None) -> tuple[int, list[dict[str, Any]]]:
        versions = self._local_versions(name)
        if not versions:
            raise FileNotFoundError(
                f"no local dataset {name!r} under {self._dataset_dir(name)}; materialise datadog_dataset"
            )
        chosen = version or versions[-1]
        if chosen not in versions:
            raise FileNotFoundError(f"dataset {name!r} has no version {chosen}; versions: {versions}")
        data = json.loads((self._dataset_dir(name) / f"v{chosen}.json").read_text("utf-8"))
        return chosen, data["records"]

    # --- experiments ---------------------------------------------------------------------------

    def run_experiment(
        self,
        *,
        name: str,
        task: Callable[..., Any],
        dataset_name: str,
        evaluators: Sequence[Callable[..., Any]],
        summary_evaluators: Sequence[Callable[..., Any]],
        config: Mapping[str, Any],
        record_keys: Sequence[str],
        key: Callable[[Mapping[str, Any]], str],
        jobs: int,
        raise_errors: bool,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        dataset_version: int | None = None,
        project_name: str | None = None,
        ml_app: str | None = None,
    ) -> dict[str, Any]:
        """``LLMObs.experiment(...).run(jobs, sample_size, raise_errors)`` over the records in ``record_keys``.

        The pulled dataset's records are reordered so that the chosen (sampled) ones come first, and
        ``sample_size`` takes exactly those. The dataset is read from this resource's project, the
        experiment is recorded in ``project_name``. Returns ``{"experiment_id", "url", "dataset_version",
        "rows": [{"key", "output", "evaluations", "error"}], "summary": {name: value}}``.
        """
        project = project_name or self.project_name
        with self.session(ml_app=ml_app, project_name=project) as llmobs:
            # The dataset lives where datadog_dataset pushed it (this resource's project); the experiment
            # may be recorded in another project.
            dataset = llmobs.pull_dataset(
                dataset_name=dataset_name, project_name=self.project_name, version=dataset_version
            )
            wanted = {k: i for i, k in enumerate(record_keys)}
            missing = set(wanted) - {key(r) for r in dataset}
            if missing:
                raise ValueError(f"records missing from Datadog dataset {dataset_name!r}: {sorted(missing)[:5]}")
            # ddtrace samples the first `sample_size` records; put ours first, in our order.
            dataset._records.sort(key=lambda r: wanted.get(key(r), len(wanted)))
            experiment = llmobs.experiment(
                name=name,
                task=task,
                dataset=dataset,
                evaluators=list(evaluators),
                summary_evaluators=list(summary_evaluators),
                description=description,
                project_name=project,
                tags=dict(tags or {}),
                config=dict(config),
            )
            result = experiment.run(jobs=jobs, sample_size=len(record_keys), raise_errors=raise_errors)
            rows = [
                {
                    "key": key(dataset[row["idx"]]),
                    "output": row["output"],
                    "evaluations": {n: (e or {}).get("value") for n, e in (row.get("evaluations") or {}).items()},
                    "error": (row.get("error") or {}).get("message"),
                }
                for row in result["rows"]
            ]
            summary = {n: (e or {}).get("value") for n, e in (result.get("summary_evaluations") or {}).items()}
            return {
                "experiment_id": experiment._id,
                "url": experiment.url,
                "dataset_version": dataset.version,
                "rows": rows,
                "summary": summary,
            }


def _ml_app_argument(enable: Callable[..., Any], ml_app: str) -> dict[str, Any]:
    """ddtrace ≥ 4.x renamed ``ml_app`` to ``agent_service`` (deprecated, not removed); use what this version takes."""
    import inspect

    name = "agent_service" if "agent_service" in inspect.signature(enable).parameters else "ml_app"
    return {name: ml_app}


def _sync_records(dataset: Any, records: Sequence[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str]):
    """Stage the changes that make ``dataset`` hold ``records``; returns (inserted, updated, deleted)."""
    wanted = {key(r): r for r in records}
    existing = {key(r): i for i, r in enumerate(dataset)}
    updated = 0
    for k, index in existing.items():
        if k not in wanted:
            continue
        current, new = dataset[index], wanted[k]
        changes = {
            f: new.get(f)
            for f in ("input_data", "expected_output", "metadata")
            if (current.get(f) or None) != (new.get(f) or None)
        }
        if changes:
            dataset.update(index, changes)
            updated += 1
    stale = sorted((i for k, i in existing.items() if k not in wanted), reverse=True)
    for index in stale:  # highest index first, so the others keep their positions
        dataset.delete(index)
    new_keys = [k for k in wanted if k not in existing]
    for k in new_keys:
        dataset.append(dict(wanted[k]))
    return len(new_keys), updated, len(stale)
