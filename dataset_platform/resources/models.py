"""Extraction models: Gemini through google-genai, OpenAI-compatible servers, the offline readers.

``gemini-*`` models need ``GEMINI_API_KEY`` (or Vertex AI configured through the SDK's own variables);
``openai/<served-name>`` needs ``OPENAI_BASE_URL`` (and ``OPENAI_API_KEY`` when the server checks one);
``offline`` (rapidocr's bundled models + Tesseract) and ``tesseract`` run on CPU without a key. Heavy
imports happen inside the methods.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from dataset_platform.forms.model_api import RetryPolicy
from dataset_platform.forms.model_config import (
    DEFAULT_GEMINI_MODEL,
    OFFLINE,
    TESSERACT,
    ModelConfig,
    model_kind,
    unknown_model_message,
)

if TYPE_CHECKING:
    from dataset_platform.forms.runner import ExtractionRecord, ProgressCallback
_RETRY = RetryPolicy()  # the field defaults below; the policy is documented on RetryPolicy


class ExtractionModels(dg.ConfigurableResource):
    gemini_api_key: str | None = Field(default=None, description="GEMINI_API_KEY / GOOGLE_API_KEY")
    gemini_base_url: str | None = Field(default=None, description="GEMINI_BASE_URL (gateway, proxy, test server)")
    openai_base_url: str | None = Field(
        default=None, description="OPENAI_BASE_URL of an OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp)"
    )
    openai_api_key: str | None = Field(default=None, description="OPENAI_API_KEY (any string for local servers)")
    openai_prices_per_million: dict[str, list[float]] = Field(
        default_factory=dict,
        description="USD per million [input, output] tokens by served-name prefix; unset = self-hosted, cost 0",
    )
    requests_per_minute: float | None = Field(
        default=1000, description="Model requests started per minute across this run's threads; None = unlimited"
    )
    max_concurrency: int = Field(default=8, ge=1, description="Form sets extracted at once within one run")
    timeout_s: float = Field(default=_RETRY.timeout_s, gt=0, description="Per-request timeout (seconds)")
    retry_attempts: int = Field(
        default=_RETRY.attempts, ge=1, description="Attempts per request on 408/429/5xx/timeouts, incl. the first"
    )
    retry_initial_delay_s: float = Field(
        default=_RETRY.initial_delay_s, ge=0, description="First backoff delay; doubles each retry"
    )
    retry_max_delay_s: float = Field(default=_RETRY.max_delay_s, ge=0, description="Longest backoff delay")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.retry_attempts,
            initial_delay_s=self.retry_initial_delay_s,
            max_delay_s=self.retry_max_delay_s,
            timeout_s=self.timeout_s,
        )

    def gemini_usable(self) -> bool:
        from dataset_platform.forms.gemini import vertex_configured

        return bool(self.gemini_api_key) or vertex_configured()

    def default_model(self) -> str:
        """Gemini when it can be called, else the offline handwriting reader."""
        return DEFAULT_GEMINI_MODEL if self.gemini_usable() else OFFLINE

    def availability(self, model: str) -> str | None:
        """None when ``model`` can run here, else why not."""
        kind = model_kind(model)
        if kind == TESSERACT:
            installed = shutil.which("tesseract")
            return None if installed else "tesseract binary not installed (apt install tesseract-ocr tesseract-ocr-tha)"
        if kind == "gemini":
            return None if self.gemini_usable() else "GEMINI_API_KEY not set (and Vertex AI not configured)"
        if kind == OFFLINE:
            from dataset_platform.forms.offline.reader import availability

            return availability()
        if kind == "openai":
            return None if self.openai_base_url else "OPENAI_BASE_URL not set"
        return unknown_model_message(model)

    def extract(
        self,
        form_set_dirs: list[Path],
        config: ModelConfig,
        *,
        max_concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[ExtractionRecord]:
        """One record per folder (cached, retried); an unavailable model yields failed records, never raises."""
        from dataset_platform.forms.gemini import GeminiOptions
        from dataset_platform.forms.openai_compat import OpenAIOptions
        from dataset_platform.forms.runner import extract_form_sets, failed_records

        reason = self.availability(config.model)
        if reason is not None:
            return failed_records(form_set_dirs, config, f"model unavailable: {reason}", on_progress)
        return extract_form_sets(
            form_set_dirs,
            config,
            gemini_options=GeminiOptions(
                api_key=self.gemini_api_key, base_url=self.gemini_base_url, retry=self.retry_policy()
            ),
            openai_options=OpenAIOptions(
                base_url=self.openai_base_url,
                api_key=self.openai_api_key,
                retry=self.retry_policy(),
                prices_per_million={k: (float(v[0]), float(v[1])) for k, v in self.openai_prices_per_million.items()},
            ),
            max_concurrency=max_concurrency or self.max_concurrency,
            requests_per_minute=self.requests_per_minute,
            on_progress=on_progress,
        )
