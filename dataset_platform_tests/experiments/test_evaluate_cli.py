"""`dataset-platform evaluate` on JSON-lines files written here; no models, no services."""

from __future__ import annotations

import json

import pytest

from dataset_platform.cli import main as cli_main
from dataset_platform_tests.experiments.test_evaluators import _expected


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_evaluate_prints_one_json_object(tmp_path, capsys):
    half = _expected()
    half["vote_results"] = half["vote_results"][:1]
    predictions = _write(
        tmp_path / "p.jsonl",
        [
            {"id": "a", "extraction": _expected(), "error": None},
            {"id": "b", "extraction": half, "error": None},
            {"id": "c", "extraction": None, "error": "HTTP 500 after 4 attempts"},
            {"id": "orphan", "extraction": _expected(), "error": None},
        ],
    )
    expected = _write(
        tmp_path / "e.jsonl",
        [
            {"id": "a", "extraction": _expected()},
            {"id": "b", "extraction": _expected()},
            {"id": "c", "extraction": _expected()},
            {"id": "d", "extraction": _expected()},
        ],
    )
    assert cli_main(["evaluate", "--predictions", str(predictions), "--expected", str(expected)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    result = json.loads(out)
    by_id = {r["id"]: r for r in result["records"]}
    assert list(by_id) == ["a", "b", "c", "d"]
    assert by_id["a"]["exact_match"] is True
    assert by_id["b"]["field_accuracy"] == pytest.approx(19 / 23)
    assert by_id["b"]["vote_accuracy"] == 0.5
    assert by_id["c"] == {
        "id": "c",
        "field_accuracy": 0.0,
        "ballot_accuracy": 0.0,
        "vote_accuracy": 0.0,
        "exact_match": False,
        "consistency": 0.0,
        "error": "HTTP 500 after 4 attempts",
    }
    assert by_id["d"]["error"] == "no prediction for this id"
    summary = result["summary"]
    assert summary["overall_accuracy"] == pytest.approx((1 + 19 / 23) / 4)
    assert summary["success_rate"] == 0.5
    assert summary["avg_ballot_accuracy"] == 0.5
    assert summary["num_records"] == 4
    assert summary["unscored_ids"] == ["orphan"]
    assert summary["overall_accuracy_ci_low"] <= summary["overall_accuracy"] <= summary["overall_accuracy_ci_high"]


def test_evaluate_reports_bad_input_clearly(tmp_path, capsys):
    good = _write(tmp_path / "e.jsonl", [{"id": "a", "extraction": _expected()}])
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"id": "a", "extraction": null}\n{not json\n', encoding="utf-8")
    assert cli_main(["evaluate", "--predictions", str(bad), "--expected", str(good)]) == 2
    assert "p.jsonl:2: not JSON" in capsys.readouterr().err
    assert cli_main(["evaluate", "--predictions", str(tmp_path / "missing.jsonl"), "--expected", str(good)]) == 2
    assert "cannot read" in capsys.readouterr().err
