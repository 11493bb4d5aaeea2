"""Weights & Biases: online when WANDB_API_KEY is set, else offline runs under DATASET_PLATFORM_HOME/wandb."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, cast

import dagster as dg
from pydantic import Field, PrivateAttr

from dataset_platform.common import settings

WandbMode = Literal["online", "offline", "disabled", "shared"]


class WandbUnavailable(RuntimeError):
    """W&B failed to start earlier in this process; not tried again."""


class WandbResource(dg.ConfigurableResource):
    api_key: str | None = Field(default=None, description="WANDB_API_KEY; unset = offline mode.")
    project: str = Field(default="dataset-platform", description="WANDB_PROJECT_NAME")
    mode: str | None = Field(default=None, description="WANDB_MODE: online | offline | disabled.")
    init_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="Give up on an unreachable W&B server after this long (wandb's own default: 90 s).",
    )

    # W&B is reporting, not the product: after one failed start, later runs of this process skip it at once.
    _unavailable: str | None = PrivateAttr(default=None)

    def effective_mode(self) -> WandbMode:
        if self.mode:
            return cast(WandbMode, self.mode)  # WANDB_MODE as configured; wandb.init rejects an unknown one
        return "online" if self.api_key else "offline"

    @contextmanager
    def run(self, name: str, job_type: str, config: dict[str, Any], tags: list[str] | None = None) -> Iterator[Any]:
        """A W&B run that is always finished, even when the block raises."""
        import wandb  # heavy: only when a run is actually logged

        directory = settings.wandb_dir()
        directory.mkdir(parents=True, exist_ok=True)
        if self.api_key:
            # wandb reads the key from its own env var; never passed as an argument that could be logged.
            os.environ.setdefault("WANDB_API_KEY", self.api_key)
        if self._unavailable:
            raise WandbUnavailable(f"W&B skipped: {self._unavailable} earlier in this process")
        try:
            run = wandb.init(
                project=self.project,
                name=name,
                job_type=job_type,
                config=config,
                tags=tags,
                dir=str(directory),
                mode=self.effective_mode(),
                reinit="create_new",
                settings=wandb.Settings(
                    silent=True, console="off", x_disable_stats=True, init_timeout=self.init_timeout_s
                ),
            )
        except Exception as exc:
            self._unavailable = type(exc).__name__
            raise
        try:
            yield run
        except BaseException:
            run.finish(exit_code=1)
            raise
        else:
            run.finish()
