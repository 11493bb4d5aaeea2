"""Markdown for the materialisation: configs × summary metrics, the best config, failures, the trend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dataset_platform.common import markdown
from dataset_platform.experiments.results import ConfigResult, ExperimentRun
from dataset_platform.experiments.summary import best_config, failures


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


COMPARISON_HEADER = [
    "config",
    "status",
    "overall accuracy (95% CI)",
    "success",
    "ballot acc.",
    "exact match",
    "consistency",
    "tokens",
    "cost (USD)",
    "p50 / p95 latency (s)",
    "where",
]


def _comparison_row(c: ConfigResult) -> list[Any]:
    if not c.completed:
        return [c.config_name, f"**{c.status}**", *["—"] * 8, c.reason]
    s = c.summary
    records = c.records
    exact = sum(bool(r["exact_match"]) for r in records) / len(records) if records else None
    consistency = sum(r["consistency"] or 0 for r in records) / len(records) if records else None
    where = f"[Datadog]({c.experiment_url})" if c.experiment_url else c.mode
    accuracy = (
        f"{_pct(s.get('overall_accuracy'))} "
        f"({_pct(s.get('overall_accuracy_ci_low'))}–{_pct(s.get('overall_accuracy_ci_high'))})"
    )
    return [
        c.config_name,
        "completed",
        accuracy,
        _pct(s.get("success_rate")),
        _pct(s.get("avg_ballot_accuracy")),
        _pct(exact),
        _pct(consistency),
        f"{s.get('total_tokens', 0):,}",
        _num(s.get("estimated_cost_usd"), ".4f"),
        f"{_num(s.get('latency_p50_s'), '.2f')} / {_num(s.get('latency_p95_s'), '.2f')}",
        where,
    ]


def comparison_table(configs: Sequence[ConfigResult]) -> str:
    return markdown.table(COMPARISON_HEADER, [_comparison_row(c) for c in configs])


def failures_table(configs: Sequence[ConfigResult], limit: int = 25) -> str:
    rows = failures(configs)
    if not rows:
        return "No failures."
    shown = [[r.config_name, r.record_id or "—", r.status, markdown.escape(r.error)[:200]] for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(["…", f"{len(rows) - limit} more", "", ""])
    return markdown.table(["config", "form set", "status", "error"], shown)


def trend_table(history: Sequence[ExperimentRun], limit: int = 8) -> str:
    """overall_accuracy of each config over the latest runs (newest last)."""
    runs = list(history)[-limit:]
    names = list(dict.fromkeys(c.config_name for e in runs for c in e.configs if c.completed))
    if not runs or not names:
        return "No completed runs yet."
    rows = []
    for e in runs:
        values = {c.config_name: c.summary.get("overall_accuracy") for c in e.configs if c.completed}
        rows.append([e.run_at, *(_pct(values.get(n)) for n in names)])
    return markdown.table(["run", *names], rows)


def best_line(configs: Sequence[ConfigResult]) -> str:
    best = best_config(configs)
    if best is None:
        return "No config completed."
    s = best.summary
    return (
        f"**{best.config_name}**: overall accuracy {_pct(s['overall_accuracy'])} "
        f"(95% CI {_pct(s.get('overall_accuracy_ci_low'))}–{_pct(s.get('overall_accuracy_ci_high'))}), "
        f"cost ${s.get('estimated_cost_usd', 0):.4f} for {s.get('num_records', 0)} form sets"
    )


def render(run: ExperimentRun, history: Sequence[ExperimentRun], plot_markdown: str = "") -> str:
    parts = [
        f"### Experiment over ground truth {run.dataset_version} ({run.num_records} form sets)",
        "Best config: " + best_line(run.configs),
        comparison_table(run.configs),
    ]
    if plot_markdown:
        parts.append(plot_markdown)
    parts += ["#### Failures", failures_table(run.configs), "#### Trend (overall accuracy)", trend_table(history)]
    return "\n\n".join(parts)
