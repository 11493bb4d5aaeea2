"""Run an experiment: every model config over the (sampled) ground truth, scored by the evaluators.

Extraction always goes through the models resource (cached, retried, rate-limited, concurrent). The
scoring then runs either inside ``LLMObs.experiment`` (Datadog configured: the task hands ddtrace the
extraction already made for that record) or locally with the same evaluator functions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dataset_platform.experiments import evaluators as ev
from dataset_platform.experiments.config import ExperimentPlan
from dataset_platform.experiments.datadog_store import ExperimentOutcome, ExperimentRequest
from dataset_platform.experiments.results import COMPLETED, FAILED, UNAVAILABLE, ConfigResult, ExperimentRun
from dataset_platform.forms import paths as form_paths
from dataset_platform.forms.datadog_export import DATASET_NAME, record_key
from dataset_platform.forms.model_config import ModelConfig

if TYPE_CHECKING:
    from dataset_platform.resources.datadog import LLMObsResource

USAGE_FIELDS = ("input_tokens", "output_tokens", "latency_s", "cost_usd", "cache_hit")


class ExperimentError(RuntimeError):
    """Raised only with ``raise_errors``: a record or a whole config failed."""


class Models(Protocol):
    def availability(self, model: str) -> str | None: ...

    def extract(self, form_set_dirs: list[Path], config: ModelConfig, *, max_concurrency: int = 4) -> list[Any]: ...


def scorable(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Ground-truth records that can be scored (those with an expected output), sorted by id."""
    return sorted((r for r in records if r.get("expected_output") is not None), key=lambda r: str(r["id"]))


def sample_records(records: Sequence[Mapping[str, Any]], sample_size: int | None, seed: int) -> list[Mapping[str, Any]]:
    """A reproducible sample: the same ids, sample size and seed always give the same records."""
    ordered = sorted(records, key=lambda r: str(r["id"]))
    if sample_size is None or sample_size >= len(ordered):
        return ordered
    chosen = set(random.Random(seed).sample([str(r["id"]) for r in ordered], sample_size))
    return [r for r in ordered if str(r["id"]) in chosen]


def form_set_dir(record: Mapping[str, Any]) -> Path:
    paths = (record.get("input") or {}).get("image_paths") or []
    if paths and Path(paths[0]).parent.is_dir():
        return Path(paths[0]).parent
    return form_paths.form_set_dir(str(record["id"]))


def _record_row(record_id: str, scores: Mapping[str, Any], extraction: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record_id}
    row.update({name: scores.get(name) for name in ev.RECORD_EVALUATOR_NAMES})
    row["error"] = extraction.get("error")
    row.update({k: extraction.get(k) for k in USAGE_FIELDS})
    return row


def _score_locally(sample: Sequence[Mapping[str, Any]], envelopes: Mapping[str, dict[str, Any]]):
    rows, outputs, expected, inputs = [], [], [], []
    for record in sample:
        envelope = envelopes[str(record["id"])]
        scores = ev.evaluate_record(record["input"], envelope, record["expected_output"])
        rows.append(_record_row(str(record["id"]), scores, envelope))
        inputs.append(record["input"])
        outputs.append(envelope)
        expected.append(record["expected_output"])
    results = {name: [r[name] for r in rows] for name in ev.RECORD_EVALUATOR_NAMES}
    return rows, ev.summarize(inputs, outputs, expected, results)


