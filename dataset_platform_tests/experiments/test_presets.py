"""Experiment presets (jobs), the weekly schedule's run request, and run-config validation; Gemini via the
test server, tesseract only from the session's OCR cache. No Datadog."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dataset_platform.defs import experiments as experiments_defs
from dataset_platform.defs.experiments.automation import experiment_jobs, weekly_experiments_schedule
from dataset_platform.experiments import history
from dataset_platform.experiments.config import (
    DEFAULT_MODEL_CONFIGS,
    ExperimentConfigError,
    validate_plan,
)
from dataset_platform.resources.datadog import LocalLLMObs
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.wandb import WandbResource


def _defs(models) -> dg.Definitions:
    return dg.Definitions.merge(
        experiments_defs.defs,
        dg.Definitions(resources={"models": models, "datadog": LocalLLMObs(), "wandb": WandbResource()}),
    )


def test_presets_are_registered_with_their_config():
    defs = _defs(ExtractionModels())
    expected = {
        "experiment_quick_test": (["gemini-2.5-flash-t0.0"], 2),
        "experiment_temperature_sweep": (
            ["gemini-2.5-flash-t0.0", "gemini-2.5-flash-t0.5", "gemini-2.5-flash-t1.0"],
            None,
        ),
        "experiment_cost_optimization": (
            ["gemini-2.5-flash-t0.0", "gemini-2.5-flash-lite-t0.0", "tesseract-t0.0"],
            None,
        ),
        "experiment_weekly": (
            ["gemini-2.5-flash-t0.0", "gemini-2.5-flash-lite-t0.0", "offline-t0.0", "tesseract-t0.0"],
            None,
        ),
    }
    for name, (configs, sample_size) in expected.items():
        job = defs.resolve_job_def(name)
        run_config = job.run_config_schema.config_type  # the job resolves with its preset config
        assert run_config is not None
        plan = validate_plan(_preset_config(name))
        assert [c.name for c in plan.model_configs] == configs
        assert plan.sample_size == sample_size
        assert dg.validate_run_config(job, {"ops": {"experiment_results": {"config": _preset_config(name)}}})


def _preset_config(name: str) -> dict:
    [job] = [j for j in experiment_jobs if j.name == name]
    return job.config["ops"]["experiment_results"]["config"]


def test_quick_test_preset_runs_two_records(tiny_ground_truth, models, gemini):
    result = _defs(models).resolve_job_def("experiment_quick_test").execute_in_process()
    assert result.success
    [entry] = history.read_history()
    assert entry.num_records == 2 and len(gemini.requests) == 2
    [config] = entry.configs
    assert config.status == "completed" and config.summary["overall_accuracy"] == 1.0
    assert result.dagster_run.tags["experiments/preset"] == "experiment_quick_test"
    [check] = result.get_asset_check_evaluations()  # the regression check runs with every preset
    assert check.check_name == "accuracy_not_regressed" and check.passed


def test_temperature_sweep_preset(tiny_ground_truth, models, gemini):
    assert _defs(models).resolve_job_def("experiment_temperature_sweep").execute_in_process().success
    [entry] = history.read_history()
    assert [c.status for c in entry.configs] == ["completed"] * 3
    temperatures = sorted(r.generation_config.get("temperature") for r in gemini.requests)
    assert temperatures == [0.0] * 3 + [0.5] * 3 + [1.0] * 3


def test_cost_optimization_preset_offline(tiny_ground_truth, warm_ocr_cache):
    """Without a Gemini key the two Gemini configs are unavailable and tesseract still runs."""
    assert _defs(ExtractionModels()).resolve_job_def("experiment_cost_optimization").execute_in_process().success
    [entry] = history.read_history()
    assert [(c.config_name, c.status) for c in entry.configs] == [
        ("gemini-2.5-flash-t0.0", "unavailable"),
        ("gemini-2.5-flash-lite-t0.0", "unavailable"),
        ("tesseract-t0.0", "completed"),
    ]


def test_weekly_schedule_requests_the_default_configs():
    assert weekly_experiments_schedule.cron_schedule == "0 8 * * 1"
    assert weekly_experiments_schedule.execution_timezone == "UTC"
    monday = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    context = dg.build_schedule_context(scheduled_execution_time=monday)
    request = weekly_experiments_schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "weekly-experiments-2026-W48"
    assert request.run_config["ops"]["experiment_results"]["config"]["model_configs"] == DEFAULT_MODEL_CONFIGS
    job = _defs(ExtractionModels()).resolve_job_def(weekly_experiments_schedule.job_name)
    assert dg.validate_run_config(job, request.run_config)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_configs": [{"model": "gpt-4o"}]}, "unknown model 'gpt-4o'"),
        ({"model_configs": [{"model": "gemini-2.5-flash", "temperature": 2.5}]}, "temperature 2.5 is outside [0, 2]"),
        ({"model_configs": [{"model": "tesseract"}], "jobs": 0}, "jobs: 0 must be at least 1"),
        ({"model_configs": []}, "at least one model config"),
        ({"model_configs": [{"model": "tesseract"}, {"model": "tesseract"}]}, "duplicate config names"),
        ({"model_configs": [{"model": "tesseract"}], "sample_size": 0}, "sample_size: 0"),
    ],
)
def test_invalid_config_is_rejected_clearly(config, message):
    with pytest.raises(ExperimentConfigError, match="invalid experiment config") as raised:
        validate_plan(config)
    assert message in str(raised.value)


def test_invalid_run_config_fails_the_step_with_every_problem(tiny_ground_truth):
    run_config = {
        "ops": {
            "experiment_results": {
                "config": {
                    "model_configs": [{"model": "gpt-4o"}, {"model": "gemini-2.5-flash", "temperature": 3.0}],
                    "jobs": 0,
                }
            }
        }
    }
    result = (
        _defs(ExtractionModels())
        .resolve_job_def("experiment_weekly")
        .execute_in_process(run_config=run_config, raise_on_error=False)
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    text = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
    for part in ("unknown model 'gpt-4o'", "temperature 3.0 is outside [0, 2]", "jobs: 0 must be at least 1"):
        assert part in text
    assert history.read_history() == []
