"""The three shipped pipelines materialise through Dagster (vote_extraction_sft, grievance_instructions,
customer_orders with its REST source over HTTP), their exports are right, and a failing quality gate blocks
the outputs in the same run."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

import dataset_platform.definitions as project
from dataset_platform.common import settings
from dataset_platform_tests.pipelines.helpers import (
    load_project,
    materialize_pipeline,
    materialized,
    pipeline_file,
    publish_grievance_versions,
    step_failures,
    with_resources,
    write_reviewed_ground_truth,
)
from dataset_platform_tests.support.json_api_server import paginated_server


def _exports(name: str):
    return settings.exports_dir() / "pipelines" / name


def _jsonl(name: str, file: str) -> list[dict]:
    return [json.loads(line) for line in (_exports(name) / file).read_text().splitlines()]


def test_vote_extraction_sft_builds_a_multimodal_set_from_reviewed_ground_truth():
    write_reviewed_ground_truth(n=6)
    result = materialize_pipeline(project.defs, "vote_extraction_sft")
    assert result.success, step_failures(result)
    meta = materialized(result)
    assert meta["vote_extraction_sft/source"]["dagster/row_count"] == 6
    assert meta["vote_extraction_sft/reviewed"]["dagster/row_count"] == 3  # human-reviewed only
    sharegpt = _jsonl("vote_extraction_sft", "vote_extraction_sft_export_jsonl_sharegpt.jsonl")
    assert len(sharegpt) == 3
    first = sharegpt[0]
    assert [t["from"] for t in first["conversations"]] == ["human", "gpt"]
    assert first["conversations"][0]["value"].startswith("<image>" * first["num_pages"] + "You are reading one Thai")
    assert len(first["images"]) == first["num_pages"] and all(p.endswith(".png") for p in first["images"])
    answer = json.loads(first["conversations"][1]["value"])
    assert answer["ballot_statistics"]["good_ballots"] == 380  # the reviewer's value, not the model's 300
    assert answer["form_info"]["election_date"] == "2023-05-14"
    openai = _jsonl("vote_extraction_sft", "vote_extraction_sft_export_jsonl_openai.jsonl")
    assert [m["role"] for m in openai[0]["messages"]] == ["user", "assistant"]
    assert openai[0]["images"] == first["images"]
    info = json.loads((_exports("vote_extraction_sft") / "dataset_info.json").read_text())
    assert info["vote_extraction_sft_sharegpt"]["columns"]["images"] == "images"
    assert info["vote_extraction_sft_openai"]["tags"]["role_tag"] == "role"
    axolotl = (_exports("vote_extraction_sft") / "vote_extraction_sft_export_jsonl_sharegpt.axolotl.yaml").read_text()
    assert "field_messages: conversations" in axolotl
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["score"].value == 100.0


def test_grievance_instructions_merges_both_published_labels_into_alpaca_and_messages():
    publish_grievance_versions(n=60)
    result = materialize_pipeline(project.defs, "grievance_instructions")
    assert result.success, step_failures(result)
    alpaca = _jsonl("grievance_instructions", "grievance_instructions_export_jsonl_alpaca.jsonl")
    assert len(alpaca) == 120
    dept = [r for r in alpaca if r["instruction"].startswith("Which department")]
    urgency = [r for r in alpaca if r["instruction"].startswith("How urgent")]
    assert len(dept) == len(urgency) == 60
    assert {r["output"] for r in urgency} == {"NORMAL", "URGENT", "HIGHLY URGENT"}
    assert all(r["system"].startswith("You route") and r["input"] == "" for r in alpaca)
    assert "chat_valid" not in alpaca[0] and "tokens_estimate" not in alpaca[0]  # report columns stay out of files


def test_customer_orders_over_http_joins_cleans_masks_and_publishes_once(monkeypatch):
    data = Path(project.__file__).parent / "defs" / "pipelines" / "customer_orders" / "data" / "customers"
    customers = [c for p in sorted(data.glob("page-*.json")) for c in json.loads(p.read_text())["data"]]
    server = paginated_server(customers, page_size=15)
    try:
        server.faults.append(503)
        monkeypatch.setenv("CUSTOMERS_API_URL", f"{server.url}/items")
        result = materialize_pipeline(project.defs, "customer_orders")
        assert result.success, step_failures(result)
        assert len([r for r in server.requests if r[0] == "GET"]) == 4  # 503 retried, then 3 pages
    finally:
        server.stop()
    meta = materialized(result)
    joined, source = meta["customer_orders/with_customers"], meta["customer_orders/source"]
    assert joined["dagster/row_count"] < source["dagster/row_count"]  # orders of unknown customers drop out
    rows = pq.read_table(pipeline_file("customer_orders", "pii")).to_pylist()
    assert rows and all(r["email"] == "[EMAIL]" for r in rows)
    assert not any("081-234-5678" in (r["delivery_note"] or "") or "<b>" in (r["delivery_note"] or "") for r in rows)
    assert {r["status"] for r in rows} <= {"paid", "shipped", "refunded"}
    exported = pq.read_table(meta["customer_orders/export_parquet"]["path"]).to_pylist()
    assert exported == rows
    hub = meta["customer_orders/hub"]
    assert hub["status"] == "published" and hub["dagster/uri"].startswith("file://")
    assert "customer_orders/source" in meta and meta["customer_orders/pii"]["pii_found"]["email"] > 0
    monkeypatch.delenv("CUSTOMERS_API_URL")
    again = materialize_pipeline(project.defs, "customer_orders")  # file:// fallback now; same rows → unchanged
    assert materialized(again)["customer_orders/hub"]["status"] == "unchanged"


GATED = """
type: dataset_platform.components.DatasetPipeline
attributes:
  source: {type: files, path: rows.csv}
  steps:
    - id: gate
      kind: quality
      rules: [{name: positive, column: amount, range: [0, null], severity: critical}]
      min_quality_score: 90
  outputs:
    - {type: export, format: jsonl}
