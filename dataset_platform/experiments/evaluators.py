"""DESIGN.md's evaluators, with the signatures ddtrace's ``LLMObs.experiment`` calls them with.

Per record: ``(input_data, output_data, expected_output)``. Summary: ``(inputs, outputs,
expected_outputs, evaluators_results)``. The same functions run locally and inside Datadog.

``output_data`` is what the experiment task returned: ``None`` (the task failed), a ``FormExtraction``
or its dict, or a task envelope — an ``ExtractionRecord`` dict ``{"extraction": ..., "error": ...,
"input_tokens": ..., "latency_s": ..., "cost_usd": ...}``. The envelope carries the usage figures the
summary needs; its ``extraction`` being ``None`` means the task failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from dataset_platform.forms.consistency import consistency_score
from dataset_platform.forms.schema import (
    BALLOT_FIELDS,
    CANDIDATE_FIELDS,
    FORM_INFO_FIELDS,
    INT_FIELDS,
    SECTION_FIELDS,
    VOTER_FIELDS,
    FormExtraction,
)
from dataset_platform.forms.thai import normalize_text
from dataset_platform.forms.validation import is_dash

# Fields in INT_FIELDS are compared as integers (a string of digits, Thai or Arabic, counts as that integer).
HEADER_FIELD_COUNT = len(FORM_INFO_FIELDS) + len(VOTER_FIELDS) + len(BALLOT_FIELDS)  # 15
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 42
RECORD_EVALUATOR_NAMES = ("field_accuracy", "ballot_accuracy", "vote_accuracy", "exact_match", "consistency")

_INTEGER = re.compile(r"[+-]?\d{1,3}(,\d{3})+|[+-]?\d+")


# --- normalisation ---------------------------------------------------------------------------


def normalize_value(value: Any, *, integer: bool = False) -> Any:
    """The comparison form of a leaf: None stays None, strings normalised, integers as ``int``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = normalize_text(value)
        if integer and _INTEGER.fullmatch(text or ""):
            return int(text.replace(",", ""))  # type: ignore[union-attr]
        if integer and is_dash(text):  # the forms write "-" for zero (DESIGN)
            return 0
        return text
    return value


def _same(a: Any, b: Any, field: str) -> bool:
    integer = field in INT_FIELDS
    return normalize_value(a, integer=integer) == normalize_value(b, integer=integer)


def unwrap_output(output_data: Any) -> dict[str, Any] | None:
    """The predicted extraction as a plain dict, or None when the task failed."""
    if output_data is None:
        return None
    if isinstance(output_data, BaseModel):
        output_data = output_data.model_dump()
    if isinstance(output_data, Mapping) and "extraction" in output_data:
        output_data = output_data["extraction"]
        if isinstance(output_data, BaseModel):
            output_data = output_data.model_dump()
    return dict(output_data) if output_data is not None else None


def _expected(expected_output: Any) -> dict[str, Any]:
    expected = unwrap_output(expected_output)
    if expected is None:
        raise ValueError("record has no expected output (ground truth unavailable); it cannot be scored")
    return expected


