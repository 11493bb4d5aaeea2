"""The ``datadog`` resource: one interface, two types chosen in ``defs/resources.py::build_resources``.

``DatadogLLMObs`` is a thin layer over ddtrace's LLM Observability (datasets and experiments in Datadog);
``LocalLLMObs`` keeps datasets in the local store (``experiments/datadog_store.py``) and leaves experiment
scoring to ``experiments/runner.py``. ddtrace is imported only inside ``DatadogLLMObs.session``;
``DD_LLMOBS_OVERRIDE_ORIGIN`` (a proxy or a test endpoint) is honoured by ddtrace itself.
"""

from __future__ import annotations

import inspect
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
from pydantic import Field

from dataset_platform.experiments.datadog_store import (
    ExperimentOutcome,
    ExperimentRequest,
    ExperimentRow,
    LocalDatasetStore,
    PulledDataset,
    PushResult,
    RecordKey,
    keep_only,
    sync_records,
)

# LLMObs is process-global: one enable/disable session at a time.
_SESSION_LOCK = threading.Lock()


class ExperimentsUnsupportedError(RuntimeError):
    """The local resource stores datasets only; experiments are then scored by ``experiments.runner``."""


class LLMObsResource(dg.ConfigurableResource, ABC):
    """Where the ground-truth dataset goes and where experiments are recorded."""

    mode: ClassVar[str]  # "datadog" | "local": the value recorded in push logs and experiment results
    enabled: ClassVar[bool]  # experiments run in Datadog

    @abstractmethod
    def describe(self) -> str:
        """Where data goes, safe for metadata (no keys)."""

    @abstractmethod
    def push_dataset(
        self,
        name: str,
        description: str,
        records: Sequence[Mapping[str, Any]],
        key: RecordKey,
        project_name: str | None = None,
    ) -> PushResult:
        """Create the dataset, or bring it in line with ``records`` (matched by ``key``)."""

    @abstractmethod
    def pull_dataset(self, name: str, version: int | None = None, project_name: str | None = None) -> PulledDataset:
        """A version (default: latest) with its records (input_data/expected_output/metadata)."""

    @abstractmethod
    def run_experiment(self, request: ExperimentRequest) -> ExperimentOutcome:
        """The task and evaluators over the records in ``record_keys`` of the pushed dataset."""


class LocalLLMObs(LLMObsResource):
    """Datasets as versioned JSON files under ``$DATASET_PLATFORM_HOME/datadog``; no experiments."""

    mode: ClassVar[str] = "local"
    enabled: ClassVar[bool] = False

    root: str | None = Field(default=None, description="Store folder; null = $DATASET_PLATFORM_HOME/datadog")

    def store(self) -> LocalDatasetStore:
        # The default is resolved per call: DATASET_PLATFORM_HOME is read at run time, not when the resource is built.
        return LocalDatasetStore(Path(self.root)) if self.root else LocalDatasetStore.at_home()

    def describe(self) -> str:
        return f"local store {self.store().root}"

    def push_dataset(
        self,
        name: str,
        description: str,
        records: Sequence[Mapping[str, Any]],
        key: RecordKey,
        project_name: str | None = None,
    ) -> PushResult:
        return self.store().push(name, description, records)

    def pull_dataset(self, name: str, version: int | None = None, project_name: str | None = None) -> PulledDataset:
        return self.store().pull(name, version)

    def run_experiment(self, request: ExperimentRequest) -> ExperimentOutcome:
        raise ExperimentsUnsupportedError(
            "experiments run in Datadog only when DD_API_KEY and DD_APP_KEY are set; "
            "without them experiments.runner scores locally"
        )


