"""Experiment results as dataclasses: the stored JSON shape round-trips, and history written before them still reads."""

from __future__ import annotations

from dataset_platform.experiments import history, summary
from dataset_platform.experiments.results import ConfigResult, ExperimentRun
from dataset_platform.forms.model_config import ModelConfig


def _run(accuracy: float, run_id: str, run_at: str) -> ExperimentRun:
    config = ConfigResult(
        config=ModelConfig(model="offline"),
        experiment_name="vote-extraction-offline-t0.0",
        summary={"overall_accuracy": accuracy, "overall_accuracy_ci_low": accuracy - 0.05},
        records=[{"id": "a", "error": None}, {"id": "b", "error": "boom"}],
        wandb="logged (offline)",
    )
    skipped = ConfigResult(
        config=ModelConfig(model="gemini-2.5-flash"), experiment_name="x", status="unavailable", reason="no key"
    )
    return ExperimentRun(
        run_at=run_at, run_id=run_id, dataset_name="d", dataset_version="v1", num_records=2, configs=[config, skipped]
    )


def test_the_stored_shape_round_trips():
    run = _run(0.9, "r1", "2026-12-01T08:00:00+00:00")
    data = run.to_dict()
    assert data["configs"][0]["config_name"] == "offline-t0.0" and data["configs"][0]["model"] == "offline"
    assert "wandb_run_id" not in data["configs"][0]  # unset W&B fields are not written
    assert ExperimentRun.from_dict(data) == run
    assert "records" not in run.to_dict(records=False)["configs"][0]


def test_a_line_written_before_the_dataclasses_still_reads():
    old = {
        "run_at": "2026-11-01T08:00:00+00:00",
        "run_id": "old",
        "dataset_name": "d",
        "dataset_version": "v0",
        "num_records": 1,
        "results_path": "/x/results.json",
        "configs": [
            {
                "config_name": "tesseract-t0.0",
                "experiment_name": "e",
                "model": "tesseract",
                "temperature": 0.0,
                "thinking_budget": None,
                "name_suffix": None,
                "metadata": {},
                "status": "completed",
                "reason": None,
                "mode": "local",
                "summary": {"overall_accuracy": 0.5},
                "wandb_error": "gone",  # a field older runs wrote; nothing reads it now
            }
        ],
    }
    run = ExperimentRun.from_dict(old)
    assert run.results_path == "/x/results.json" and run.configs[0].config_name == "tesseract-t0.0"
    assert run.configs[0].records == [] and run.configs[0].completed


def test_history_regression_and_failures_over_stored_runs(platform_home):
    history.append(_run(0.9, "r1", "2026-12-01T08:00:00+00:00"))
    history.append(_run(0.7, "r2", "2026-12-08T08:00:00+00:00"))
    first, second = history.read_history()
    assert history.load_results(second).configs[0].records[1]["error"] == "boom"
    previous = history.previous_config_result("offline-t0.0", second)
    assert previous is not None and previous[0].run_id == "r1"
    verdict = summary.regression(second.configs[0], previous)
    assert verdict.regressed and verdict.previous_ci_low == 0.9 - 0.05 and verdict.baseline == first.run_at
    assert summary.regression(first.configs[0], history.previous_config_result("offline-t0.0", first)).reason
    full = history.load_results(second).configs  # history lines hold no per-record rows; the results file does
    assert [(f.config_name, f.record_id, f.status) for f in summary.failures(full)] == [
        ("offline-t0.0", "b", "record failed"),
        ("gemini-2.5-flash-t0.0", None, "unavailable"),
    ]
