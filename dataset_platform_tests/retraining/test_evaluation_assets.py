"""classifier_evaluation and its blocking gate in dg.materialize over the simulation (SQLite and Postgres).

A good version passes against the production model and is published; a version whose reviewed labels are
shuffled is blocked "worse on gold" against the published version and published_versions does not run.
Local hub; W&B disabled.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import dagster as dg
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs.retraining.assets import (
    cleaned_splits,
    misclassified_pulls,
    published_versions,
    quality_reports,
)
from dataset_platform.defs.retraining.checks import blocking_checks
from dataset_platform.defs.retraining.evaluation import classifier_evaluation, evaluation_checks
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import paths, simulation
from dataset_platform_tests.retraining.helpers import engine_for

ASSETS = [
    misclassified_pulls,
    cleaned_splits,
    quality_reports,
    classifier_evaluation,
    published_versions,
    *blocking_checks,
    *evaluation_checks,
]


def _materialize(url: str, label: str):
    resources = {"review_db": ReviewDatabase(url=url), "hub": DatasetHub(), "wandb": WandbResource(mode="disabled")}
    return dg.materialize(ASSETS, partition_key=label, resources=resources, raise_on_error=False)


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _gate(result) -> dg.AssetCheckEvaluation:
    [gate] = [e for e in result.get_asset_check_evaluations() if e.check_name == "not_worse_on_gold"]
    return gate


def _shuffle_reviewed_labels(engine: sa.Engine, label: str) -> None:
    m = db.misclassified_complaints
    with engine.begin() as conn:
        rows = conn.execute(sa.select(m.c.id, m.c[f"correct_{label}"]).order_by(m.c.id)).all()
        values = [r[1] for r in rows]
        random.Random(5).shuffle(values)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for (row_id, _), value in zip(rows, values):
            # A re-label is a new review: it passes the "enough new reviewed information" gate.
            conn.execute(sa.update(m).where(m.c.id == row_id).values({f"correct_{label}": value, "reviewed_at": now}))


def test_gate_passes_a_good_version_and_blocks_a_shuffled_one(db_url, platform_home, monkeypatch):
    monkeypatch.setenv("MIN_DATASET_LEN", "100")
    engine = engine_for(db_url)
    simulation.seed_database(engine, simulation.simulate(n=1500, seed=3, gold_n=300, base_n=0))

    first = _materialize(db_url, "urgency")
    assert first.success, [e.message for e in first.all_events if e.is_failure]
    gate = _gate(first)
    assert gate.passed and gate.metadata["baseline"].value == "production model"
    assert gate.description.startswith("not worse on gold")
    assert {"classifier_evaluation", "published_versions"} <= _materialized(first)
    report = json.loads(paths.evaluation_file("urgency").read_text())
    assert report["gold_rows"] == 300 and report["published_version"] is None
    candidate = report["gold"]["candidate"]["accuracy"]
    assert candidate["ci_low"] < candidate["value"] < candidate["ci_high"]
    assert set(report["gold"]["candidate"]["recall"]) == {"NORMAL", "URGENT", "HIGHLY URGENT"}
    assert (paths.quality_dir("urgency") / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    events = {e.asset_key.to_user_string(): e.materialization for e in first.get_asset_materialization_events()}
    assert "data:image/png;base64," in events["classifier_evaluation"].metadata["confusion_matrix"].value
    published_tag = events["published_versions"].metadata["version_tag"].value

    _shuffle_reviewed_labels(engine, "urgency")
    second = _materialize(db_url, "urgency")
    gate = _gate(second)
    assert not gate.passed and gate.metadata["baseline"].value == f"published {published_tag}"
    assert gate.description.startswith("worse on gold:")
    cand, base = gate.metadata["candidate_accuracy"].value, gate.metadata["baseline_accuracy"].value
    assert cand < base and f"{cand:.3f}" in gate.description and f"{base:.3f}" in gate.description
    assert "classifier_evaluation" in _materialized(second) and "published_versions" not in _materialized(second)
    repo_dir = platform_home / "hub" / "local" / "urgency-dataset"
    versions = [p.name for p in repo_dir.iterdir() if p.name.startswith("v")]
    assert versions == [published_tag]
    assert list(paths.evaluation_cache_dir("urgency").glob("*.pkl"))  # the published model is cached for next time

    # Run alone, published_versions still refuses the splits the gate blocked.
    alone = dg.materialize(
        [published_versions],
        partition_key="urgency",
        raise_on_error=False,
        resources={"hub": DatasetHub(), "wandb": WandbResource(mode="disabled")},
    )
    assert not alone.success
    failure = next(e for e in alone.all_events if e.event_type_value == "STEP_FAILURE")
    assert "worse on gold" in failure.event_specific_data.error.message


def test_shuffled_first_version_is_blocked_against_the_production_model(platform_home, monkeypatch):
    monkeypatch.setenv("MIN_DATASET_LEN", "100")
    url = f"sqlite:///{platform_home / 'reviews.db'}"
    engine = engine_for(url)
    simulation.seed_database(engine, simulation.simulate(n=1500, seed=4, gold_n=300, base_n=0))
    _shuffle_reviewed_labels(engine, "department")
    result = _materialize(url, "department")
    gate = _gate(result)
    assert not gate.passed and gate.metadata["baseline"].value == "production model"
    assert "worse on gold" in gate.description
    assert "published_versions" not in _materialized(result)


def test_evaluation_logs_metrics_and_plot_to_wandb_offline(platform_home, monkeypatch):
    monkeypatch.setenv("MIN_DATASET_LEN", "100")
    url = f"sqlite:///{platform_home / 'reviews.db'}"
    simulation.seed_database(engine_for(url), simulation.simulate(n=900, seed=6, gold_n=120, base_n=0))
    resources = {"review_db": ReviewDatabase(url=url), "hub": DatasetHub(), "wandb": WandbResource(mode="offline")}
    result = dg.materialize(ASSETS[:4] + [*blocking_checks], partition_key="urgency", resources=resources)
    events = {e.asset_key.to_user_string(): e.materialization for e in result.get_asset_materialization_events()}
    assert events["classifier_evaluation"].metadata["wandb"].value == "logged (offline)"
    media = list((platform_home / "wandb").rglob("media/images/confusion/*.png"))
    assert media, "confusion plot not logged"


def test_remote_hub_version_dir_downloads_the_tagged_data(platform_home):
    calls = []

    class FakeApi:
        def snapshot_download(self, **kwargs):
            calls.append(kwargs)
            return str(platform_home / "snapshot")

    hub = DatasetHub(hf_token="hf_test", urgency_repo="org/urgency")
    hub._api = FakeApi()
    assert hub.version_dir("urgency", "v20260301_060000") == platform_home / "snapshot"
    assert calls == [
        {"repo_id": "org/urgency", "repo_type": "dataset", "revision": "v20260301_060000", "allow_patterns": ["data/*"]}
    ]
    local = DatasetHub().version_dir("urgency", "v20260301_060000")
    assert local == platform_home / "hub" / "local" / "urgency-dataset" / "v20260301_060000"