class DatadogLLMObs(LLMObsResource):
    """Datasets and experiments in Datadog LLM Observability, through ddtrace (agentless)."""

    mode: ClassVar[str] = "datadog"
    enabled: ClassVar[bool] = True

    api_key: str = Field(description="DD_API_KEY")
    app_key: str = Field(description="DD_APP_KEY")
    site: str = Field(default="datadoghq.com", description="DD_SITE")
    ml_app: str = Field(default="vote-extraction", description="LLMObs ml_app")
    project_name: str = Field(default="vote-extraction", description="LLMObs project holding datasets and experiments")

    def describe(self) -> str:
        return f"Datadog LLM Observability ({self.site})"

    @contextmanager
    def session(self, ml_app: str | None = None, project_name: str | None = None) -> Iterator[Any]:
        """``LLMObs`` enabled (agentless) for the block, flushed and disabled after it."""
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

    def push_dataset(
        self,
        name: str,
        description: str,
        records: Sequence[Mapping[str, Any]],
        key: RecordKey,
        project_name: str | None = None,
    ) -> PushResult:
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
                return _push_result(dataset, "created", inserted=len(records), updated=0, deleted=0)
            changes = sync_records(dataset, records, key)
            if changes.any:
                dataset.push()
            return _push_result(
                dataset,
                "updated" if changes.any else "unchanged",
                inserted=changes.inserted,
                updated=changes.updated,
                deleted=changes.deleted,
            )

    def pull_dataset(self, name: str, version: int | None = None, project_name: str | None = None) -> PulledDataset:
        project = project_name or self.project_name
        with self.session(project_name=project) as llmobs:
            dataset = llmobs.pull_dataset(dataset_name=name, project_name=project, version=version)
            return PulledDataset(dataset.version, [dict(r) for r in dataset])

    def run_experiment(self, request: ExperimentRequest) -> ExperimentOutcome:
        """``LLMObs.experiment(...).run(jobs, raise_errors)`` over exactly the records in ``record_keys``.

        The dataset is read from this resource's project (where ``datadog_dataset`` pushed it); the
        experiment is recorded in ``project_name``.
        """
        r = request
        project = r.project_name or self.project_name
        with self.session(ml_app=r.ml_app, project_name=project) as llmobs:
            dataset = llmobs.pull_dataset(
                dataset_name=r.dataset_name, project_name=self.project_name, version=r.dataset_version
            )
            keep_only(dataset, r.record_keys, r.key, r.dataset_name)
            experiment = llmobs.experiment(
                name=r.name,
                task=r.task,
                dataset=dataset,
                evaluators=list(r.evaluators),
                summary_evaluators=list(r.summary_evaluators),
                description=r.description,
                project_name=project,
                tags=dict(r.tags),
                config=dict(r.config),
            )
            result = experiment.run(jobs=r.jobs, raise_errors=r.raise_errors)
            rows = [
                ExperimentRow(
                    key=r.key(dataset[row["idx"]]),
                    output=row["output"],
                    evaluations={n: (e or {}).get("value") for n, e in (row.get("evaluations") or {}).items()},
                    error=(row.get("error") or {}).get("message"),
                )
                for row in result["rows"]
            ]
            summary = {n: (e or {}).get("value") for n, e in (result.get("summary_evaluations") or {}).items()}
            return ExperimentOutcome(
                experiment_id=ddtrace_id(experiment),
                url=experiment.url,
                dataset_version=dataset.version,
                rows=rows,
                summary=summary,
            )


def _push_result(dataset: Any, action: str, *, inserted: int, updated: int, deleted: int) -> PushResult:
    return PushResult(
        mode="datadog",
        action=action,
        dataset_id=ddtrace_id(dataset),
        version=dataset.latest_version,
        url=dataset.url,
        num_records=len(dataset),
        inserted=inserted,
        updated=updated,
        deleted=deleted,
    )


def ddtrace_id(obj: Any) -> str:
    """The id of a ddtrace ``Dataset`` or ``SyncExperiment``.

    ddtrace (4.16) has no public id attribute on either: the id only appears inside ``.url``, so this is
    the one place that reads the private ``_id`` (test_datadog checks it against the server's ids).
    """
    return str(obj._id)


def _ml_app_argument(enable: Callable[..., Any], ml_app: str) -> dict[str, Any]:
    """ddtrace ≥ 4.x renamed ``ml_app`` to ``agent_service`` (deprecated, not removed); use what this version takes."""
    name = "agent_service" if "agent_service" in inspect.signature(enable).parameters else "ml_app"
    return {name: ml_app}
