"""Comparing the configs of one experiment run, and one run against the previous one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dataset_platform.experiments.runner import COMPLETED


def completed(configs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [c for c in configs if c["status"] == COMPLETED]


def best_config(configs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Highest overall_accuracy; ties go to the cheaper, then the faster (p50) config."""
    done = completed(configs)
    if not done:
        return None

    def rank(c: Mapping[str, Any]):
        s = c["summary"]
        return (-s.get("overall_accuracy", 0.0), s.get("estimated_cost_usd") or 0.0, s.get("latency_p50_s") or 0.0)

    return min(done, key=rank)


def primary_config(configs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The run's reference config for regression alerts: the first listed config that completed.

    With the default list that is the production model when Gemini is usable, else the offline baseline.
    """
    done = completed(configs)
    return done[0] if done else None


def failures(configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per-record failures (task errors) of every completed config, plus configs that failed or were unavailable."""
    rows: list[dict[str, Any]] = []
    for c in configs:
        if c["status"] != COMPLETED:
            rows.append({"config": c["config_name"], "id": "—", "status": c["status"], "error": c["reason"]})
            continue
        for r in c["records"]:
            if r.get("error"):
                rows.append({"config": c["config_name"], "id": r["id"], "status": "record failed", "error": r["error"]})
    return rows


@dataclass(frozen=True)
class Regression:
    """The regression check's verdict for one config; ``None`` fields are unknown (no previous run)."""

    regressed: bool
    overall_accuracy: float
    baseline: str | None = None
    previous_overall_accuracy: float | None = None
    previous_ci_low: float | None = None
    reason: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def regression(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> Regression:
    """Whether ``current``'s overall_accuracy fell below ``previous``'s 95% CI lower bound (same config)."""
    now = current["summary"]["overall_accuracy"]
    if previous is None:
        return Regression(regressed=False, overall_accuracy=now, reason="no previous run of this config")
    low = previous["summary"].get("overall_accuracy_ci_low", previous["summary"]["overall_accuracy"])
    return Regression(
        regressed=now < low,
        overall_accuracy=now,
        baseline=previous.get("run_at"),
        previous_overall_accuracy=previous["summary"]["overall_accuracy"],
        previous_ci_low=low,
    )
