"""Dataset hub: Hugging Face Hub when HF_TOKEN is set, else a local hub folder. (stub: retraining track)"""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field


class DatasetHub(dg.ConfigurableResource):
    hf_token: Optional[str] = Field(default=None, description="HF_TOKEN; unset = local hub")
    department_repo: str = Field(default="local/department-dataset", description="DEPARTMENT_DATASET")
    urgency_repo: str = Field(default="local/urgency-dataset", description="URGENCY_DATASET")
