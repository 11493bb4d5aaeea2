"""Optional services degrade instead of failing or stalling: a Hub that never answers (a local TCP endpoint that
accepts and stays silent) skips label drift in quality_reports with a warning; an unreachable W&B server costs
one short init timeout, then nothing, and is a warning in the run log plus a status in metadata. SQLite review
database; no real Hub or W&B is contacted.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import dagster as dg
import pytest

from dataset_platform.defs.retraining.assets import cleaned_splits, misclassified_pulls, quality_reports
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import demo
from dataset_platform_tests.retraining.helpers import engine_for
from dataset_platform_tests.support.postgres import free_port


@pytest.fixture
def silent_endpoint():
    """http://127.0.0.1:<port>: accepts connections, reads the request, never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_quality_report_is_written_without_drift_when_the_hub_is_silent(silent_endpoint, platform_home, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the test session is offline by default
    url = f"sqlite:///{platform_home / 'reviews.db'}"
    demo.seed_complaints(engine_for(url), n=1500, seed=7)
    hub = DatasetHub(hf_token="hf_example", endpoint=silent_endpoint, drift_timeout_s=2)
    resources = {"review_db": ReviewDatabase(url=url), "hub": hub, "wandb": WandbResource(mode="disabled")}
    started = time.monotonic()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [misclassified_pulls, cleaned_splits, quality_reports],
            partition_key="department",
            resources=resources,
            instance=instance,
        )
        assert result.success
        assert time.monotonic() - started < 60
        warnings = [r.user_message for r in instance.all_logs(result.run_id) if r.level >= 30]
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["quality_reports"]]
    compared = event.materialization.metadata["compared_with"].value
    assert "unreachable (timed out): label drift not checked" in compared
    assert any("label drift not checked" in w for w in warnings)
    assert "label_drift" not in event.materialization.metadata["findings"].value


@pytest.fixture
def unreachable_wandb(monkeypatch) -> WandbResource:
    """An online W&B resource whose server is a closed local port."""
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{free_port()}")
    return WandbResource(api_key="x" * 40, mode="online", init_timeout_s=2)


def test_an_unreachable_wandb_server_costs_one_short_timeout(unreachable_wandb, platform_home, caplog):
    logger = logging.getLogger("test_wandb")
    started = time.monotonic()
    first = unreachable_wandb.log_run(logger, "pull-department", "pull", {"label": "department"}, [], metrics={"n": 1})
    first_s = time.monotonic() - started
    started = time.monotonic()
    second = unreachable_wandb.log_run(logger, "publish-department", "publish", {}, [], metrics={"n": 1})
    second_s = time.monotonic() - started
    assert first.status.startswith("failed:") and not first.logged and first_s < 30, (first, first_s)
    assert second.status == "failed: WandbUnavailable" and second_s < 1, (second, second_s)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "test_wandb"]
    assert len(warned) == 2 and "W&B logging of publish-department failed: WandbUnavailable" in warned[1]
    assert all("x" * 40 not in w for w in warned)  # the key never reaches the log


def test_a_wandb_failure_is_a_run_log_warning_and_a_metadata_status(unreachable_wandb, platform_home):
    url = f"sqlite:///{platform_home / 'reviews.db'}"
    demo.seed_complaints(engine_for(url), n=300, seed=7)
    resources = {"review_db": ReviewDatabase(url=url), "hub": DatasetHub(), "wandb": unreachable_wandb}
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [misclassified_pulls], partition_key="department", resources=resources, instance=instance
        )
        assert result.success  # W&B is reporting: its failure never fails the asset
        warnings = [r.user_message for r in instance.all_logs(result.run_id) if r.level == logging.WARNING]
    [event] = result.get_asset_materialization_events()
    status = event.materialization.metadata["wandb"].value
    assert status.startswith("failed: ") and status != "failed: WandbUnavailable"  # the first attempt's own error
    assert [w for w in warnings if w.startswith("W&B logging of pull-department failed: ")], warnings
