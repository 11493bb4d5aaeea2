"""Every step kind run on small Parquet files without Dagster (DuckDB pushdown, clean, dedupe, pii, quality, chat,
llm through a local OpenAI-compatible server: cache, retries, tokens, unavailable backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataset_platform.common.pii import find_pii, mask_pii
from dataset_platform.components.dataset_pipeline import run_step
from dataset_platform.pipelines.spec import parse_pipeline
from dataset_platform.pipelines.tables import duck, scan
from dataset_platform_tests.support.json_api_server import openai_server


def spec_with(tmp_path: Path, *steps: dict):
    attributes = {"source": {"type": "files", "path": "in.parquet"}, "steps": list(steps)}
    return parse_pipeline("t", tmp_path, attributes, "t.yaml")


def run(tmp_path: Path, step: dict, rows: list[dict], resources=None):
    spec = spec_with(tmp_path, step)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    out = tmp_path / f"{step['id']}.parquet"
    outcome = run_step(spec, spec.steps[0], src, out, resources or {})
    return pq.read_table(out).to_pylist(), outcome


ROWS = [{"id": i, "city": "BKK" if i % 2 else "CNX", "amount": float(i)} for i in range(10)]


def test_filter_select_sql(tmp_path):
    rows, outcome = run(tmp_path, {"id": "f", "kind": "filter", "where": "city = 'BKK' AND amount > 4"}, ROWS)
    assert [r["id"] for r in rows] == [5, 7, 9] and outcome.rows == 3
    select = {"id": "s", "kind": "select", "columns": ["id", "amount"], "rename": {"amount": "usd"}}
    rows, _ = run(tmp_path, select, ROWS)
    assert rows[0] == {"id": 0, "usd": 0.0}
    rows, _ = run(
        tmp_path,
        {"id": "q", "kind": "sql", "query": "SELECT city, sum(amount) AS total FROM input GROUP BY city ORDER BY city"},
        ROWS,
    )
    assert rows == [{"city": "BKK", "total": 25.0}, {"city": "CNX", "total": 20.0}]


def test_duckdb_pushes_the_filter_and_projection_into_the_parquet_scan(tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), src)
    with duck() as con:
        plan = "\n".join(r[1] for r in con.execute(f"EXPLAIN SELECT id FROM {scan(src)} WHERE amount > 4").fetchall())
    scan_node = plan[plan.index("PARQUET_SCAN") if "PARQUET_SCAN" in plan else plan.index("READ_PARQUET") :]
    assert "Filters:" in scan_node and "amount>4" in scan_node.replace(" ", "")
    assert "Projections:" in scan_node


def test_join_with_a_file_source(tmp_path):
    (tmp_path / "cities.csv").write_text("city,name\nBKK,Bangkok\n")
    step = {"id": "j", "kind": "join", "with": {"type": "files", "path": "cities.csv"}, "keys": ["city"], "how": "left"}
    rows, _ = run(tmp_path, step, ROWS[:2])
    assert sorted((r["id"], r["name"]) for r in rows) == [(0, None), (1, "Bangkok")]


def test_clean_uses_the_retraining_rules(tmp_path):
    rows = [{"t": "see https://x.org/a <b>now</b>\n\n ok"}, {"t": "   "}, {"t": None}, {"t": "e\u0301"}]
    out, outcome = run(tmp_path, {"id": "c", "kind": "clean", "columns": ["t"]}, rows)
    assert [r["t"] for r in out] == ["see now ok", "é"]  # empty and null dropped; NFC applied
    assert outcome.metadata["dropped_empty"] == 2


def test_dedupe_exact_and_near(tmp_path):
    rows = [
        {"t": "The road in front of the school has been broken for three months"},
        {"t": "the road in front of the school has been broken for three months!"},
        {"t": "The road in front of the school has been broken for three months now"},
        {"t": "Street lights are out on Sukhumvit soi 11"},
    ]
    out, outcome = run(tmp_path, {"id": "d", "kind": "dedupe", "columns": ["t"], "threshold": 0.8}, rows)
    assert [r["t"] for r in out] == [rows[0]["t"], rows[3]["t"]]
    assert outcome.metadata["exact_duplicates"] == 1 and outcome.metadata["near_duplicates"] == 1
    out, _ = run(tmp_path, {"id": "d", "kind": "dedupe", "columns": ["t"], "near": False}, rows)
    assert len(out) == 3


def _thai_id(first12: str) -> str:
    check = (11 - sum(int(d) * (13 - i) for i, d in enumerate(first12)) % 11) % 10
    return first12 + str(check)


VALID_ID = _thai_id("110170020345")
BAD_ID = VALID_ID[:-1] + str((int(VALID_ID[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "text, kinds",
    [
        (f"บัตร {VALID_ID} ค่ะ", ["thai_national_id"]),
        (f"บัตร {BAD_ID} ค่ะ", []),
        ("mail me: somchai.k@example.co.th", ["email"]),
        ("โทร 081-234-5678", ["phone"]),
        ("โทร ๐๘๑๒๓๔๕๖๗๘", ["phone"]),
        ("फोन ९८४१२३४५६७ मा", ["phone"]),
        ("card 4111 1111 1111 1111", ["credit_card"]),
        ("card 4111 1111 1111 1112", []),
        ("from 192.168.10.20 and 999.1.1.1", ["ip_address"]),
    ],
)
def test_find_pii_kinds_with_checksums(text, kinds):
    assert [m.kind for m in find_pii(text)] == kinds


def test_mask_pii_placeholders_keep_the_rest():
    assert mask_pii(f"id {VALID_ID}, mail a@b.co, โทร ๐๘๑๒๓๔๕๖๗๘") == "id [TH_ID], mail [EMAIL], โทร [PHONE]"


@pytest.mark.parametrize("action", ["mask", "remove", "flag"])
def test_pii_step_actions(tmp_path, action):
    rows = [{"id": 1, "t": "call 0812345678"}, {"id": 2, "t": "nothing here"}]
    out, outcome = run(tmp_path, {"id": "p", "kind": "pii", "action": action}, rows)
    assert outcome.metadata["pii_found"] == {"phone": 1}
    if action == "mask":
        assert [r["t"] for r in out] == ["call [PHONE]", "nothing here"]
    elif action == "remove":
        assert [r["id"] for r in out] == [2]
    else:
        assert [r["pii_kinds"] for r in out] == [["phone"], []] and out[0]["t"] == "call 0812345678"


def test_quality_rules_and_weighted_score(tmp_path):
    rows = [
        {"age": 30, "email": "a@b.co", "kind": "x", "lo": 1, "hi": 2},
        {"age": 200, "email": "nope", "kind": "y", "lo": 5, "hi": 2},
    ]
    step = {
        "id": "q",
        "kind": "quality",
        "required": ["age", "missing_col"],
        "types": {"age": "integer", "email": "number"},
        "rules": [
            {"name": "age", "column": "age", "range": [0, 120], "severity": "high"},
            {"name": "email", "column": "email", "regex": "[^@]+@[^@]+", "severity": "medium"},
            {"name": "kind", "column": "kind", "enum": ["x"], "severity": "low"},
            {"name": "order", "expr": "lo <= hi", "severity": "medium"},
        ],
        "min_quality_score": 50,
    }
    out, outcome = run(tmp_path, step, rows)
    assert len(out) == 2  # rows pass through; the check decides
    report = json.loads((tmp_path / "q.quality.json").read_text())
    status = {f["check"]: (f["passed"], f["count"]) for f in report["findings"]}
    assert status["schema.required"] == (False, 1)
    assert status["schema.types"] == (False, 1)  # email is not a number
    assert status["rule.age"] == (False, 1) and status["rule.email"] == (False, 1)
    assert status["rule.kind"] == (False, 1) and status["rule.order"] == (False, 1)
    assert status["not_null.age"] == (True, 0)
    # 100 × Σ weight·pass / Σ weight: two critical fails pass 0, the others pass 1 − 1/2
    weights = {"critical": 1.0, "high": 0.7, "medium": 0.4, "low": 0.1}
    expected = (
        100
        * (1.0 * 0 + 1.0 * 0 + 1.0 * 1 + 0.7 * 1 + 0.7 * 0.5 + 0.4 * 0.5 + 0.1 * 0.5 + 0.4 * 0.5)
        / (3 * weights["critical"] + 2 * weights["high"] + 2 * weights["medium"] + weights["low"])
    )
    assert report["score"] == pytest.approx(expected, abs=0.01)
    assert outcome.metadata["quality_score"] == report["score"]


def test_chat_step_template_merge_and_validation(tmp_path):
    (tmp_path / "more.jsonl").write_text(
        json.dumps({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]})
        + "\n"
        + json.dumps({"conversations": [{"from": "human", "value": "q"}, {"from": "human", "value": ""}]})
        + "\n"
    )
    step = {
        "id": "c",
        "kind": "chat",
        "prompt": "Classify: {text}",
        "response": "{label}",
        "system": "Be brief.",
        "keep": ["id"],
        "merge": [{"source": {"type": "files", "path": "more.jsonl"}, "from": "sharegpt"}],
    }
    rows = [{"id": 1, "text": "น้ำไม่ไหล", "label": "water"}, {"id": 2, "text": "x", "label": None}]
    out, outcome = run(tmp_path, step, rows)
    assert out[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Classify: น้ำไม่ไหล"},
        {"role": "assistant", "content": "water"},
    ]
    assert [r["origin"] for r in out] == ["input", "merge_1"]
    assert outcome.metadata["unreadable_rows"] == 1  # row 2: null label, never rendered as "None"
    assert outcome.metadata["invalid_conversations"] == 1  # merged row 2: empty turn, roles do not alternate
    assert "empty turn at messages[i]" in outcome.metadata["problems"]


LLM_ROWS = [{"id": i, "text": t} for i, t in enumerate(["no water since monday", "broken road", "water pipe leak"])]
CLASSIFY = {
    "id": "l",
    "kind": "llm",
    "task": "classify",
    "model": "openai/test-model",
    "prompt": "Grievance: {text}",
    "output": "topic",
    "labels": ["water", "road"],
    "batch_size": 2,
    "max_concurrency": 2,
    "price_per_1m_input": 1.0,
    "price_per_1m_output": 2.0,
}


class _Models:
    def __init__(self, url):
        self.openai_base_url, self.openai_api_key = url + "/v1", "test-key"


def test_llm_classify_through_an_openai_compatible_server_then_rerun_from_cache(tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    server = openai_server()
    try:
        server.faults.extend([503])  # first request fails transiently: retried
        out, outcome = run(tmp_path, CLASSIFY, LLM_ROWS, {"models": _Models(server.url)})
        assert [r["topic"] for r in out] == ["water", "road", "water"]
        stats = outcome.metadata["llm"]
        assert stats["status"] == "ok" and stats["model_calls"] == 4 and stats["retries"] == 1 and stats["batches"] == 2
        assert stats["input_tokens"] > 0 and stats["cost_usd"] > 0 and stats["failures"] == 0
        sent = [body for method, _, body in server.requests]
        assert sent[0]["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"] == ["water", "road"]
        calls_before = len(server.requests)
        out2, again = run(tmp_path, CLASSIFY, LLM_ROWS, {"models": _Models(server.url)})
        assert len(server.requests) == calls_before  # unchanged inputs: 0 model calls
        assert again.metadata["llm"]["model_calls"] == 0 and again.metadata["llm"]["cache_hits"] == 3
        assert [r["topic"] for r in out2] == ["water", "road", "water"]
    finally:
        server.stop()


def test_llm_rows_that_keep_failing_get_null_and_their_error(tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    server = openai_server()
    try:
        server.faults.extend([500] * 20)
        out, outcome = run(tmp_path, {**CLASSIFY, "retries": 1}, LLM_ROWS[:1], {"models": _Models(server.url)})
        assert out[0]["topic"] is None and "TransientError" in out[0]["topic_error"]
        assert outcome.metadata["llm"]["failures"] == 1
    finally:
        server.stop()


def test_llm_unavailable_backends_are_reported_never_faked(tmp_path):
    out, outcome = run(tmp_path, CLASSIFY, LLM_ROWS, {"models": None})
    assert outcome.metadata["llm"]["status"] == "unavailable"
    assert "OPENAI_BASE_URL not set" in outcome.metadata["llm"]["reason"]
    assert all(r["topic"] is None for r in out)
    out, outcome = run(tmp_path, {**CLASSIFY, "model": "local/minilm"}, LLM_ROWS, {})
    stats = outcome.metadata["llm"]
    import importlib.util

    if importlib.util.find_spec("sentence_transformers") is None:
        assert stats["status"] == "unavailable" and "sentence-transformers" in stats["reason"]
        assert all(r["topic"] is None for r in out)
    else:
        assert stats["status"] == "ok"
