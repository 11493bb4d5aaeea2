"""``LocalRunLauncher``: Dagster's DefaultRunLauncher plus a worker health check, so run monitoring fails dead runs.

DefaultRunLauncher cannot tell run monitoring whether a run's worker process is alive, so a run whose
process was killed (kill -9, OOM, a closed laptop lid that ended ``dagster dev``) stays STARTED for ever.
Locally the daemon and the run workers share one host, so the worker's pid (from its own "Started process
for run (pid: N)" engine event) answers the question. Only for one-host setups (the repo-root dagster.yaml):
in docker compose the daemon cannot see the user_code container's processes, so deploy/dagster.yaml keeps
DefaultRunLauncher.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        if event and (event.message or record.user_message or "").startswith("Started process for run"):
            pid = event.engine_event_data.metadata.get("pid") if event.engine_event_data else None
            if pid is not None:
                return int(str(pid.value))  # recorded as text metadata
    return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # a zombie has exited; its parent just has not reaped it
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class LocalRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = worker_pid(self._instance, run.run_id)
        if pid is None or process_alive(pid):  # no pid yet: the worker is still starting (start timeout covers it)
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed or crashed)")
