"""Weights & Biases: online when WANDB_API_KEY is set, else offline runs under DATASET_PLATFORM_HOME/wandb."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import dagster as dg
from pydantic import Field

from dataset_platform.common import settings


class WandbResource(dg.ConfigurableResource):
    api_key: Optional[str] = Field(default=None, description="WANDB_API_KEY; unset = offline mode.")
    project: str = Field(default="dataset-platform", description="WANDB_PROJECT_NAME")
    mode: Optional[str] = Field(default=None, description="WANDB_MODE: online | offline | disabled.")

    def effective_mode(self) -> str:
        if self.mode:
            return self.mode
        return "online" if self.api_key else "offline"

    @contextmanager
    def run(self, name: str, job_type: str, config: dict[str, Any], tags: Optional[list[str]] = None) -> Iterator[Any]:
        """A W&B run that is always finished, even when the block raises."""
        import wandb  # heavy: only when a run is actually logged

        directory = settings.wandb_dir()
        directory.mkdir(parents=True, exist_ok=True)
        if self.api_key:
            # wandb reads the key from its own env var; never passed as an argument that could be logged.
            os.environ.setdefault("WANDB_API_KEY", self.api_key)
        run = wandb.init(
            project=self.project,
            name=name,
            job_type=job_type,
            config=config,
            tags=tags,
            dir=str(directory),
            mode=self.effective_mode(),
            reinit="create_new",
            settings=wandb.Settings(silent=True, console="off", x_disable_stats=True),
        )
        try:
            yield run
        except BaseException:
            run.finish(exit_code=1)
            raise
        else:
            run.finish()
