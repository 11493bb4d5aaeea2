"""The whole asset graph materialised in-process on demo data with every embedded default (no network)."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from dataset_platform.common import settings
from dataset_platform.demo_data import create_demo_data
from dataset_platform.demo_run import (
    DATASET_ASSETS,
    FORM_ASSETS,
    RETRAINING_ASSETS,
    materialize_all,
    pipeline_asset_keys,
)

pytestmark = pytest.mark.slow


def test_demo_materializes_every_asset_of_the_design(platform_home, monkeypatch):
    monkeypatch.setenv("MIN_DATASET_LEN", "1000")
    # the accuracy asserted below is the Tesseract baseline's, which reads the printed look only; without a key
    # the default model is now `offline` (handwriting, tested in forms/test_offline_reader.py), so pin it here
    from dataset_platform.resources.models import ExtractionModels

    monkeypatch.setattr(ExtractionModels, "default_model", lambda self: "tesseract")
    summary = create_demo_data(form_sets=3, complaints=6000, seed=11, printed=True)
    assert summary["form_sets"] == 3

    from dataset_platform.definitions import defs

    with dg.instance_for_test() as instance:
        assert materialize_all(defs=defs, instance=instance) == 0

        form_sets = sorted(p.name for p in settings.form_sets_dir().iterdir() if p.is_dir())
        for key in FORM_ASSETS:
            materialized = instance.get_materialized_partitions(dg.AssetKey(key))
            assert materialized == set(form_sets), key
        for key in DATASET_ASSETS:
            assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key
        for key in RETRAINING_ASSETS:
            assert instance.get_materialized_partitions(dg.AssetKey(key)) == {"department", "urgency"}, key
        pipeline_keys = pipeline_asset_keys(defs)
        assert {k.split("/")[0] for k in pipeline_keys} >= {
            "vote_extraction_sft",
            "grievance_instructions",
            "customer_orders",
        }
        for key in pipeline_keys:
            assert instance.get_latest_materialization_event(dg.AssetKey.from_user_string(key)) is not None, key

    # What each stage left behind, read back the way a user would.
    extractions = [json.loads(p.read_text()) for p in (platform_home / "extractions").glob("*.json")]
    assert len(extractions) == 3 and all(e["model"] == "tesseract" for e in extractions)
    assert sum(e["extraction"] is not None for e in extractions) == 3

    from dataset_platform.forms.ground_truth import load_ground_truth

    _, records = load_ground_truth()
    statuses = {r["id"]: r["metadata"]["status"] for r in records}
    assert len(records) == 3 and "human-reviewed" in statuses.values()
    for record in records:  # a model extraction is trusted only when nothing about it is doubtful
        meta = record["metadata"]
        if meta["status"] != "human-reviewed":
            doubtful = bool(meta.get("uncertain_fields") or meta.get("broken_rules"))
            assert meta["status"] == ("needs-review" if doubtful else "llm-generated"), meta

    export = json.loads((settings.exports_dir() / "datadog" / "vote-extraction-ground-truth_latest.json").read_text())
    assert export["num_records"] == 3 and {r["id"] for r in export["records"]} == set(form_sets)
    from dataset_platform.forms.datadog_export import to_ddtrace_records

    trusted = {i for i, status in statuses.items() if status != "needs-review"}
    pushed = {r["metadata"]["form_set_id"] for r in to_ddtrace_records(export)}
    assert pushed == trusted  # needs-review stays out of Datadog's expected outputs

    history = [json.loads(line) for line in (settings.experiments_dir() / "history.jsonl").read_text().splitlines()]
    configs = {c["model"]: c for c in history[-1]["configs"]}
    assert configs["tesseract"]["status"] == "completed"
    assert configs["tesseract"]["summary"]["overall_accuracy"] > 0.8
    assert {c["status"] for m, c in configs.items() if m.startswith("gemini")} == {"unavailable"}  # no key offline

    import datasets

    for repo in ("local/department-dataset", "local/urgency-dataset"):
        versions = sorted(p for p in (settings.hub_dir() / repo).iterdir() if p.name.startswith("v"))
        assert len(versions) == 1, repo
        loaded = datasets.load_dataset(str(versions[0]))
        assert set(loaded) == {"train", "validation", "test"} or set(loaded) == {"train", "eval", "test"}
        assert sum(len(s) for s in loaded.values()) >= 1000
