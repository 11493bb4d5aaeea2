"""The quality report's plot: label share per split (and of the population / gold when known), as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dataset_platform.retraining.report import QualityReport


def plot_label_distribution(report: QualityReport, path: Path, title: str = "Label distribution per split") -> Path:
    """Grouped bar chart (share of each class within each split) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = dict(report.label_distribution)
    for name in ("population", "gold"):
        if counts := report.context.get("reference_distribution", {}).get(name):
            series[name] = counts
    classes = sorted({c for counts in series.values() for c in counts}, key=str)
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    width = 0.8 / max(1, len(series))
    for i, (name, counts) in enumerate(series.items()):
        total = sum(counts.values()) or 1
        ax.bar(np.arange(len(classes)) + i * width, [counts.get(c, 0) / total for c in classes], width, label=name)
    ax.set_xticks(np.arange(len(classes)) + width * (len(series) - 1) / 2)
    ax.set_xticklabels([c if len(c) < 22 else c[:20] + "…" for c in classes], fontsize=8)
    ax.set_ylabel("share")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path
