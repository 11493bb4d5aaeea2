"""Append-only experiment history under ``experiments_dir()``.

``history.jsonl`` holds one line per experiment run (configs with summaries, no per-record rows);
``runs/<stamp>_<run>/results.json`` holds the full result of that run. Old lines and folders are never
rewritten, so earlier results stay readable and the weekly runs form a trend.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from pathlib import Path

from dataset_platform.common import atomic, settings
from dataset_platform.experiments.results import ConfigResult, ExperimentRun


def history_path() -> Path:
    return settings.experiments_dir() / "history.jsonl"


def run_dir(run: ExperimentRun) -> Path:
    stamp = re.sub(r"[^0-9T]", "", str(run.run_at))[:15]
    suffix = re.sub(r"[^A-Za-z0-9_-]", "", str(run.run_id or "local"))[:8]
    return settings.experiments_dir() / "runs" / f"{stamp}_{suffix}"


def _locked() -> AbstractContextManager[None]:
    return atomic.locked(settings.experiments_dir() / ".history.lock")


def append(run: ExperimentRun) -> Path:
    """Store a run: its full results file (atomic), then one history line (no per-record rows). Returns its folder."""
    directory = run_dir(run)
    atomic.write_json(directory / "results.json", run.to_dict())
    summary_line = {**run.to_dict(records=False), "results_path": str(directory / "results.json")}
    line = json.dumps(summary_line, ensure_ascii=False, sort_keys=True, default=str)
    with _locked():
        path = history_path()
        existing = path.read_text("utf-8") if path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"  # a torn last line (crash mid-write elsewhere) stays its own line
        atomic.write_text(path, existing + line + "\n")
    return directory


def read_history() -> list[ExperimentRun]:
    """Every stored run, oldest first (configs without their per-record rows); unreadable lines are skipped."""
    path = history_path()
    if not path.exists():
        return []
    runs = []
    for line in path.read_text("utf-8").splitlines():
        try:
            runs.append(ExperimentRun.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError, ValueError, KeyError):
            continue
    return runs


def load_results(entry: ExperimentRun) -> ExperimentRun:
    """The full results (per-record rows included) of a history entry."""
    if entry.results_path is None:
        raise FileNotFoundError(f"history entry of run {entry.run_id} names no results file")
    return ExperimentRun.from_dict(json.loads(Path(entry.results_path).read_text("utf-8")))


def find_run(run_id: str) -> ExperimentRun | None:
    """The newest history entry written by Dagster run ``run_id``."""
    matches = [e for e in read_history() if e.run_id == run_id]
    return matches[-1] if matches else None


def previous_config_result(config_name: str, before: ExperimentRun) -> tuple[ExperimentRun, ConfigResult] | None:
    """The latest completed result of ``config_name`` in a run stored before ``before``, with that run."""
    runs = read_history()
    index = next((i for i, e in enumerate(runs) if e == before), len(runs))
    for entry in reversed(runs[:index]):
        for c in entry.configs:
            if c.config_name == config_name and c.completed:
                return entry, c
    return None
