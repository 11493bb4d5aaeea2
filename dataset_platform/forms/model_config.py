"""The one model-config type: which model reads the forms, with which settings, under which name.

Plain pydantic (no Dagster). The extraction runner, the experiment plan, the CLI and the Dagster run config
(derived from these fields in ``defs/run_config.py``) all use ``ModelConfig``; the model names, their kinds
and the config-name rule are defined here only.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

ModelKind = Literal["gemini", "openai", "offline", "tesseract"]

# The default without a model key: reads handwritten forms on CPU (see forms/offline/).
OFFLINE = "offline"
# Printed-form OCR baseline (Tesseract); cannot read handwriting, kept to measure against.
TESSERACT = "tesseract"
# ``openai/<served-name>``: any OpenAI-compatible chat endpoint at OPENAI_BASE_URL.
OPENAI_PREFIX = "openai/"
# The production model when Gemini can be called.
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"

_GEMINI_NAME = re.compile(r"gemini-[0-9a-z][0-9a-z.\-]*")
_OPENAI_NAME = re.compile(re.escape(OPENAI_PREFIX) + r"\S+")
UNKNOWN_MODEL_HINT = "use offline, tesseract, gemini-* or openai/<name>"


def model_kind(model: str) -> ModelKind | None:
    """What reads the forms for ``model``; None for a name no reader answers to."""
    if model in (OFFLINE, TESSERACT):
        return model  # type: ignore[return-value]  # the two literals are their own kind
    if _GEMINI_NAME.fullmatch(model):
        return "gemini"
    if _OPENAI_NAME.fullmatch(model):
        return "openai"
    return None


def unknown_model_message(model: str) -> str:
    return f"unknown model {model!r}: {UNKNOWN_MODEL_HINT}"


class ModelConfig(BaseModel):
    """One model config: the model and what changes its answer. Its ``name`` tells configs apart in results."""

    model: str = Field(description="gemini-* model name, openai/<served-name>, 'offline' or 'tesseract'")
    temperature: float = Field(default=0.0, description="sampling temperature 0..2 (Gemini and OpenAI)")
    thinking_budget: int | None = Field(
        default=None, description="Gemini thinking tokens: -1 dynamic, 0 off, >0 a budget; null = model default"
    )
    name_suffix: str | None = Field(default=None, description="appended to the config name, to tell variants apart")
    metadata: dict[str, Any] = Field(default_factory=dict, description="free-form, recorded with the results")

    @model_validator(mode="after")
    def _settings_in_range(self) -> ModelConfig:
        problems = []
        if not 0.0 <= self.temperature <= 2.0:
            problems.append(f"temperature {self.temperature} is outside [0, 2]")
        if self.thinking_budget is not None and self.thinking_budget < -1:
            problems.append(f"thinking_budget {self.thinking_budget} must be -1 (dynamic), 0 (off) or positive")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def kind(self) -> ModelKind | None:
        return model_kind(self.model)

    @property
    def name(self) -> str:
        name = f"{self.model}-t{float(self.temperature)}"
        if self.thinking_budget is not None:
            name += f"-think{self.thinking_budget}"
        return f"{name}-{self.name_suffix}" if self.name_suffix else name

    def generation_config(self) -> dict[str, Any]:
        """What changes the model's answer, besides model, prompt and pages (part of the cache key)."""
        if self.kind == "gemini":
            return {"temperature": self.temperature, "thinking_budget": self.thinking_budget}
        if self.kind == "openai":
            return {"temperature": self.temperature}
        return {}
