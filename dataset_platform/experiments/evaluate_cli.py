"""`dataset-platform evaluate`: score extract-CLI predictions against expected extractions (DESIGN.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dataset_platform.experiments.evaluators import RECORD_EVALUATOR_NAMES, evaluate_record, summarize


class InputError(ValueError):
    """A predictions/expected file that cannot be read as the documented JSON lines."""


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "id" not in row:
            raise InputError(f'{path}:{number}: expected an object with an "id"')
        yield row


def evaluate_files(predictions: Path, expected: Path) -> dict[str, Any]:
    """The DESIGN.md output object: per-record scores in prediction order, and the summary.

    A prediction whose id has no expected extraction (absent, or ``null``) is not scored and is
    listed under ``summary.unscored_ids``; an expected id with no prediction counts as a failed record.
    """
    expected_by_id = {str(row["id"]): row.get("extraction") for row in _read_jsonl(expected)}
    predicted_by_id: dict[str, dict[str, Any]] = {}
    for row in _read_jsonl(predictions):
        predicted_by_id.setdefault(str(row["id"]), row)

    records, outputs, expecteds, unscored = [], [], [], []
    ids = list(predicted_by_id) + [i for i in expected_by_id if i not in predicted_by_id]
    for record_id in ids:
        truth = expected_by_id.get(record_id)
        if truth is None:
            unscored.append(record_id)
            continue
        row = predicted_by_id.get(record_id) or {"extraction": None, "error": "no prediction for this id"}
        output = {
            "extraction": row.get("extraction"),
            **{k: v for k, v in row.items() if k not in ("id", "extraction")},
        }
        scores = evaluate_record({"form_set_name": record_id}, output, truth)
        records.append({"id": record_id, **scores, "error": row.get("error")})
        outputs.append(output)
        expecteds.append(truth)

    results = {name: [r[name] for r in records] for name in RECORD_EVALUATOR_NAMES}
    summary = summarize([{"form_set_name": r["id"]} for r in records], outputs, expecteds, results)
    summary["exact_match_rate"] = sum(r["exact_match"] for r in records) / len(records) if records else 0.0
    summary["avg_vote_accuracy"] = sum(r["vote_accuracy"] for r in records) / len(records) if records else 0.0
    summary["avg_consistency"] = sum(r["consistency"] for r in records) / len(records) if records else 0.0
    summary["unscored_ids"] = unscored
    return {"records": records, "summary": summary}


def main(*, predictions: Path, expected: Path) -> int:
    try:
        result = evaluate_files(predictions, expected)
    except InputError as exc:
        print(f"dataset-platform evaluate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0
