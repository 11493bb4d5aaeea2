"""Pipeline sources: files (CSV, JSON, JSONL, Parquet, Excel; globs, latest), SQL on SQLite and PostgreSQL, the
local hub, a paginated REST endpoint (local HTTP server, retries) and its file:// fallback; PII schema flags."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from dataset_platform.pipelines.spec import parse_pipeline
from dataset_platform.pipelines.steps import read_source_to
from dataset_platform.pipelines.tables import infer_schema
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform_tests.pipelines.helpers import publish_grievance_versions
from dataset_platform_tests.support.json_api_server import paginated_server

ROWS = [{"id": 1, "name": "Somchai", "when": "2026-03-01"}, {"id": 2, "name": "Suda", "when": "2026-03-02"}]


def read(tmp_path, source: dict, resources=None):
    spec = parse_pipeline("t", tmp_path, {"source": source}, "t.yaml")
    out = tmp_path / "out.parquet"
    outcome = read_source_to(spec, spec.source, out, resources or {})
    return pq.read_table(out).to_pylist(), outcome


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet", "excel"])
def test_file_formats(tmp_path, fmt):
    df = pd.DataFrame(ROWS)
    path = tmp_path / f"data.{ {'excel': 'xlsx'}.get(fmt, fmt) }"
    {
        "csv": lambda: df.to_csv(path, index=False),
        "json": lambda: path.write_text(json.dumps(ROWS)),
        "jsonl": lambda: path.write_text("".join(json.dumps(r) + "\n" for r in ROWS)),
        "parquet": lambda: df.to_parquet(path),
        "excel": lambda: df.to_excel(path, index=False),
    }[fmt]()
    rows, outcome = read(tmp_path, {"type": "files", "path": path.name})
    assert [(r["id"], r["name"]) for r in rows] == [(1, "Somchai"), (2, "Suda")]
    if fmt in ("json", "jsonl"):
        assert rows[0]["when"] == "2026-03-01"  # JSON strings stay strings (no date guessing)


def test_glob_all_and_latest(tmp_path, platform_home):
    for version in ("v20260101_000000", "v20260102_000000"):
        (platform_home / "gt").mkdir(exist_ok=True)
        (platform_home / "gt" / f"{version}.csv").write_text(f"id,version\n1,{version}\n")
    rows, outcome = read(tmp_path, {"type": "files", "path": "{home}/gt/v*.csv"})
    assert sorted(r["version"] for r in rows) == ["v20260101_000000", "v20260102_000000"]
    rows, _ = read(tmp_path, {"type": "files", "path": "{home}/gt/v*.csv", "pick": "latest"})
    assert [r["version"] for r in rows] == ["v20260102_000000"]
    with pytest.raises(FileNotFoundError, match="no file matches"):
        read(tmp_path, {"type": "files", "path": "{home}/none/*.csv"})


def test_sql_on_the_review_database(db_url, tmp_path):
    db = ReviewDatabase(url=db_url)
    with db.get_engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO complaints (id, message, department, urgency) VALUES "
                "(1, 'road broken', 'D', 'NORMAL'), (2, 'no water', 'D', 'URGENT')"
            )
        )
    query = "SELECT id, message FROM complaints WHERE urgency = 'URGENT'"
    rows, outcome = read(tmp_path, {"type": "sql", "query": query}, {"review_db": db})
    assert rows == [{"id": 2, "message": "no water"}]
    assert "://" in outcome.metadata["database"] and "password" not in outcome.metadata["database"]


def test_hub_source_reads_the_latest_local_version_with_label_names(tmp_path):
    publish_grievance_versions(n=40)
    rows, outcome = read(
        tmp_path,
        {"type": "hub", "repo": "local/urgency-dataset", "class_label_names": ["label"]},
        {"hub": DatasetHub()},
    )
    assert len(rows) == 40 and {r["split"] for r in rows} == {"train", "eval", "test"}
    assert {(r["label"], r["label_name"]) for r in rows} == {(0, "NORMAL"), (1, "URGENT"), (2, "HIGHLY URGENT")}
    assert outcome.metadata["version"].startswith("v")


def test_rest_pagination_with_retries_over_http(tmp_path):
    records = [{"id": i, "email": f"user{i}@example.com"} for i in range(7)]
    server = paginated_server(records, page_size=3)
    try:
        server.faults.extend([503, 429])  # two transient faults before the first page
        rows, outcome = read(tmp_path, {"type": "rest", "url": f"{server.url}/items?page=1", "backoff_s": 0.01})
        assert [r["id"] for r in rows] == list(range(7)) and outcome.metadata["pages"] == 3
        assert len(server.requests) == 5
        server.faults.extend([500] * 5)
        with pytest.raises(RuntimeError, match="failed after 3 attempts"):
            read(tmp_path, {"type": "rest", "url": f"{server.url}/items", "retries": 2, "backoff_s": 0.01})
    finally:
        server.stop()


def test_rest_page_param_pagination_and_url_env(tmp_path, monkeypatch):
    server = paginated_server([{"id": i} for i in range(5)], page_size=2)
    try:
        monkeypatch.setenv("ITEMS_URL", f"{server.url}/items")
        rows, outcome = read(
            tmp_path, {"type": "rest", "url": "unused.json", "url_env": "ITEMS_URL", "page_param": "page", "next": None}
        )
        assert [r["id"] for r in rows] == list(range(5)) and outcome.metadata["pages"] == 4  # last page is empty
    finally:
        server.stop()


def test_rest_file_fallback_follows_next_links(tmp_path):
    (tmp_path / "p1.json").write_text(json.dumps({"data": [{"id": 1}], "next": "p2.json"}))
    (tmp_path / "p2.json").write_text(json.dumps({"data": [{"id": 2}], "next": None}))
    rows, outcome = read(tmp_path, {"type": "rest", "url": "p1.json"})
    assert [r["id"] for r in rows] == [1, 2] and outcome.metadata["pages"] == 2


def test_schema_inference_flags_likely_pii_columns(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.Table.from_pylist([{"contact": "x", "notes": f"call 08123456{i:02d}", "city": "BKK"} for i in range(10)]),
        path,
    )
    flags = {c.name: c.pii for c in infer_schema(path)}
    assert flags == {"contact": ["name"], "notes": ["phone"], "city": []}
