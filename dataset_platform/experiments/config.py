"""What an experiment run is asked to do, its validation, and the preset model-config lists.

Plain pydantic (no Dagster): the Dagster run config (``defs/experiments/assets.py``) mirrors these
fields and converts to an ``ExperimentPlan``, so the CLI, tests and the asset share one validation.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

TESSERACT = "tesseract"
OFFLINE = "offline"
_OPENAI_NAME = re.compile(r"openai/\S+")
DEFAULT_MODEL = "gemini-2.5-flash"
_GEMINI_NAME = re.compile(r"gemini-[0-9a-z][0-9a-z.\-]*")
DEFAULT_PROJECT = "vote-extraction"
DEFAULT_ML_APP = "vote-extraction"
DEFAULT_SEED = 42


class ExperimentConfigError(ValueError):
    """The run config asks for something impossible; the message lists every problem."""


class ModelSpec(BaseModel):
    """One model config of an experiment (the contract's ``ModelConfig`` fields)."""

    model: str = Field(
        description="gemini-* model name, openai/<served-name>, 'offline', or 'tesseract' (printed-form OCR baseline)"
    )
    temperature: float = Field(default=0.0, description="sampling temperature, 0..2")
    thinking_budget: int | None = Field(default=None, description="Gemini thinking tokens; None = model default")
    name_suffix: str | None = Field(default=None, description="appended to the config name")
    metadata: dict[str, Any] = Field(default_factory=dict, description="free-form, recorded with the results")


class ExperimentPlan(BaseModel):
    model_configs: list[ModelSpec]
    sample_size: int | None = None
    jobs: int = 4
    raise_errors: bool = False
    dataset_version: str | None = None
    project_name: str = DEFAULT_PROJECT
    ml_app: str = DEFAULT_ML_APP
    seed: int = DEFAULT_SEED
    experiment_name: str = "vote-extraction"


def model_problems(spec: ModelSpec, where: str) -> list[str]:
    problems = []
    if spec.model not in (TESSERACT, OFFLINE) and not (
        _GEMINI_NAME.fullmatch(spec.model) or _OPENAI_NAME.fullmatch(spec.model)
    ):
        problems.append(
            f"{where}: unknown model {spec.model!r} (expected 'offline', 'tesseract', a 'gemini-*' model name "
            "or 'openai/<served-name>')"
        )
    if not 0.0 <= spec.temperature <= 2.0:
        problems.append(f"{where}: temperature {spec.temperature} is outside [0, 2]")
    if spec.thinking_budget is not None and spec.thinking_budget < -1:
        problems.append(f"{where}: thinking_budget {spec.thinking_budget} must be -1 (dynamic), 0 (off) or positive")
    return problems


def validate_plan(values: dict[str, Any]) -> ExperimentPlan:
    """An ``ExperimentPlan`` from plain values, or ``ExperimentConfigError`` naming every problem."""
    from pydantic import ValidationError

    try:
        plan = ExperimentPlan.model_validate(values)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ExperimentConfigError("invalid experiment config:\n  " + "\n  ".join(lines)) from None
    problems: list[str] = []
    if not plan.model_configs:
        problems.append("model_configs: at least one model config is required")
    for i, spec in enumerate(plan.model_configs):
        problems += model_problems(spec, f"model_configs[{i}]")
    names = [model_config_name(s) for s in plan.model_configs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"model_configs: duplicate config names {duplicates} (use name_suffix to tell them apart)")
    if plan.jobs < 1:
        problems.append(f"jobs: {plan.jobs} must be at least 1")
    if plan.sample_size is not None and plan.sample_size < 1:
        problems.append(f"sample_size: {plan.sample_size} must be at least 1 (or null for all records)")
    if problems:
        raise ExperimentConfigError("invalid experiment config:\n  " + "\n  ".join(problems))
    return plan


def model_config_name(spec: ModelSpec) -> str:
    """Same naming as forms.runner.ModelConfig.name (kept here so validation needs no model code)."""
    name = f"{spec.model}-t{float(spec.temperature)}"
    if spec.thinking_budget is not None:
        name += f"-think{spec.thinking_budget}"
    return f"{name}-{spec.name_suffix}" if spec.name_suffix else name


def _spec(model: str, temperature: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"model": model, "temperature": temperature, **extra}


# The weekly schedule's list: the production model, its cheaper sibling, the offline handwriting reader and
# the printed-form Tesseract baseline.
DEFAULT_MODEL_CONFIGS: list[dict[str, Any]] = [
    _spec(DEFAULT_MODEL),
    _spec("gemini-2.5-flash-lite"),
    _spec(OFFLINE),
    _spec(TESSERACT),
]

PRESETS: dict[str, dict[str, Any]] = {
    "experiment_quick_test": {
        "description": "Smoke test: the default model on 2 sampled records.",
        "config": {"model_configs": [_spec(DEFAULT_MODEL)], "sample_size": 2, "jobs": 2},
    },
    "experiment_temperature_sweep": {
        "description": "The default model at temperature 0.0, 0.5 and 1.0.",
        "config": {"model_configs": [_spec(DEFAULT_MODEL, t) for t in (0.0, 0.5, 1.0)]},
    },
    "experiment_cost_optimization": {
        "description": (
            "Accuracy against cost: gemini-2.5-flash vs gemini-2.5-flash-lite vs the free tesseract baseline."
        ),
        "config": {"model_configs": [_spec(DEFAULT_MODEL), _spec("gemini-2.5-flash-lite"), _spec(TESSERACT)]},
    },
}
