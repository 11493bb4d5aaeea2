"""What an experiment run produces: one ``ConfigResult`` per model config, gathered in an ``ExperimentRun``.

The runner builds them; summary, report, plot, W&B tracking, the history and the assets read them.
``to_dict``/``from_dict`` are the stored JSON shape (``results.json`` and the ``history.jsonl`` lines),
unchanged from the files earlier runs wrote, so old history stays readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dataset_platform.forms.model_config import ModelConfig

COMPLETED, UNAVAILABLE, FAILED = "completed", "unavailable", "failed"


@dataclass(frozen=True)
class ConfigResult:
    """One model config's experiment: status, summary metrics and per-record score rows."""

    config: ModelConfig
    experiment_name: str
    status: str = COMPLETED
    reason: str | None = None
    mode: str = "local"  # where it was scored: "local" or "datadog"
    experiment_id: str | None = None
    experiment_url: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    # one row per record: id, each evaluator's score, error, tokens, latency, cost, cache hit (a table row)
    records: list[dict[str, Any]] = field(default_factory=list)
    wandb: str | None = None  # W&B status: "logged (<mode>)" or "failed: <error type>"
    wandb_run_id: str | None = None
    wandb_mode: str | None = None
    # as stored; a run written under an older naming rule keeps its name
    stored_name: str | None = None

    @property
    def config_name(self) -> str:
        return self.stored_name or self.config.name

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    def with_changes(self, **changes: Any) -> ConfigResult:
        return replace(self, **changes)

    def to_dict(self, records: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "config_name": self.config_name,
            "experiment_name": self.experiment_name,
            **self.config.model_dump(),
            "status": self.status,
            "reason": self.reason,
            "mode": self.mode,
            "experiment_id": self.experiment_id,
            "experiment_url": self.experiment_url,
            "summary": self.summary,
        }
        if records:
            data["records"] = self.records
        for name in ("wandb", "wandb_run_id", "wandb_mode"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConfigResult:
        config = ModelConfig.model_validate({k: data[k] for k in ModelConfig.model_fields if k in data})
        known = {f.name for f in fields(cls)} - {"config", "stored_name"}
        values = {k: v for k, v in data.items() if k in known}
        stored = data.get("config_name")
        return cls(config=config, stored_name=stored if stored != config.name else None, **values)


@dataclass(frozen=True)
class ExperimentRun:
    """Every config of one experiment run over one ground-truth version and record sample."""

    run_at: str
    run_id: str | None
    dataset_name: str
    dataset_version: str
    num_records: int
    configs: list[ConfigResult]
    datadog_dataset_version: int | None = None
    num_scorable: int | None = None
    record_ids: list[str] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)
    results_path: str | None = None  # set on history lines: where the full results are

    def to_dict(self, records: bool = True) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("configs", "results_path")}
        data["configs"] = [c.to_dict(records=records) for c in self.configs]
        if self.results_path is not None:
            data["results_path"] = self.results_path
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentRun:
        known = {f.name for f in fields(cls)} - {"configs"}
        values = {k: v for k, v in data.items() if k in known}
        return cls(configs=[ConfigResult.from_dict(c) for c in data.get("configs") or []], **values)