def _score_in_datadog(
    datadog: LLMObsResource,
    plan: ExperimentPlan,
    spec: ModelConfig,
    experiment_name: str,
    sample: Sequence[Mapping[str, Any]],
    envelopes: Mapping[str, dict[str, Any]],
    datadog_dataset_version: int | None,
    tags: Mapping[str, str],
) -> tuple[list[dict[str, Any]], dict[str, Any], ExperimentOutcome]:
    def extract_form_set(input_data: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
        envelope = envelopes[str(input_data["form_set_name"])]
        if envelope.get("extraction") is None:
            # Raising marks the span as an error in Datadog; the evaluators then score the record 0.
            raise RuntimeError(envelope.get("error") or "extraction failed")
        return envelope

    request = ExperimentRequest(
        name=experiment_name,
        task=extract_form_set,
        dataset_name=DATASET_NAME,
        evaluators=ev.RECORD_EVALUATORS,
        summary_evaluators=ev.SUMMARY_EVALUATORS,
        config={**spec.model_dump(), "config_name": spec.name, "sample_size": plan.sample_size},
        record_keys=[str(r["id"]) for r in sample],
        key=record_key,
        jobs=plan.jobs,
        raise_errors=plan.raise_errors,
        description=f"{spec.name} over {len(sample)} form sets",
        tags=dict(tags),
        dataset_version=datadog_dataset_version,
        project_name=plan.project_name,
        ml_app=plan.ml_app,
    )
    outcome = datadog.run_experiment(request)
    evaluations = {row.key: row.evaluations for row in outcome.rows}
    rows = []
    for record in sample:
        rid = str(record["id"])
        rows.append(_record_row(rid, evaluations.get(rid) or {}, envelopes[rid]))
    summary = dict(outcome.summary)
    summary["num_records"] = len(rows)
    return rows, summary, outcome


def run_model_config(
    spec: ModelConfig,
    plan: ExperimentPlan,
    sample: Sequence[Mapping[str, Any]],
    *,
    models: Models,
    datadog: LLMObsResource | None = None,
    datadog_dataset_version: int | None = None,
    tags: Mapping[str, str] | None = None,
) -> ConfigResult:
    """One config's result: status, summary, per-record rows, and where it was recorded.

    Scored inside Datadog when ``datadog`` is a Datadog resource (``enabled``), else locally."""
    remote = datadog if datadog is not None and datadog.enabled else None
    result = ConfigResult(
        config=spec, experiment_name=f"{plan.experiment_name}-{spec.name}", mode="datadog" if remote else "local"
    )
    reason = models.availability(spec.model)
    if reason is not None:
        return result.with_changes(status=UNAVAILABLE, reason=reason)
    started = time.monotonic()
    try:
        extracted = models.extract([form_set_dir(r) for r in sample], spec, max_concurrency=plan.jobs)
        envelopes = {str(r.form_set_id): r.to_dict() for r in extracted}
        missing = [str(r["id"]) for r in sample if str(r["id"]) not in envelopes]
        for rid in missing:
            envelopes[rid] = {"extraction": None, "error": "no extraction returned for this form set"}
        if remote is not None:
            rows, summary, outcome = _score_in_datadog(
                remote, plan, spec, result.experiment_name, sample, envelopes, datadog_dataset_version, tags or {}
            )
            result = result.with_changes(experiment_id=outcome.experiment_id, experiment_url=outcome.url)
        else:
            rows, summary = _score_locally(sample, envelopes)
    except Exception as exc:
        if plan.raise_errors:
            raise
        return result.with_changes(status=FAILED, reason=f"{type(exc).__name__}: {exc}")
    summary["wall_time_s"] = round(time.monotonic() - started, 3)
    summary["cache_hits"] = sum(bool(r.get("cache_hit")) for r in rows)
    failures = [r for r in rows if r["error"]]
    if plan.raise_errors and failures:
        raise ExperimentError(
            f"{spec.name}: {len(failures)} record(s) failed, first: {failures[0]['id']}: {failures[0]['error']}"
        )
    return result.with_changes(status=COMPLETED, summary=summary, records=rows)


def run_experiment(
    plan: ExperimentPlan,
    ground_truth: tuple[str, Sequence[Mapping[str, Any]]],
    *,
    models: Models,
    datadog: LLMObsResource | None = None,
    datadog_dataset_version: int | None = None,
    run_id: str | None = None,
    on_config_done: Callable[[ConfigResult], ConfigResult] | None = None,
) -> ExperimentRun:
    """Every model config of ``plan`` over the sampled ground truth.

    ``on_config_done`` sees each config's result as soon as it is complete (e.g. to log it to W&B)
    and returns the result to keep (e.g. with the W&B status added).
    """
    version, records = ground_truth
    usable = scorable(records)
    if not usable:
        raise ExperimentError(
            f"ground truth {version} has no record with an expected output ({len(records)} records in total)"
        )
    sample = sample_records(usable, plan.sample_size, plan.seed)
    tags = {"ground_truth_version": version, "dagster_run_id": run_id or "", "sample_size": str(len(sample))}
    configs = []
    for spec in plan.model_configs:
        config_result = run_model_config(
            spec,
            plan,
            sample,
            models=models,
            datadog=datadog,
            datadog_dataset_version=datadog_dataset_version,
            tags=tags,
        )
        configs.append(on_config_done(config_result) if on_config_done is not None else config_result)
    return ExperimentRun(
        run_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=run_id,
        dataset_name=DATASET_NAME,
        dataset_version=version,
        datadog_dataset_version=datadog_dataset_version,
        num_records=len(sample),
        num_scorable=len(usable),
        record_ids=[str(r["id"]) for r in sample],
        plan=plan.model_dump(),
        configs=configs,
    )
