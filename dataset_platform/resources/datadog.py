"""Datadog LLM Observability through ddtrace, or a local store. (stub: experiments track)"""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field


class DatadogLLMObs(dg.ConfigurableResource):
    api_key: Optional[str] = Field(default=None, description="DD_API_KEY")
    app_key: Optional[str] = Field(default=None, description="DD_APP_KEY")
    site: str = Field(default="datadoghq.com", description="DD_SITE")
    ml_app: str = Field(default="vote-extraction", description="LLMObs ml_app")
