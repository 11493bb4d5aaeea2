"""The retraining assets in dg.materialize: files, metadata, blocking checks, unchanged re-run (SQLite and Postgres).

Hub is the local hub; W&B is disabled except in the one test that checks offline logging.
"""

from __future__ import annotations

import json

import dagster as dg
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs.retraining.assets import cleaned_splits, misclassified_pulls, published_versions, quality_reports
from dataset_platform.defs.retraining.checks import blocking_checks
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import demo
from dataset_platform_tests.retraining.helpers import engine_for

ASSETS = [misclassified_pulls, cleaned_splits, quality_reports, published_versions, *blocking_checks]


def _materialize(url: str, label: str, wandb_mode: str = "disabled"):
    return dg.materialize(
        ASSETS,
        partition_key=label,
        resources={"review_db": ReviewDatabase(url=url), "hub": DatasetHub(), "wandb": WandbResource(mode=wandb_mode)},
        raise_on_error=False,
    )


def _meta(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_materialize_publishes_then_unchanged(db_url, platform_home):
    demo.seed_complaints(engine_for(db_url), n=6000, seed=7)
    result = _materialize(db_url, "department")
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()} == {
        "no_text_shared_between_splits": True, "enough_records": True, "no_pii": True,
    }  # fmt: skip
    pulls = _meta(result, "misclassified_pulls")
    assert pulls["n_correct"] == pulls["n_misclassified"] // 2 and pulls["connection_attempts"] == 1
    splits = _meta(result, "cleaned_splits")
    assert splits["dagster/row_count"] >= 1000 and [c.name for c in splits["dagster/column_schema"].columns] == [
        "complaint_id", "grievance", "label", "source"
    ]  # fmt: skip
    assert "label_not_in_mapping" in splits["dropped"]
    quality = _meta(result, "quality_reports")
    assert quality["quality_score"] > 90 and "data:image/png;base64," in quality["label_distribution_plot"]
    published = _meta(result, "published_versions")
    assert published["status"] == "published" and published["dagster/uri"].startswith("file://")
    version_dir = platform_home / "hub" / "local" / "department-dataset" / published["version_tag"]
    meta = json.loads((version_dir / "dataset_metadata.json").read_text())
    assert meta["dagster_run_id"] == result.run_id and meta["content_hash"] == splits["content_hash"]
    assert "sqlite" not in json.dumps(meta) and "postgres" not in json.dumps(meta)

    again = _materialize(db_url, "department")
    assert _meta(again, "published_versions")["status"] == "unchanged"
    assert [p.name for p in version_dir.parent.iterdir() if p.name.startswith("v")] == [published["version_tag"]]


def test_blocking_checks_stop_publishing_in_the_same_run(db_url, platform_home, monkeypatch):
    engine = engine_for(db_url)
    demo.seed_complaints(engine, n=6000, seed=7)
    with engine.begin() as conn:  # one correct-pool complaint now carries an e-mail address
        conn.execute(sa.update(db.complaints).values(message=db.complaints.c.message + " mail me: somchai@example.co.th"))
    result = _materialize(db_url, "urgency")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["no_pii"].passed and checks["enough_records"].passed
    assert checks["no_pii"].metadata["findings"].value > 0
    assert "somchai@" not in str(checks["no_pii"].metadata["examples"].value)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "cleaned_splits" in materialized and "published_versions" not in materialized
    assert not (platform_home / "hub").exists() or not any((platform_home / "hub").rglob("dataset_metadata.json"))


def test_size_gate_blocks_publishing(db_url, platform_home, monkeypatch):
    demo.seed_complaints(engine_for(db_url), n=600, seed=7)
    result = _materialize(db_url, "urgency")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["enough_records"].passed
    assert checks["enough_records"].metadata["status"].value == "skipped_insufficient_data"
    assert "published_versions" not in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_published_versions_alone_reports_skipped(platform_home, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    demo.seed_complaints(engine_for(url), n=6000, seed=7)
    assert _materialize(url, "urgency").success
    monkeypatch.setenv("MIN_DATASET_LEN", "100000")
    result = dg.materialize([published_versions], partition_key="urgency",
                            resources={"hub": DatasetHub(), "wandb": WandbResource(mode="disabled")})  # fmt: skip
    assert _meta(result, "published_versions")["status"] == "skipped_insufficient_data"


def test_unreachable_database_fails_clearly(monkeypatch):
    monkeypatch.setattr(db.time, "sleep", lambda s: None)
    result = _materialize("postgresql://u:s3cret@127.0.0.1:1/none", "urgency")
    assert not result.success
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"][0]
    text = str(failure.event_specific_data.error)
    assert "unreachable after 4 attempts" in text and "s3cret" not in text


@pytest.mark.slow
def test_wandb_offline_logs_runs(platform_home, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    demo.seed_complaints(engine_for(url), n=6000, seed=7)
    result = _materialize(url, "urgency", wandb_mode="offline")
    assert _meta(result, "misclassified_pulls")["wandb"] == "logged (offline)"
    assert _meta(result, "published_versions")["wandb"] == "logged (offline)"
    assert len(list((platform_home / "wandb").rglob("*.wandb"))) == 2
