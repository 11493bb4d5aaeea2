"""Resource wiring: each external service's real client when its variables are set, else its embedded default.

Values come from the environment through ``dg.EnvVar`` so they are resolved at launch, never shown in
the UI's resource config and never written into run config.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from dataset_platform.platform.status import datadog_configured
from dataset_platform.resources.datadog import DatadogLLMObs, LLMObsResource, LocalLLMObs
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource


def _env(*names: str) -> dg.EnvVar | None:
    """EnvVar of the first variable that is set (the value itself is not read here)."""
    return next((dg.EnvVar(n) for n in names if os.environ.get(n)), None)


def _set(**fields: Any) -> dict[str, Any]:
    """Only the fields whose variable is set, so unset ones keep the resource's embedded default."""
    return {k: v for k, v in fields.items() if v is not None}


def _datadog() -> LLMObsResource:
    """Datadog LLM Observability when both keys are set, else the local dataset store (one key alone is not enough)."""
    if datadog_configured():
        keys = {"api_key": dg.EnvVar("DD_API_KEY"), "app_key": dg.EnvVar("DD_APP_KEY")}
        return DatadogLLMObs(**keys, **_set(site=_env("DD_SITE")))
    return LocalLLMObs()


def build_resources() -> dict[str, Any]:
    return {
        "review_db": ReviewDatabase(**_set(url=_env("POSTGRES_URL"))),
        "models": ExtractionModels(
            **_set(
                gemini_api_key=_env("GEMINI_API_KEY", "GOOGLE_API_KEY"),
                gemini_base_url=_env("GEMINI_BASE_URL"),
                openai_base_url=_env("OPENAI_BASE_URL"),
                openai_api_key=_env("OPENAI_API_KEY"),
            )
        ),
        "hub": DatasetHub(
            **_set(
                hf_token=_env("HF_TOKEN"),
                department_repo=_env("DEPARTMENT_DATASET"),
                urgency_repo=_env("URGENCY_DATASET"),
                endpoint=_env("HF_ENDPOINT"),
            )
        ),
        "datadog": _datadog(),
        "wandb": WandbResource(
            **_set(api_key=_env("WANDB_API_KEY"), project=_env("WANDB_PROJECT_NAME"), mode=_env("WANDB_MODE"))
        ),
    }
