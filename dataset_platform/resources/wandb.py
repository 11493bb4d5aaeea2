"""Weights & Biases: online when WANDB_API_KEY is set, else offline runs under DATASET_PLATFORM_HOME/wandb."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import dagster as dg
from pydantic import Field, PrivateAttr

from dataset_platform.common import settings

WandbMode = Literal["online", "offline", "disabled", "shared"]


class WandbUnavailable(RuntimeError):
    """W&B failed to start earlier in this process; not tried again."""


@dataclass(frozen=True)
class WandbArtifact:
    """A reference artifact (the data stays where ``uri`` points), logged with aliases ``tag`` and ``latest``."""

    name: str
    tag: str
    uri: str
    metadata: Mapping[str, Any]
    type: str = "dataset"


@dataclass(frozen=True)
class WandbOutcome:
    """What one logging attempt did; ``status`` is the metadata value ("logged (offline)", "failed: <type>")."""

    status: str
    run_id: str | None = None
    mode: str | None = None

    @property
    def logged(self) -> bool:
        return self.run_id is not None


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

    def log_run(
        self,
        logger: logging.Logger | logging.LoggerAdapter,
        name: str,
        job_type: str,
        config: Mapping[str, Any],
        tags: Sequence[str],
        *,
        metrics: Mapping[str, Any] | None = None,
        summary: Mapping[str, Any] | None = None,
        images: Mapping[str, Path] | None = None,
        tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]] | None = None,
        artifact: WandbArtifact | None = None,
    ) -> WandbOutcome:
        """The one way assets log to W&B: a finished run, or a warning on ``logger`` (pass ``context.log``).

        ``metrics`` (and ``images``, ``tables``: columns and rows) go to ``run.log``, ``summary`` to the run's
        summary. Never raises: W&B is reporting, not the product, so a failure is the outcome's status.
        """
        try:
            with self.run(name=name, job_type=job_type, config=dict(config), tags=list(tags)) as run:
                import wandb  # heavy: only when a run is actually logged

                data: dict[str, Any] = dict(metrics or {})
                data.update({key: wandb.Image(str(path)) for key, path in (images or {}).items()})
                for key, (columns, rows) in (tables or {}).items():
                    data[key] = wandb.Table(columns=list(columns), data=[list(row) for row in rows])
                if data:
                    run.log(data)
                if summary:
                    run.summary.update(dict(summary))
                if artifact:
                    logged = wandb.Artifact(artifact.name, type=artifact.type, metadata=dict(artifact.metadata))
                    logged.add_reference(artifact.uri, name=artifact.tag, checksum=False)
                    run.log_artifact(logged, aliases=[artifact.tag, "latest"])
                outcome = WandbOutcome(f"logged ({self.effective_mode()})", run_id=run.id, mode=self.effective_mode())
        except Exception as exc:
            message = str(exc).replace(self.api_key, "***") if self.api_key else str(exc)
            logger.warning("W&B logging of %s failed: %s: %s", name, type(exc).__name__, message)
            return WandbOutcome(f"failed: {type(exc).__name__}")
        return outcome