"""


def _one_pipeline(tmp_path: Path, name: str, yaml: str):
    """A project holding just the pipeline ``name``, with the platform's resources; (defs, its folder)."""
    project_dir = tmp_path / "proj"
    project_dir.mkdir()
    defs = with_resources(load_project(project_dir, {name: yaml}))
    return defs, next(project_dir.glob(f"tmp_pipelines_*/defs/{name}"))


def test_failing_quality_gate_blocks_the_outputs_in_the_same_run(tmp_path):
    defs, folder = _one_pipeline(tmp_path, "gated", GATED)
    (folder / "rows.csv").write_text("id,amount\n1,5\n2,-3\n")
    result = materialize_pipeline(defs, "gated")
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["score"].value < 90
    assert "gated/gate" in materialized(result) and "gated/export_jsonl" not in materialized(result)
    (folder / "rows.csv").write_text("id,amount\n1,5\n2,3\n")
    result = materialize_pipeline(defs, "gated")
    assert result.success and "gated/export_jsonl" in materialized(result)


TO_DATADOG = """
type: dataset_platform.components.DatasetPipeline
attributes:
  source: {type: files, path: rows.jsonl}
  outputs:
    - {type: datadog, dataset: tiny-eval, input_columns: [question], expected_output: answer, key: id}
    - {type: export, format: json}
"""


def test_datadog_output_pushes_records_through_the_datadog_resource(tmp_path):
    defs, folder = _one_pipeline(tmp_path, "to_dd", TO_DATADOG)
    rows = [{"id": 1, "question": "2+2", "answer": "4"}, {"id": 2, "question": "3+3", "answer": "6"}]
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = materialize_pipeline(defs, "to_dd")
    assert result.success, step_failures(result)
    meta = materialized(result)["to_dd/datadog"]
    assert meta["mode"] == "local" and meta["num_records"] == 2 and meta["action"] == "created"
    from dataset_platform.resources.datadog import LocalLLMObs

    pulled = LocalLLMObs().pull_dataset("tiny-eval").records
    assert sorted((r["input_data"]["question"], r["expected_output"]) for r in pulled) == [("2+2", "4"), ("3+3", "6")]
    exported = json.loads(Path(materialized(result)["to_dd/export_json"]["path"]).read_text())
    assert exported == rows
