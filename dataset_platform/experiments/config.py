"""What an experiment run is asked to do, its validation, and the preset model-config lists.

Plain pydantic (no Dagster): the Dagster run config of ``experiment_results`` is derived from
``ExperimentPlan``'s fields (``defs/run_config.py``), so the CLI, tests and the asset share one validation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from dataset_platform.forms.model_config import (
    DEFAULT_GEMINI_MODEL,
    OFFLINE,
    TESSERACT,
    ModelConfig,
    unknown_model_message,
)

DEFAULT_PROJECT = "vote-extraction"
DEFAULT_ML_APP = "vote-extraction"
DEFAULT_SEED = 42


class ExperimentConfigError(ValueError):
    """The run config asks for something impossible; the message lists every problem."""


class ExperimentPlan(BaseModel):
    model_configs: list[ModelConfig] = Field(description="One experiment per model config")
    sample_size: int | None = Field(default=None, description="Records to sample (seeded); null = all")
    jobs: int = Field(default=4, description="Concurrent extractions/evaluations")
    raise_errors: bool = Field(default=False, description="Fail the run on the first failed record or config")
    dataset_version: str | None = Field(
        default=None, description="Ground-truth version tag vYYYYMMDD_HHMMSS; null = latest"
    )
    project_name: str = Field(default=DEFAULT_PROJECT, description="Datadog LLMObs project")
    ml_app: str = Field(default=DEFAULT_ML_APP, description="Datadog LLMObs ml_app")
    seed: int = Field(default=DEFAULT_SEED, description="Seed of the record sample and the bootstrap")
    experiment_name: str = Field(default="vote-extraction", description="Prefix of each experiment's name")


def _messages(exc: ValidationError, where: str = "") -> list[str]:
    """``path: message`` per pydantic error; a model-level check (empty loc) is reported at ``where``."""
    lines = []
    for error in exc.errors():
        path = ".".join(p for p in (where, ".".join(str(x) for x in error["loc"])) if p)
        lines.append(f"{path}: {error['msg'].removeprefix('Value error, ')}")
    return lines


def validate_plan(values: dict[str, Any]) -> ExperimentPlan:
    """An ``ExperimentPlan`` from plain values, or ``ExperimentConfigError`` naming every problem."""
    problems: list[str] = []
    configs: list[ModelConfig] = []
    raw_configs = values.get("model_configs") or []
    listed = isinstance(raw_configs, list)
    for i, raw in enumerate(raw_configs if listed else []):
        where = f"model_configs[{i}]"
        try:
            config = ModelConfig.model_validate(raw)
        except ValidationError as exc:
            problems += _messages(exc, where)
            continue
        if config.kind is None:
            problems.append(f"{where}: {unknown_model_message(config.model)}")
        configs.append(config)
    try:
        plan = ExperimentPlan.model_validate({**values, "model_configs": configs if listed else raw_configs})
    except ValidationError as exc:
        problems += _messages(exc)
        plan = None
    if not raw_configs:
        problems.append("model_configs: at least one model config is required")
    names = [c.name for c in configs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"model_configs: duplicate config names {duplicates} (use name_suffix to tell them apart)")
    if plan is not None and plan.jobs < 1:
        problems.append(f"jobs: {plan.jobs} must be at least 1")
    if plan is not None and plan.sample_size is not None and plan.sample_size < 1:
        problems.append(f"sample_size: {plan.sample_size} must be at least 1 (or null for all records)")
    if problems or plan is None:
        raise ExperimentConfigError("invalid experiment config:\n  " + "\n  ".join(problems))
    return plan


def _spec(model: str, temperature: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"model": model, "temperature": temperature, **extra}


# The weekly schedule's list: the production model, its cheaper sibling, the offline handwriting reader and
# the printed-form Tesseract baseline.
DEFAULT_MODEL_CONFIGS: list[dict[str, Any]] = [
    _spec(DEFAULT_GEMINI_MODEL),
    _spec("gemini-2.5-flash-lite"),
    _spec(OFFLINE),
    _spec(TESSERACT),
]

PRESETS: dict[str, dict[str, Any]] = {
    "experiment_quick_test": {
        "description": "Smoke test: the default model on 2 sampled records.",
        "config": {"model_configs": [_spec(DEFAULT_GEMINI_MODEL)], "sample_size": 2, "jobs": 2},
    },
    "experiment_temperature_sweep": {
        "description": "The default model at temperature 0.0, 0.5 and 1.0.",
        "config": {"model_configs": [_spec(DEFAULT_GEMINI_MODEL, t) for t in (0.0, 0.5, 1.0)]},
    },
    "experiment_cost_optimization": {
        "description": (
            "Accuracy against cost: gemini-2.5-flash vs gemini-2.5-flash-lite vs the free tesseract baseline."
        ),
        "config": {"model_configs": [_spec(DEFAULT_GEMINI_MODEL), _spec("gemini-2.5-flash-lite"), _spec(TESSERACT)]},
    },
}
