"""Comparing the configs of one experiment run, and one run against the previous one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dataset_platform.experiments.results import ConfigResult, ExperimentRun


def completed(configs: Sequence[ConfigResult]) -> list[ConfigResult]:
    return [c for c in configs if c.completed]


def best_config(configs: Sequence[ConfigResult]) -> ConfigResult | None:
    """Highest overall_accuracy; ties go to the cheaper, then the faster (p50) config."""
    done = completed(configs)
    if not done:
        return None

    def rank(c: ConfigResult):
        s = c.summary
        return (-s.get("overall_accuracy", 0.0), s.get("estimated_cost_usd") or 0.0, s.get("latency_p50_s") or 0.0)

    return min(done, key=rank)


def primary_config(configs: Sequence[ConfigResult]) -> ConfigResult | None:
    """The run's reference config for regression alerts: the first listed config that completed.

    With the default list that is the production model when Gemini is usable, else the offline baseline.
    """
    done = completed(configs)
    return done[0] if done else None


@dataclass(frozen=True)
class Failure:
    """A failed record of a completed config (``record_id`` set), or a whole config that did not complete."""

    config_name: str
    record_id: str | None
    status: str
    error: str | None


def failures(configs: Sequence[ConfigResult]) -> list[Failure]:
    """Per-record failures (task errors) of every completed config, plus configs that failed or were unavailable."""
    rows: list[Failure] = []
    for c in configs:
        if not c.completed:
            rows.append(Failure(c.config_name, None, c.status, c.reason))
            continue
        rows += [Failure(c.config_name, str(r["id"]), "record failed", r["error"]) for r in c.records if r.get("error")]
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


def regression(current: ConfigResult, previous: tuple[ExperimentRun, ConfigResult] | None) -> Regression:
    """Whether ``current``'s overall_accuracy fell below the previous run's 95% CI lower bound (same config)."""
    now = current.summary["overall_accuracy"]
    if previous is None:
        return Regression(regressed=False, overall_accuracy=now, reason="no previous run of this config")
    run, before = previous
    low = before.summary.get("overall_accuracy_ci_low", before.summary["overall_accuracy"])
    return Regression(
        regressed=now < low,
        overall_accuracy=now,
        baseline=run.run_at,
        previous_overall_accuracy=before.summary["overall_accuracy"],
        previous_ci_low=low,
    )
