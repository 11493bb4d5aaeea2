"""The retraining assets in dg.materialize: files, metadata, gate and blocking checks, PII policies, new-review
gate, unchanged re-run (SQLite and Postgres).

Hub is the local hub; W&B is disabled except in the one test that checks offline logging.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs.retraining.assets import (
    cleaned_splits,
    misclassified_pulls,
    published_versions,
    quality_reports,
)
from dataset_platform.defs.retraining.checks import blocking_checks
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import demo
from dataset_platform_tests.retraining import helpers
from dataset_platform_tests.retraining.helpers import engine_for

ASSETS = [misclassified_pulls, cleaned_splits, quality_reports, published_versions, *blocking_checks]


def _materialize(url: str, label: str, wandb_mode: str = "disabled", assets=ASSETS, **pull_config):
    return dg.materialize(
        assets,
        partition_key=label,
        resources={"review_db": ReviewDatabase(url=url), "hub": DatasetHub(), "wandb": WandbResource(mode=wandb_mode)},
        run_config={"ops": {"misclassified_pulls": {"config": pull_config}}} if pull_config else None,
        raise_on_error=False,
    )


def _report(platform_home, label: str) -> dict:
    return json.loads((platform_home / "retraining" / label / "quality" / "report.json").read_text())


def _meta(result, key: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_materialize_publishes_then_unchanged(db_url, platform_home):
    demo.seed_complaints(engine_for(db_url), n=6000, seed=7)
    result = _materialize(db_url, "department")
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()} == {
        "no_text_shared_between_splits": True,
        "enough_records": True,
        "no_pii": True,
    }
    pulls = _meta(result, "misclassified_pulls")
    assert pulls["n_correct"] == pulls["n_misclassified"] // 2 and pulls["connection_attempts"] == 1
    splits = _meta(result, "cleaned_splits")
    assert (
        splits["gate"] == "ready"
        and splits["dagster/row_count"] >= 1000
        and [c.name for c in splits["dagster/column_schema"].columns]
        == ["complaint_id", "grievance", "label", "source"]
    )
    assert "label_not_in_mapping" in splits["dropped"]
    quality = _meta(result, "quality_reports")
    assert quality["quality_score"] > 90 and "data:image/png;base64," in quality["label_distribution_plot"]
    published = _meta(result, "published_versions")
    assert published["status"] == "published" and published["dagster/uri"].startswith("file://")
    version_dir = platform_home / "hub" / "local" / "department-dataset" / published["version_tag"]
    meta = json.loads((version_dir / "dataset_metadata.json").read_text())
    assert meta["dagster_run_id"] == result.run_id and meta["content_hash"] == splits["content_hash"]
    assert "sqlite" not in json.dumps(meta) and "postgres" not in json.dumps(meta)
    assert set(meta["source_counts"]) == {"misclassified", "confirmed", "correct"}
    assert meta["source_counts"]["confirmed"] > 0
    assert meta["pull_counts"]["n_confirmed"] == pulls["n_confirmed"] and meta["n_gold"] == 300
    assert sum(meta["gold_held_out"].values()) > 0 and meta["reviewed_through"].startswith("2026-")

    again = _materialize(db_url, "department")
    assert _meta(again, "published_versions")["status"] == "unchanged"
    assert [p.name for p in version_dir.parent.iterdir() if p.name.startswith("v")] == [published["version_tag"]]


def _add_email_everywhere(engine) -> None:
    with engine.begin() as conn:
        message = db.complaints.c.message + " mail me: somchai@example.co.th"
        conn.execute(sa.update(db.complaints).values(message=message))


def test_pii_block_policy_stops_publishing_and_still_writes_the_report(db_url, platform_home):
    engine = engine_for(db_url)
    demo.seed_complaints(engine, n=1500, seed=7)
    _add_email_everywhere(engine)
    result = _materialize(db_url, "urgency", pii_policy="block")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["no_pii"].passed and checks["enough_records"].passed
    assert checks["no_pii"].metadata["findings"].value > 0
    assert "somchai@" not in str(checks["no_pii"].metadata["examples"].value)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "cleaned_splits" in materialized and "published_versions" not in materialized
    assert not (platform_home / "hub").exists() or not any((platform_home / "hub").rglob("dataset_metadata.json"))
    report = _report(platform_home, "urgency")  # the blocked run has its report, with the reason
    assert report["gate"]["status"] == "blocked" and "PII policy 'block'" in report["gate"]["reasons"][0]
    assert "somchai@" not in json.dumps(report)


def test_pii_mask_policy_publishes_placeholders_and_drop_policy_drops_records(db_url, platform_home):
    engine = engine_for(db_url)
    demo.seed_complaints(engine, n=1500, seed=7)
    _add_email_everywhere(engine)
    result = _materialize(db_url, "urgency")  # default: mask
    assert result.success
    published = _meta(result, "published_versions")
    version = platform_home / "hub" / "local" / "urgency-dataset" / published["version_tag"]
    import pandas as pd

    train = pd.read_parquet(next((version / "data").glob("train-*.parquet")))
    assert train["grievance"].str.endswith("mail me: [EMAIL]").all()
    meta = json.loads((version / "dataset_metadata.json").read_text())
    assert meta["pii"]["policy"] == "mask" and meta["pii"]["kinds"]["email"] >= published["num_samples"]

    dropped = _materialize(db_url, "urgency", assets=ASSETS[:3] + ASSETS[4:], pii_policy="drop")
    splits = _meta(dropped, "cleaned_splits")
    assert splits["dagster/row_count"] == 0 and "| pii |" in splits["dropped"]
    assert _report(platform_home, "urgency")["gate"]["status"] == "skipped_insufficient_data"


def test_size_gate_skips_and_reports_why(db_url, platform_home):
    demo.seed_complaints(engine_for(db_url), n=150, seed=7)
    result = _materialize(db_url, "urgency")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["enough_records"].passed
    assert checks["enough_records"].metadata["status"].value == "skipped_insufficient_data"
    assert "published_versions" not in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    gate = _report(platform_home, "urgency")["gate"]
    assert gate["status"] == "skipped_insufficient_data" and "< MIN_DATASET_LEN 100" in gate["reasons"][0]


def test_per_class_minimum_is_part_of_the_gate(db_url, platform_home):
    demo.seed_complaints(engine_for(db_url), n=1500, seed=7)
    result = _materialize(db_url, "urgency", min_per_class=400)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["enough_records"].passed
    assert "HIGHLY URGENT" in " ".join(_report(platform_home, "urgency")["gate"]["reasons"])


def test_new_reviews_gate_holds_back_a_resample_until_reviews_arrive(db_url, platform_home):
    engine = engine_for(db_url)
    demo.seed_complaints(engine, n=1500, seed=7)
    first = _materialize(db_url, "department")
    assert _meta(first, "published_versions")["status"] == "published"
    resample = _materialize(db_url, "department", random_state=1)  # other pool sample, no new review
    checks = {e.check_name: e for e in resample.get_asset_check_evaluations()}
    assert not checks["enough_records"].passed
    assert _report(platform_home, "department")["gate"]["status"] == "skipped_no_new_reviews"
    with engine.begin() as conn:  # 12 new reviewed corrections, later than anything published
        not_gold = ~db.complaints.c.id.in_(sa.select(db.gold_labels.c.complaint_id))
        query = sa.select(db.complaints.c.id).where(not_gold).order_by(db.complaints.c.id.desc()).limit(12)
        ids = conn.execute(query).scalars().all()
        conn.execute(sa.delete(db.misclassified_complaints).where(db.misclassified_complaints.c.complaint_id.in_(ids)))
        next_id = conn.execute(sa.select(sa.func.max(db.misclassified_complaints.c.id))).scalar_one() + 1
        conn.execute(
            sa.insert(db.misclassified_complaints),
            [
                {
                    "id": next_id + i,
                    "complaint_id": cid,
                    "model_predicted_department": helpers.D[0],
                    "correct_department": helpers.D[1],
                    "reviewed": True,
                    "reviewed_at": dt.datetime(2027, 1, 1),
                }
                for i, cid in enumerate(ids)
            ],
        )
    after = _materialize(db_url, "department", random_state=1)
    assert _meta(after, "published_versions")["status"] == "published"


def test_published_versions_alone_reports_skipped(platform_home, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    demo.seed_complaints(engine_for(url), n=1500, seed=7)
    monkeypatch.setenv("MIN_DATASET_LEN", "100000")
    # Without the blocking checks in the selection, published_versions applies the gate itself (from quality.py).
    assert _materialize(url, "urgency", assets=ASSETS[:4]).success
    published = _meta(_materialize(url, "urgency", assets=[published_versions]), "published_versions")
    assert published["status"] == "skipped_insufficient_data" and "MIN_DATASET_LEN 100000" in published["detail"]


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
