"""Datadog LLMObs: the export file, ddtrace's dataset push and experiment push against a local endpoint
(DD_LLMOBS_OVERRIDE_ORIGIN → dataset_platform_tests/support/datadog_server.py). No real Datadog, no OCR."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from dataset_platform.common import settings
from dataset_platform.defs.experiments import datadog_dataset, experiment_results
from dataset_platform.experiments import history
from dataset_platform.forms import datadog_export as dx
from dataset_platform.forms.ground_truth import load_ground_truth, write_ground_truth
from dataset_platform.resources.datadog import DatadogLLMObs, LocalLLMObs
from dataset_platform.resources.wandb import WandbResource
from dataset_platform_tests.support.datadog_server import DatadogTestServer

API_KEY, APP_KEY = "dd-api-secret-123", "dd-app-secret-456"


@pytest.fixture
def dd_server(monkeypatch):
    with DatadogTestServer() as server:
        monkeypatch.setenv("DD_LLMOBS_OVERRIDE_ORIGIN", server.url)
        yield server


def _resource() -> DatadogLLMObs:
    return DatadogLLMObs(api_key=API_KEY, app_key=APP_KEY, site="datadoghq.eu")


def _metadata(result, key):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return event.materialization.metadata


def _assert_no_secret(metadata) -> None:
    text = json.dumps({k: str(v.value) for k, v in metadata.items()})
    assert API_KEY not in text and APP_KEY not in text


def test_export_shapes():
    records = [
        {
            "id": "b",
            "input": {"form_set_name": "b", "image_paths": ["/x/b/page_01.png"], "num_pages": 1},
            "expected_output": None,
            "metadata": {"status": "unavailable", "error": "not extracted yet"},
        },
        {
            "id": "a",
            "input": {"form_set_name": "a", "image_paths": ["/x/a/page_01.png", "/x/a/page_02.png"]},
            "expected_output": {"form_info": {"province": "ภูเก็ต"}},
            "metadata": {"status": "human-reviewed"},
        },
    ]
    export = dx.build_export(records, version="v20260101_000000")
    assert [r["id"] for r in export["records"]] == ["a", "b"]
    assert export["records"][0]["input"] == {
        "form_set_name": "a",
        "image_paths": ["/x/a/page_01.png", "/x/a/page_02.png"],
        "num_pages": 2,
    }
    assert export["status_counts"] == {"human-reviewed": 1, "unavailable": 1}
    assert {"name", "description", "version", "records"} <= set(export)
    dd = dx.to_ddtrace_records(export)
    assert dd == [
        {
            "input_data": export["records"][0]["input"],
            "expected_output": {"form_info": {"province": "ภูเก็ต"}},
            "metadata": {"status": "human-reviewed", "form_kind": None, "party_list": False, "form_set_id": "a"},
        }
    ]
    assert dx.record_key(dd[0]) == "a"


def _gt_record(form_set_id: str, status: str, form_type: str) -> dict:
    return {
        "id": form_set_id,
        "input": {"form_set_name": form_set_id, "image_paths": [], "num_pages": 1},
        "expected_output": {"form_info": {"form_type": form_type}},
        "metadata": {"status": status},
    }


def test_needs_review_records_are_left_out_unless_included():
    records = [
        _gt_record("a", "human-reviewed", "ส.ส. ๕/๑๖ (บช)"),
        _gt_record("b", "needs-review", "ส.ส. 5/18"),
        _gt_record("c", "llm-generated", "ส.ส. 5/17"),
    ]
    export = dx.build_export(records, version="v20260101_000000")
    assert export["status_counts"] == {"human-reviewed": 1, "llm-generated": 1, "needs-review": 1}
    dd = dx.to_ddtrace_records(export)
    assert [dx.record_key(r) for r in dd] == ["a", "c"]
    assert dd[0]["metadata"]["form_kind"] == "ส.ส. 5/16 (บช)" and dd[0]["metadata"]["party_list"] is True
    assert [dx.record_key(r) for r in dx.to_ddtrace_records(export, include_needs_review=True)] == ["a", "b", "c"]


def test_datadog_dataset_excludes_needs_review_by_config(platform_home):
    records = [_gt_record("a", "human-reviewed", "ส.ส. 5/18"), _gt_record("b", "needs-review", "ส.ส. 5/18")]
    write_ground_truth(records)
    meta = _metadata(dg.materialize([datadog_dataset], resources={"datadog": LocalLLMObs()}), "datadog_dataset")
    assert meta["scorable_records"].value == 1 and meta["needs_review_excluded"].value == 1
    assert meta["needs_review_records"].value == 1
    config = dg.RunConfig(ops={"datadog_dataset": {"config": {"include_needs_review": True}}})
    result = dg.materialize([datadog_dataset], resources={"datadog": LocalLLMObs()}, run_config=config)
    meta = _metadata(result, "datadog_dataset")
    assert meta["scorable_records"].value == 2 and meta["needs_review_excluded"].value == 0


def test_datadog_dataset_without_keys_is_local_only(tiny_ground_truth):
    version, truths = tiny_ground_truth
    result = dg.materialize([datadog_dataset], resources={"datadog": LocalLLMObs()})
    meta = _metadata(result, "datadog_dataset")
    assert meta["destination"].value.startswith("local-only")
    assert meta["dagster/row_count"].value == len(truths)
    path = settings.exports_dir() / "datadog" / f"{dx.DATASET_NAME}_{version}.json"
    assert json.loads(path.read_text())["version"] == version
    assert meta["dataset_action"].value == "created"
    # unchanged ground truth → the local dataset keeps its version
    again = _metadata(dg.materialize([datadog_dataset], resources={"datadog": LocalLLMObs()}), "datadog_dataset")
    assert again["dataset_action"].value == "unchanged" and again["dataset_version"].value == 1


def test_datadog_dataset_push_create_then_update(tiny_ground_truth, dd_server):
    version, truths = tiny_ground_truth
    result = dg.materialize([datadog_dataset], resources={"datadog": _resource()})
    meta = _metadata(result, "datadog_dataset")
    assert meta["destination"].value == "pushed to Datadog"
    assert meta["dataset_action"].value == "created"
    [dataset] = dd_server.state.datasets.values()
    assert dataset.name == dx.DATASET_NAME and len(dataset.records) == len(truths)
    assert meta["dataset_url"].value == f"https://app.datadoghq.eu/llm/datasets/{dataset.id}"
    # the push log names the dataset by the id ddtrace got from the server (ddtrace_id reads ddtrace's _id)
    [logged] = [json.loads(line) for line in dx.pushes_path().read_text().splitlines()]
    assert logged["dataset_id"] == dataset.id and logged["mode"] == "datadog" and logged["inserted"] == len(truths)
    stored = sorted(dataset.records.values(), key=lambda r: r["input"]["form_set_name"])
    first_id = sorted(truths)[0]
    assert stored[0]["input"]["form_set_name"] == first_id
    assert stored[0]["expected_output"] == truths[first_id]
    assert stored[0]["metadata"]["status"] == "human-reviewed"
    # every request carried the keys as headers, never in the URL
    assert all(
        r.headers["dd-api-key"] == API_KEY and r.headers["dd-application-key"] == APP_KEY
        for r in dd_server.state.requests
    )
    assert all(API_KEY not in r.path for r in dd_server.state.requests)
    _assert_no_secret(meta)

    # a reviewer corrects one form set and one form set disappears → one update, one delete, a new version
    _, records = load_ground_truth()
    records[0]["expected_output"]["ballot_statistics"]["bad_ballots"] = 999
    records[0]["metadata"]["reviewer"] = "second reviewer"
    write_ground_truth(records[:-1])
    meta = _metadata(dg.materialize([datadog_dataset], resources={"datadog": _resource()}), "datadog_dataset")
    assert meta["dataset_action"].value == "updated"
    assert meta["records_inserted_updated_deleted"].value == "0/1/1"
    assert dataset.version == 2 and len(dataset.records) == len(truths) - 1
    changed = [r for r in dataset.records.values() if r["input"]["form_set_name"] == first_id][0]
    assert changed["expected_output"]["ballot_statistics"]["bad_ballots"] == 999
    assert dx.dataset_version_for(load_ground_truth()[0], "datadog") == 2


def test_experiment_pushed_to_datadog(tiny_ground_truth, dd_server, models, gemini):
    version, truths = tiny_ground_truth
    gemini.fail_next(1, status=400)  # one form set fails (400 is not retried) → an errored row in Datadog
    resources = {"models": models, "datadog": _resource(), "wandb": WandbResource()}
    run_config = {
        "ops": {
            "experiment_results": {
                "config": {
                    "model_configs": [{"model": "gemini-2.5-flash"}],
                    "jobs": 1,
                    "project_name": "vote-tests",
                }
            }
        }
    }
    result = dg.materialize([datadog_dataset, experiment_results], resources=resources, run_config=run_config)
    assert result.success

    state = dd_server.state
    [experiment] = state.experiments.values()
    [experiment_id] = state.experiments
    assert experiment["name"] == "vote-extraction-gemini-2.5-flash-t0.0"
    assert experiment["config"]["model"] == "gemini-2.5-flash" and experiment["config"]["temperature"] == 0.0
    assert experiment["dataset_id"] in state.datasets and experiment["status"] in ("completed", "failed")
    assert f"ground_truth_version:{version}" in experiment["metadata"]["tags"]
    assert "vote-tests" in state.projects

    metrics = [m for batch in state.experiment_events[experiment_id] for m in batch["metrics"]]
    labels = [m["label"] for m in metrics]
    for name in ("field_accuracy", "ballot_accuracy", "vote_accuracy", "exact_match", "consistency"):
        assert labels.count(name) == len(truths)
    for name in ("overall_accuracy", "success_rate", "avg_ballot_accuracy", "overall_accuracy_ci_low", "total_tokens"):
        assert name in labels
    summary = {m["label"]: m.get("score_value") for m in metrics if m["label"] == "success_rate"}
    assert summary["success_rate"] == pytest.approx((len(truths) - 1) / len(truths))
    assert state.intake, "experiment spans reach the span intake"

    [entry] = history.read_history()
    [config] = history.load_results(entry).configs
    assert config.mode == "datadog"
    assert config.experiment_url == f"https://app.datadoghq.eu/llm/experiments/{experiment_id}"
    assert config.experiment_id == experiment_id
    failed = [r for r in config.records if r["error"]]
    assert len(failed) == 1 and failed[0]["field_accuracy"] == 0.0
    assert config.summary["success_rate"] == pytest.approx((len(truths) - 1) / len(truths))
    meta = _metadata(result, "experiment_results")
    assert meta["datadog/gemini-2.5-flash-t0.0"].value == config.experiment_url
    assert "[Datadog](https://app.datadoghq.eu/llm/experiments/" in meta["comparison"].value
    _assert_no_secret(meta)


def test_experiment_runs_over_exactly_the_sampled_records(tiny_ground_truth, dd_server, models, gemini):
    version, truths = tiny_ground_truth
    resources = {"models": models, "datadog": _resource(), "wandb": WandbResource()}
    run_config = {
        "ops": {
            "experiment_results": {
                "config": {"model_configs": [{"model": "gemini-2.5-flash"}], "jobs": 1, "sample_size": 2, "seed": 3}
            }
        }
    }
    result = dg.materialize([datadog_dataset, experiment_results], resources=resources, run_config=run_config)
    assert result.success
    [experiment_id] = dd_server.state.experiments
    metrics = [m for batch in dd_server.state.experiment_events[experiment_id] for m in batch["metrics"]]
    assert [m["label"] for m in metrics].count("field_accuracy") == 2
    [entry] = history.read_history()
    results = history.load_results(entry)
    [config] = results.configs
    # every sampled record was scored in Datadog (a record left out of the run would have no evaluation)
    assert [r["id"] for r in config.records] == results.record_ids and len(results.record_ids) == 2
    assert all(r["field_accuracy"] == 1.0 for r in config.records)
    # the records left out of the run were dropped from the pulled copy only, never from the dataset
    [dataset] = dd_server.state.datasets.values()
    assert len(dataset.records) == len(truths) and dataset.version == 1
    assert len(dd_server.state.find("POST", "/batch_update$")) == 1  # the create's upload, no later edit
