"""The local Datadog dataset store (versions on disk, push→pull, created/unchanged/updated), the record diff
and record selection on a real ddtrace Dataset, and which `datadog` resource `build_resources` picks. No network."""

from __future__ import annotations

import json

import pytest

from dataset_platform.defs.resources import build_resources
from dataset_platform.experiments.datadog_store import (
    ExperimentRequest,
    LocalDatasetStore,
    PushResult,
    keep_only,
    sync_records,
)
from dataset_platform.resources.datadog import DatadogLLMObs, ExperimentsUnsupportedError, LocalLLMObs


def _record(key: str, answer: str, **metadata) -> dict:
    return {"input_data": {"q": key}, "expected_output": answer, "metadata": {"key": key, **metadata}}


def _key(record) -> str:
    return str(record["metadata"]["key"])


def test_local_push_pull_round_trip_and_actions(platform_home):
    store = LocalDatasetStore.at_home()
    first = [_record("a", "1"), _record("b", "2")]
    created = store.push("ds", "demo", first)
    assert (created.mode, created.action, created.version, created.num_records) == ("local", "created", 1, 2)
    assert created.url == str(platform_home / "datadog" / "datasets" / "ds" / "v1.json")
    pulled = store.pull("ds")
    assert pulled.version == 1 and pulled.records == first

    assert store.push("ds", "demo", first).action == "unchanged"
    assert store.versions("ds") == [1]

    second = [_record("a", "1"), _record("b", "3")]
    updated = store.push("ds", "demo", second)
    assert (updated.action, updated.version) == ("updated", 2)
    assert store.pull("ds").records == second
    assert store.pull("ds", version=1).records == first  # earlier versions stay readable
    with pytest.raises(FileNotFoundError, match="no version 7"):
        store.pull("ds", version=7)
    with pytest.raises(FileNotFoundError, match="materialise datadog_dataset"):
        store.pull("missing")


def test_local_store_reads_the_layout_earlier_releases_wrote(platform_home):
    records = [_record("a", "1")]
    legacy = platform_home / "datadog" / "datasets" / "old" / "v3.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"name": "old", "description": "d", "version": 3, "records": records}))
    resource = LocalLLMObs()
    assert resource.pull_dataset("old").version == 3
    again = resource.push_dataset("old", "d", records, _key)
    assert (again.action, again.version) == ("unchanged", 3)
    assert resource.push_dataset("old", "d", [_record("a", "2")], _key).version == 4
    written = json.loads((legacy.parent / "v4.json").read_text())
    assert set(written) == {"name", "description", "version", "records"} and written["version"] == 4


def test_push_result_to_dict_leaves_unknown_counts_out():
    local = PushResult("local", "created", "ds", 1, "/x/v1.json", 2)
    assert local.to_dict() == {
        "mode": "local",
        "action": "created",
        "dataset_id": "ds",
        "version": 1,
        "url": "/x/v1.json",
        "num_records": 2,
    }
    remote = PushResult("datadog", "updated", "id", 2, "https://x", 2, inserted=0, updated=1, deleted=0)
    assert remote.to_dict()["inserted"] == 0 and remote.to_dict()["updated"] == 1


def test_local_resource_does_not_run_experiments():
    with pytest.raises(ExperimentsUnsupportedError):
        LocalLLMObs().run_experiment(
            ExperimentRequest(
                name="x",
                task=lambda input_data, config=None: input_data,
                dataset_name="d",
                evaluators=[],
                summary_evaluators=[],
                config={},
                record_keys=["a"],
                key=lambda r: str(r["input_data"]),
                jobs=1,
                raise_errors=False,
            )
        )


def _ddtrace_dataset(records):
    """A real ddtrace Dataset as pulled (no client: nothing here is pushed)."""
    from ddtrace.llmobs import Dataset

    rows = [{"record_id": f"r{i}", **r} for i, r in enumerate(records)]
    return Dataset(
        name="ds",
        project={"name": "p", "_id": "p1"},
        dataset_id="ds-1",
        records=rows,
        description="",
        latest_version=1,
        version=1,
        _dne_client=None,
    )


def test_sync_records_stages_insert_update_delete_on_a_ddtrace_dataset():
    dataset = _ddtrace_dataset([_record("a", "1"), _record("b", "2"), _record("c", "3")])
    changes = sync_records(dataset, [_record("a", "1"), _record("b", "20"), _record("d", "4")], _key)
    assert (changes.inserted, changes.updated, changes.deleted) == (1, 1, 1)
    assert sorted((_key(r), r["expected_output"]) for r in dataset) == [("a", "1"), ("b", "20"), ("d", "4")]
    assert not sync_records(dataset, list(dataset), _key).any


def test_keep_only_leaves_exactly_the_chosen_records_without_staging_a_push():
    """An experiment over a Dataset runs over all its records: this is how a sample is chosen publicly."""
    dataset = _ddtrace_dataset([_record(k, k) for k in "abcde"])
    keep_only(dataset, ["d", "b"], _key)
    assert sorted(_key(r) for r in dataset) == ["b", "d"] and len(dataset) == 2
    assert dataset.version == 1  # still the pulled version the experiment is recorded against
    with pytest.raises(ValueError, match="records missing"):
        keep_only(dataset, ["a"], _key, "ds")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, LocalLLMObs),
        ({"DD_API_KEY": "k"}, LocalLLMObs),
        ({"DD_APP_KEY": "a"}, LocalLLMObs),
        ({"DD_API_KEY": "k", "DD_APP_KEY": "a"}, DatadogLLMObs),
    ],
)
def test_build_resources_picks_the_datadog_type_only_with_both_keys(monkeypatch, env, expected):
    for name in ("DD_API_KEY", "DD_APP_KEY", "DD_SITE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource = build_resources()["datadog"]
    assert type(resource) is expected
    assert resource.mode == ("datadog" if expected is DatadogLLMObs else "local")
    if expected is DatadogLLMObs:  # keys resolved at launch, never copied into the resource's config
        assert (resource.api_key.env_var_name, resource.app_key.env_var_name) == ("DD_API_KEY", "DD_APP_KEY")
