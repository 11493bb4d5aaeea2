"""Production configuration without Docker: the repo's deploy/dagster.yaml and workspace.yaml with a real PostgreSQL,
the user-code gRPC server, the daemon and the webserver as local processes, one run launched through GraphQL.

Touches no Docker engine and no external service (docker-compose.yml is checked in test_compose.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dataset_platform_tests.support.postgres import PostgresServer, free_port, start_postgres

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning:gql")]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CODE_MODULE = "dataset_platform.definitions"
LOCATION = "dataset_platform"
# Trust auth ignores passwords, which lets the test prove they never reach the event log.
DAGSTER_PG_PASSWORD = "pw-dagster-never-logged"
REVIEW_DB_PASSWORD = "pw-reviews-never-logged"
GEMINI_POOL_LIMIT = 3

LOCATION_STATUS_QUERY = """
query { workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


@dataclass
class Deployment:
    postgres: PostgresServer
    env: dict[str, str]
    workdir: Path
    web_port: int = 0
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *cmd: str) -> None:
        # Own process group, so teardown also reaches the run workers the code server spawns.
        with open(self.workdir / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(
                cmd, env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} (last 3000 chars)\n{p.read_text(errors='replace')[-3000:]}"
            for p in self.workdir.glob("*.log")
        )

    def assert_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        assert not dead, f"processes exited: {dead}\n{self.logs()}"

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_for(deployment: Deployment, what: str, ready, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment.assert_alive()
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready after {timeout:.0f}s\n{deployment.logs()}")


def _location_loaded(port: int) -> bool:
    body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": LOCATION_STATUS_QUERY}, timeout=10).json()
    entry = next(e for e in body["data"]["workspaceOrError"]["locationEntries"] if e["name"] == LOCATION)
    loaded = entry["locationOrLoadError"] or {}
    # The code server is already healthy here, so a load error is the definitions failing: fail fast.
    assert loaded.get("__typename") != "PythonError", f"code location failed to load: {loaded.get('message')}"
    return entry["loadStatus"] == "LOADED" and bool(loaded)


def _code_server_healthy(port: int) -> bool:
    """The same probe as the compose healthcheck of user_code."""
    cmd = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port), "--host", "127.0.0.1"]
    return subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = start_postgres()
    workdir = tmp_path_factory.mktemp("deployment")
    dep = Deployment(postgres=postgres, env={}, workdir=workdir)
    try:
        postgres.create_database("dagster")
        review_url = postgres.create_database("reviews").replace("postgres@", f"postgres:{REVIEW_DB_PASSWORD}@")
        dagster_home = workdir / "dagster_home"
        dagster_home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
        grpc_port, dep.web_port = free_port(), free_port()
        dep.env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(postgres.port),
            "DAGSTER_PG_USER": "postgres",
            "DAGSTER_PG_PASSWORD": DAGSTER_PG_PASSWORD,
            "DAGSTER_PG_DB": "dagster",
            "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
            "DAGSTER_CODE_SERVER_PORT": str(grpc_port),
            "POSTGRES_URL": review_url,
            "DATASET_PLATFORM_HOME": str(workdir / "platform_home"),
            "GEMINI_POOL_LIMIT": str(GEMINI_POOL_LIMIT),
        }
        workspace = str(REPO / "workspace.yaml")
        dep.start(
            "user_code",
            str(BIN / "dagster"),
            "code-server",
            "start",
            "-h",
            "127.0.0.1",
            "-p",
            str(grpc_port),
            "-m",
            CODE_MODULE,
        )
        # What the daemon container runs first (DAGSTER_INSTANCE_INIT=1): schema + gemini pool limit,
        # here while the code server loads the definitions.
        init = subprocess.run(
            ["bash", str(REPO / "deploy" / "entrypoint.sh"), "true"],
            env={**dep.env, "DAGSTER_INSTANCE_INIT": "1"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert init.returncode == 0, init.stdout + init.stderr
        assert DAGSTER_PG_PASSWORD not in init.stdout + init.stderr

        _wait_for(dep, "user code server", lambda: _code_server_healthy(grpc_port))
        dep.start("daemon", str(BIN / "dagster-daemon"), "run", "-w", workspace)
        dep.start(
            "webserver", str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(dep.web_port), "-w", workspace
        )
        _wait_for(
            dep, "webserver", lambda: httpx.get(f"http://127.0.0.1:{dep.web_port}/server_info", timeout=5).is_success
        )
        _wait_for(dep, "code location", lambda: _location_loaded(dep.web_port))
        yield dep
    finally:
        dep.stop()
        postgres.stop()


def _dagster_db(dep: Deployment) -> sa.Engine:
    return sa.create_engine(dep.postgres.url("dagster"))


def test_run_launched_through_graphql_is_queued_dequeued_and_stored_in_postgres(deployment):
    from dagster import DagsterRunStatus
    from dagster_graphql import DagsterGraphQLClient

    client = DagsterGraphQLClient("127.0.0.1", port_number=deployment.web_port)
    run_id = client.submit_job_execution("platform_healthcheck", repository_location_name=LOCATION)

    deadline = time.monotonic() + 240
    status = client.get_run_status(run_id)
    while status not in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
        assert time.monotonic() < deadline, f"run {run_id} still {status}\n{deployment.logs()}"
        deployment.assert_alive()
        time.sleep(1)
        status = client.get_run_status(run_id)
    assert status == DagsterRunStatus.SUCCESS, deployment.logs()

    engine = _dagster_db(deployment)
    with engine.connect() as conn:
        stored_status = conn.execute(sa.text("SELECT status FROM runs WHERE run_id = :r"), {"r": run_id}).scalar_one()
        events = conn.execute(
            sa.text("SELECT dagster_event_type, event FROM event_logs WHERE run_id = :r ORDER BY id"), {"r": run_id}
        ).all()
    engine.dispose()

    assert stored_status == "SUCCESS"
    # Stored under Dagster's legacy names (PIPELINE_* = RUN_*). Enqueued by the webserver (the
    # QueuedRunCoordinator), then only the daemon dequeues and launches it on the code server.
    types = [t for t, _ in events if t]
    for expected in ("PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_START", "STEP_SUCCESS", "PIPELINE_SUCCESS"):
        assert expected in types, f"{expected} missing from {types}"
    assert types.index("PIPELINE_ENQUEUED") < types.index("PIPELINE_STARTING") < types.index("PIPELINE_START")

    bodies = "\n".join(body for _, body in events)
    assert "postgresql://postgres:***@127.0.0.1" in bodies  # the masked review DB URL in the step output metadata
    assert REVIEW_DB_PASSWORD not in bodies and DAGSTER_PG_PASSWORD not in bodies


def test_gemini_pool_limit_set_by_entrypoint(deployment):
    engine = _dagster_db(deployment)
    with engine.connect() as conn:
        limit = conn.execute(
            sa.text('SELECT "limit" FROM concurrency_limits WHERE concurrency_key = :k'), {"k": "gemini"}
        ).scalar_one()
    engine.dispose()
    assert limit == GEMINI_POOL_LIMIT
