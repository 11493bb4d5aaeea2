"""Accuracy against cost per config, as a PNG (matplotlib's Agg backend, imported only when plotting)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from dataset_platform.common import atomic, markdown
from dataset_platform.experiments.results import ConfigResult


def accuracy_vs_cost_png(configs: Sequence[ConfigResult]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    done = [c for c in configs if c.completed]
    figure = Figure(figsize=(6.4, 4.2), dpi=100)
    axes = figure.subplots()
    for c in done:
        s = c.summary
        cost, accuracy = s.get("estimated_cost_usd") or 0.0, s["overall_accuracy"]
        low, high = s.get("overall_accuracy_ci_low", accuracy), s.get("overall_accuracy_ci_high", accuracy)
        axes.errorbar([cost], [accuracy], yerr=[[accuracy - low], [high - accuracy]], fmt="o", capsize=4)
        axes.annotate(c.config_name, (cost, accuracy), textcoords="offset points", xytext=(6, 6), fontsize=8)
    axes.set_xlabel("estimated cost (USD, whole sample)")
    axes.set_ylabel("overall accuracy (95% CI)")
    axes.set_ylim(0, 1.05)
    axes.set_title("Accuracy vs cost per model config" if done else "No config completed")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_plot(configs: Sequence[ConfigResult], path: Path) -> tuple[Path, str]:
    """Write the PNG; return its path and markdown that embeds it (data URI, shown inline by the Dagster UI)."""
    png = accuracy_vs_cost_png(configs)
    atomic.write_bytes(path, png)
    return path, markdown.png_image(png, "accuracy vs cost")
