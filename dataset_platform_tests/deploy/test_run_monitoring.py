"""Run monitoring with the local instance config fails a STARTED run whose worker process was killed (a real child
process, kill -9), and leaves a live one alone; runs the daemon's monitoring step directly, no daemon or webserver.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import yaml
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._daemon.monitoring.run_monitoring import monitor_started_run

from dataset_platform.platform.run_launcher import LocalRunLauncher

REPO = Path(__file__).resolve().parents[2]


@dg.op
def noop(): ...


@dg.job
def some_job():
    noop()


def _started_run(instance: dg.DagsterInstance, pid: int) -> dg.DagsterRun:
    run = instance.create_run_for_job(some_job)
    instance.report_dagster_event(
        DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name), run.run_id
    )
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    return instance.get_run_by_id(run.run_id)


def test_a_killed_run_worker_is_marked_failed_and_a_live_one_is_not():
    local = yaml.safe_load((REPO / "dagster.yaml").read_text())
    overrides = {"run_launcher": local["run_launcher"], "run_monitoring": local["run_monitoring"]}
    workers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)]
    try:
        with dg.instance_for_test(overrides=overrides) as instance:
            assert isinstance(instance.run_launcher, LocalRunLauncher) and instance.run_monitoring_enabled
            killed, alive = (_started_run(instance, w.pid) for w in workers)
            assert killed.status == dg.DagsterRunStatus.STARTED
            os.kill(workers[0].pid, signal.SIGKILL)
            workers[0].wait()
            for run in (killed, alive):
                monitor_started_run(instance, None, instance.get_run_record_by_id(run.run_id), logging.getLogger())
            assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
            assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
            messages = [r.dagster_event.message or "" for r in instance.all_logs(killed.run_id) if r.dagster_event]
            assert any(f"run worker process {workers[0].pid} is gone" in m for m in messages)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
