"""Dagster run-config classes derived from the domain's pydantic types, so each field is declared once.

Dagster reads a run-config schema (shown and checked in the launchpad) from ``dg.Config`` classes; the domain
keeps its own plain pydantic types (``ModelConfig``, ``ExperimentPlan``) for the CLI and tests. Deriving the
former from the latter keeps names, defaults and descriptions in one place. The derived classes carry no
validators: the domain type validates when the asset converts, reporting every problem at once.
"""

from typing import Any

import dagster as dg
from pydantic import BaseModel, Field, ValidationError, create_model

from dataset_platform.experiments import config as experiment_config
from dataset_platform.forms.model_config import ModelConfig


def derived_config(domain_type: type[BaseModel], class_name: str, /, **overrides: Any) -> type[dg.Config]:
    """A ``dg.Config`` with ``domain_type``'s fields; ``overrides`` (``(type, Field)``) replace or add some."""
    fields: dict[str, Any] = {n: (f.annotation, f) for n, f in domain_type.model_fields.items()}
    fields.update(overrides)
    return create_model(class_name, __base__=dg.Config, __doc__=domain_type.__doc__, **fields)


class ModelRunConfig(derived_config(ModelConfig, "ModelFields")):  # type: ignore[misc]  # a derived base
    def to_model_config(self) -> ModelConfig:
        return ModelConfig.model_validate(self.model_dump())


_ExtractionFields = derived_config(
    ModelConfig,
    "ExtractionFields",
    model=(str | None, Field(default=None, description="As in ModelConfig; unset = the models resource's default")),
    max_concurrency=(int | None, Field(default=None, ge=1, description="Form sets at once; unset = resource")),
)


class ExtractionConfig(_ExtractionFields):  # type: ignore[misc,valid-type]  # a derived base
    """Run config of ``llm_extractions``: one model config (its model may be left to the resource) and a pool size."""

    def to_model_config(self, default_model: str) -> ModelConfig:
        """The model config to run; a ``dg.Failure`` (not retried) naming the problem when it is invalid."""
        values = {**self.model_dump(exclude={"max_concurrency"}), "model": self.model or default_model}
        try:
            return ModelConfig.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            raise dg.Failure(description=f"invalid model config: {problems}", allow_retries=False) from None


_ExperimentFields = derived_config(
    experiment_config.ExperimentPlan,
    "ExperimentFields",
    model_configs=(
        list[ModelRunConfig],
        Field(
            default_factory=lambda: [ModelRunConfig(**c) for c in experiment_config.DEFAULT_MODEL_CONFIGS],
            description="One experiment per model config",
        ),
    ),
)


class ExperimentConfig(_ExperimentFields):  # type: ignore[misc,valid-type]  # a derived base
    """Run config of ``experiment_results``: an ``ExperimentPlan``."""

    def to_plan(self) -> experiment_config.ExperimentPlan:
        """Validated plan; a clear ``dg.Failure`` listing every problem otherwise."""
        try:
            return experiment_config.validate_plan(self.model_dump())
        except experiment_config.ExperimentConfigError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
