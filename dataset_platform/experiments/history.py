"""Append-only experiment history under ``experiments_dir()``.

``history.jsonl`` holds one line per experiment run (configs with summaries, no per-record rows);
``runs/<stamp>_<run>/results.json`` holds the full result of that run. Old lines and folders are never
rewritten, so earlier results stay readable and the weekly runs form a trend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from dataset_platform.common import atomic, settings


def history_path() -> Path:
    return settings.experiments_dir() / "history.jsonl"


def run_dir(result: Mapping[str, Any]) -> Path:
    stamp = re.sub(r"[^0-9T]", "", str(result["run_at"]))[:15]
    suffix = re.sub(r"[^A-Za-z0-9_-]", "", str(result.get("run_id") or "local"))[:8]
    return settings.experiments_dir() / "runs" / f"{stamp}_{suffix}"


def _summary_line(result: Mapping[str, Any], directory: Path) -> dict[str, Any]:
    return {
        **{k: v for k, v in result.items() if k != "configs"},
        "results_path": str(directory / "results.json"),
        "configs": [{k: v for k, v in c.items() if k != "records"} for c in result["configs"]],
    }


def _locked() -> AbstractContextManager[None]:
    return atomic.locked(settings.experiments_dir() / ".history.lock")


def append(result: Mapping[str, Any]) -> Path:
    """Store a run: its full results file (atomic), then one history line. Returns the run folder."""
    directory = run_dir(result)
    atomic.write_json(directory / "results.json", result)
    line = json.dumps(_summary_line(result, directory), ensure_ascii=False, sort_keys=True, default=str)
    with _locked():
        path = history_path()
        existing = path.read_text("utf-8") if path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"  # a torn last line (crash mid-write elsewhere) stays its own line
        atomic.write_text(path, existing + line + "\n")
    return directory


def read_history() -> list[dict[str, Any]]:
    """Every stored run, oldest first; unreadable lines are skipped."""
    path = history_path()
    if not path.exists():
        return []
    runs = []
    for line in path.read_text("utf-8").splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return runs


def load_results(entry: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(Path(entry["results_path"]).read_text("utf-8"))


def find_run(run_id: str) -> dict[str, Any] | None:
    """The newest history entry written by Dagster run ``run_id``."""
    matches = [e for e in read_history() if e.get("run_id") == run_id]
    return matches[-1] if matches else None


def previous_config_result(config_name: str, before: Mapping[str, Any]) -> dict[str, Any] | None:
    """The latest completed result of ``config_name`` in a run stored before ``before``."""
    runs = read_history()
    index = next((i for i, e in enumerate(runs) if e is before or e == before), len(runs))
    for entry in reversed(runs[:index]):
        for c in entry["configs"]:
            if c["config_name"] == config_name and c["status"] == "completed":
                return {**c, "run_at": entry["run_at"], "run_id": entry.get("run_id")}
    return None
