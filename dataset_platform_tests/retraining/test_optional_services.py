"""Optional services degrade instead of failing or stalling: a Hub that never answers (a local TCP endpoint that
accepts and stays silent) skips label drift in quality_reports with a warning; an unreachable W&B server costs
one short init timeout, then nothing. SQLite review database; no real Hub or W&B is contacted.
"""

from __future__ import annotations

import socket
import threading
import time

import dagster as dg
import pytest

from dataset_platform.defs.retraining.assets import cleaned_splits, misclassified_pulls, quality_reports, wandb_log
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


def test_an_unreachable_wandb_server_costs_one_short_timeout(monkeypatch, platform_home):
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{free_port()}")
    wandb = WandbResource(api_key="x" * 40, mode="online", init_timeout_s=2)
    started = time.monotonic()
    first = wandb_log(wandb, "pull-department", "pull", {"label": "department"}, {"n": 1})
    first_s = time.monotonic() - started
    started = time.monotonic()
    second = wandb_log(wandb, "publish-department", "publish", {"label": "department"}, {"n": 1})
    second_s = time.monotonic() - started
    assert first.startswith("failed:") and first_s < 30, (first, first_s)
    assert second == "failed: WandbUnavailable" and second_s < 1, (second, second_s)
