"""Dataset hub: Hugging Face Hub when HF_TOKEN is set, else a local hub under DATASET_PLATFORM_HOME/hub."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from dataset_platform.common import settings


class DatasetHub(dg.ConfigurableResource):
    hf_token: str | None = Field(default=None, description="HF_TOKEN; unset = local hub")
    department_repo: str = Field(default="local/department-dataset", description="DEPARTMENT_DATASET")
    urgency_repo: str = Field(default="local/urgency-dataset", description="URGENCY_DATASET")
    private: bool = Field(default=True, description="Create missing Hub repos as private.")
    endpoint: str | None = Field(default=None, description="HF_ENDPOINT; unset = https://huggingface.co")
    drift_timeout_s: float = Field(
        default=20.0, gt=0, description="How long quality_reports waits for the latest version (label drift)."
    )

    # Built on first use so importing the code location never imports huggingface_hub.
    _api: Any = PrivateAttr(default=None)

    def repo_id(self, label: str) -> str:
        repos = {"department": self.department_repo, "urgency": self.urgency_repo}
        if label not in repos:
            raise ValueError(f"no dataset repo for label {label!r}")
        return repos[label]

    @property
    def is_remote(self) -> bool:
        return bool(self.hf_token)

    def describe(self) -> str:
        return "huggingface-hub" if self.is_remote else f"local hub {settings.hub_dir()}"

    def api(self) -> Any:
        if self._api is None:
            from huggingface_hub import HfApi

            endpoint: dict[str, Any] = {"endpoint": self.endpoint} if self.endpoint else {}
            self._api = HfApi(token=self.hf_token, **endpoint)
        return self._api

    def publisher(self, label: str, repo_id: str | None = None):
        """The publisher of a label's repo (or of any ``repo_id``, e.g. a base dataset)."""
        from dataset_platform.retraining.publishing import HubPublisher, LocalHub

        repo_id = repo_id or self.repo_id(label)
        if self.is_remote:
            return HubPublisher(self.api(), repo_id, private=self.private)
        return LocalHub(settings.hub_dir(), repo_id)

    def read_version(self, repo_id: str, tag: str | None = None):
        """Splits (dict of DataFrames) of a published version of ``repo_id``; no tag = the latest."""
        return self.publisher("", repo_id).read_version(tag)

    def latest_metadata(self, label: str) -> dict | None:
        """dataset_metadata.json of the latest published version (None before the first)."""
        return self.publisher(label).latest_metadata()

    def latest_metadata_for_drift(self, label: str) -> tuple[dict | None, str | None]:
        """(latest metadata, None), or (None, warning) when the Hub does not answer within ``drift_timeout_s``.

        Drift is one finding of the quality report: a Hub outage skips it instead of failing the report.
        """
        from dataset_platform.common.deadline import within

        try:
            return within(self.drift_timeout_s, self.latest_metadata, label), None
        except Exception as exc:  # any SDK or network error: the report is still written, without drift
            kind = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            return None, f"{self.describe()} unreachable ({kind}): label drift not checked"

    def version_dir(self, label: str, tag: str) -> Path:
        """A folder holding ``data/{split}-*.parquet`` of a published version (downloaded from the Hub if remote)."""
        if not self.is_remote:
            return self.publisher(label).version_dir(tag)
        local = self.api().snapshot_download(
            repo_id=self.repo_id(label), repo_type="dataset", revision=tag, allow_patterns=["data/*"]
        )
        return Path(local)

    def publish(
        self,
        label: str,
        splits_dir: Path,
        *,
        run_id: str | None = None,
        code_version: str | None = None,
        now: dt.datetime | None = None,
        extra_metadata: dict | None = None,
    ):
        """Publish gated splits as a new immutable version, or report unchanged (PublishResult)."""
        from dataset_platform.retraining.publishing import LocalHub, publish_version

        publisher = self.publisher(label)
        guard = publisher.lock() if isinstance(publisher, LocalHub) else nullcontext()
        with guard:
            return publish_version(
                publisher,
                label=label,
                splits_dir=splits_dir,
                run_id=run_id,
                code_version=code_version,
                now=now,
                extra_metadata=extra_metadata,
            )