def _section(extraction: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return extraction.get(name) or {}


def _candidates(extraction: Mapping[str, Any]) -> dict[Any, Mapping[str, Any]]:
    """Candidates keyed by normalised number.

    A repeated number keeps its first row (a phantom duplicate scores nothing).
    """
    by_number: dict[Any, Mapping[str, Any]] = {}
    for candidate in extraction.get("vote_results") or []:
        if isinstance(candidate, BaseModel):
            candidate = candidate.model_dump()
        by_number.setdefault(normalize_value(candidate.get("candidate_number"), integer=True), candidate)
    return by_number


def _candidate_union(predicted: Mapping[str, Any], expected: Mapping[str, Any]):
    p, e = _candidates(predicted), _candidates(expected)
    return p, e, list(dict.fromkeys([*e, *p]))


def _header_correct(predicted: Mapping[str, Any], expected: Mapping[str, Any]) -> int:
    correct = 0
    for section, fields in SECTION_FIELDS.items():
        p, e = _section(predicted, section), _section(expected, section)
        correct += sum(_same(p.get(f), e.get(f), f) for f in fields)
    return correct


# --- per-record evaluators -------------------------------------------------------------------


def _scored(score: Callable[[dict[str, Any], dict[str, Any]], float]) -> Callable[[Any, Any, Any], float]:
    """``score(predicted, expected)`` as an evaluator (Datadog's signature); a record with no extraction scores 0."""

    def evaluator(input_data: Any, output_data: Any, expected_output: Any) -> float:
        expected = _expected(expected_output)
        predicted = unwrap_output(output_data)
        return 0.0 if predicted is None else score(predicted, expected)

    # Not functools.wraps: its __wrapped__ would make the evaluator's signature read as score's.
    evaluator.__name__ = evaluator.__qualname__ = score.__name__
    evaluator.__doc__ = score.__doc__
    return evaluator


@_scored
def field_accuracy(predicted: dict[str, Any], expected: dict[str, Any]) -> float:
    """Correct leaf fields / (15 + 4·|K|); a candidate present on one side only counts 4 wrong."""
    p, e, union = _candidate_union(predicted, expected)
    correct = _header_correct(predicted, expected)
    for number in union:
        if number in p and number in e:
            correct += sum(_same(p[number].get(f), e[number].get(f), f) for f in CANDIDATE_FIELDS)
    return correct / (HEADER_FIELD_COUNT + len(CANDIDATE_FIELDS) * len(union))


@_scored
def ballot_accuracy(predicted: dict[str, Any], expected: dict[str, Any]) -> float:
    """Correct ballot_statistics fields / 6."""
    p, e = _section(predicted, "ballot_statistics"), _section(expected, "ballot_statistics")
    return sum(_same(p.get(f), e.get(f), f) for f in BALLOT_FIELDS) / len(BALLOT_FIELDS)


@_scored
def vote_accuracy(predicted: dict[str, Any], expected: dict[str, Any]) -> float:
    """Candidates in K whose vote_count matches / |K|; 1.0 when neither side has candidates."""
    p, e, union = _candidate_union(predicted, expected)
    if not union:
        return 1.0
    matches = sum(
        n in p and n in e and _same(p[n].get("vote_count"), e[n].get("vote_count"), "vote_count") for n in union
    )
    return matches / len(union)


def exact_match(input_data: Any, output_data: Any, expected_output: Any) -> bool:
    return field_accuracy(input_data, output_data, expected_output) == 1.0


def _with_int_fields(extraction: Mapping[str, Any]) -> dict[str, Any]:
    """Integer leaves given as digit strings (Thai or Arabic) become ints, so the rules can do arithmetic."""
    sections = {
        name: {k: normalize_value(v, integer=k in INT_FIELDS) for k, v in _section(extraction, name).items()}
        for name in SECTION_FIELDS
    }
    candidates = [
        {k: normalize_value(v, integer=k in INT_FIELDS) for k, v in c.items()}
        for c in (extraction.get("vote_results") or [])
    ]
    return {**sections, "vote_results": candidates}


def consistency(input_data: Any, output_data: Any, expected_output: Any) -> float:
    """Arithmetic rules satisfied / rules that apply to the predicted form kind, by the prediction alone
    (no ground truth needed; ``ballot_balance`` does not apply to 5/16 and 5/17 batches).

    A prediction that is not a valid FormExtraction even after integer normalisation scores 0.
    """
    predicted = unwrap_output(output_data)
    if predicted is None:
        return 0.0
    try:
        model = FormExtraction.model_validate(_with_int_fields(predicted))
    except ValidationError:
        return 0.0
    return consistency_score(model)


RECORD_EVALUATORS: tuple[Callable[[Any, Any, Any], Any], ...] = (
    field_accuracy,
    ballot_accuracy,
    vote_accuracy,
    exact_match,
    consistency,
)


def evaluate_record(input_data: Any, output_data: Any, expected_output: Any) -> dict[str, Any]:
    """Every per-record evaluator by name."""
    return {fn.__name__: fn(input_data, output_data, expected_output) for fn in RECORD_EVALUATORS}


# --- summary evaluators ----------------------------------------------------------------------


def _scores(
    name: str,
    outputs: Sequence[Any],
    expected_outputs: Sequence[Any],
    evaluators_results: Mapping[str, Sequence[Any]] | None,
) -> list[float]:
    """Per-record values of ``name``; recomputed when absent; an errored evaluation (None) counts 0."""
    values = (evaluators_results or {}).get(name)
    if values is None:
        fn = {f.__name__: f for f in RECORD_EVALUATORS}[name]
        values = [fn(None, o, e) for o, e in zip(outputs, expected_outputs)]
    return [float(v) if v is not None else 0.0 for v in values]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def overall_accuracy(inputs, outputs, expected_outputs, evaluators_results) -> float:
    """Mean field_accuracy over all records; failed records count 0."""
    return _mean(_scores("field_accuracy", outputs, expected_outputs, evaluators_results))


def success_rate(inputs, outputs, expected_outputs, evaluators_results) -> float:
    """Share of records whose task produced an extraction."""
    return _mean([float(unwrap_output(o) is not None) for o in outputs])


def avg_ballot_accuracy(inputs, outputs, expected_outputs, evaluators_results) -> float:
    return _mean(_scores("ballot_accuracy", outputs, expected_outputs, evaluators_results))


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean; a fixed seed makes it reproducible. (0, 0) for no records."""
    if not values:
        return (0.0, 0.0)
    import numpy as np

    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    alpha = (1.0 - level) / 2
    return (float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha)))


def overall_accuracy_ci_low(inputs, outputs, expected_outputs, evaluators_results) -> float:
    return bootstrap_ci(_scores("field_accuracy", outputs, expected_outputs, evaluators_results))[0]


def overall_accuracy_ci_high(inputs, outputs, expected_outputs, evaluators_results) -> float:
    return bootstrap_ci(_scores("field_accuracy", outputs, expected_outputs, evaluators_results))[1]


def _usage(output: Any, key: str) -> float | None:
    if isinstance(output, BaseModel):
        output = output.model_dump()
    if isinstance(output, Mapping) and "extraction" in output:
        value = output.get(key)
        return float(value) if value is not None else None
    return None


def total_tokens(inputs, outputs, expected_outputs, evaluators_results) -> int:
    """Input + output tokens over all records (from the task envelopes; 0 when not carried)."""
    return int(sum((_usage(o, "input_tokens") or 0) + (_usage(o, "output_tokens") or 0) for o in outputs))


def estimated_cost_usd(inputs, outputs, expected_outputs, evaluators_results) -> float:
    return float(sum(_usage(o, "cost_usd") or 0.0 for o in outputs))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _latencies(outputs: Sequence[Any]) -> list[float]:
    return [v for v in (_usage(o, "latency_s") for o in outputs) if v is not None]


def latency_p50_s(inputs, outputs, expected_outputs, evaluators_results) -> float | None:
    return percentile(_latencies(outputs), 50)


def latency_p95_s(inputs, outputs, expected_outputs, evaluators_results) -> float | None:
    return percentile(_latencies(outputs), 95)


SUMMARY_EVALUATORS: tuple[Callable[..., Any], ...] = (
    overall_accuracy,
    success_rate,
    avg_ballot_accuracy,
    overall_accuracy_ci_low,
    overall_accuracy_ci_high,
    total_tokens,
    estimated_cost_usd,
    latency_p50_s,
    latency_p95_s,
)


def summarize(
    inputs: Sequence[Any],
    outputs: Sequence[Any],
    expected_outputs: Sequence[Any],
    evaluators_results: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """Every summary evaluator by name, plus the record count."""
    summary = {fn.__name__: fn(inputs, outputs, expected_outputs, evaluators_results) for fn in SUMMARY_EVALUATORS}
    summary["num_records"] = len(outputs)
    return summary
