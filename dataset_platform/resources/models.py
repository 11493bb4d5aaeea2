"""Extraction models: Gemini through google-genai, or the offline Tesseract baseline. (stub: forms track)"""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field


class ExtractionModels(dg.ConfigurableResource):
    gemini_api_key: Optional[str] = Field(default=None, description="GEMINI_API_KEY / GOOGLE_API_KEY")
    gemini_base_url: Optional[str] = Field(default=None, description="GEMINI_BASE_URL")
