"""experiment_results end to end, offline: rendered demo forms, tesseract + a Gemini test server, local scoring,
append-only history, plot, W&B offline run files (and an unreachable W&B server: a warning, the results kept) and
the regression check. No Datadog (see test_datadog_*)."""

from __future__ import annotations

import json
import logging

import dagster as dg
import pytest

from dataset_platform.common import settings
from dataset_platform.defs.experiments import datadog_dataset, experiment_results
from dataset_platform.defs.experiments.checks import accuracy_not_regressed
from dataset_platform.experiments import history
from dataset_platform.resources.datadog import LocalLLMObs
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.wandb import WandbResource
from dataset_platform_tests.support.postgres import free_port


def _materialize(models, configs, wandb=None, instance=None, **extra):
    run_config = {"ops": {"experiment_results": {"config": {"model_configs": configs, "jobs": 2, **extra}}}}
    return dg.materialize(
        [datadog_dataset, experiment_results, accuracy_not_regressed],
        resources={"models": models, "datadog": LocalLLMObs(), "wandb": wandb or WandbResource()},
        run_config=run_config,
        raise_on_error=False,
        instance=instance,
    )


def _metadata(result, key="experiment_results"):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return event.materialization.metadata


@pytest.mark.slow
def test_offline_experiment_tesseract_gemini_and_unavailable(tiny_ground_truth, models, gemini, warm_ocr_cache):
    version, truths = tiny_ground_truth
    result = _materialize(
        models,
        [
            {"model": "gemini-2.5-flash"},
            {"model": "gemini-2.5-flash-lite"},
            {"model": "tesseract"},
        ],
    )
    assert result.success
    [entry] = history.read_history()
    assert entry.dataset_version == version and entry.run_id == result.run_id
    by_name = {c.config_name: c for c in history.load_results(entry).configs}
    assert set(by_name) == {"gemini-2.5-flash-t0.0", "gemini-2.5-flash-lite-t0.0", "tesseract-t0.0"}

    flash = by_name["gemini-2.5-flash-t0.0"]
    assert flash.status == "completed" and flash.mode == "local"
    assert flash.summary["overall_accuracy"] == 1.0
    assert flash.summary["success_rate"] == 1.0
    assert flash.summary["total_tokens"] == len(truths) * 1500  # the server's usage: 1200 + 300 per form set
    assert flash.summary["estimated_cost_usd"] > 0
    assert [r["id"] for r in flash.records] == sorted(truths)
    assert all(r["exact_match"] for r in flash.records)

    lite = by_name["gemini-2.5-flash-lite-t0.0"]  # one candidate's vote count misread per form
    for record in lite.records:
        n = len(truths[record["id"]]["vote_results"])
        assert record["vote_accuracy"] == pytest.approx((n - 1) / n)
        assert record["field_accuracy"] == pytest.approx((15 + 4 * n - 1) / (15 + 4 * n))
    assert lite.summary["overall_accuracy"] < 1.0

    ocr = by_name["tesseract-t0.0"]
    assert ocr.status == "completed"
    assert ocr.summary["cache_hits"] == len(truths)  # the OCR ran once per session; this run reused it
    assert ocr.summary["estimated_cost_usd"] == 0.0
    assert 0.5 < ocr.summary["avg_ballot_accuracy"] <= 1.0

    # every Gemini call went to the test server: one per form set for flash; the lite model's answers fail the
    # words-vs-digits guard, so the forms runner asks it a second time
    per_model = {m: sum(r.model == m for r in gemini.requests) for m in ("gemini-2.5-flash", "gemini-2.5-flash-lite")}
    assert per_model == {"gemini-2.5-flash": len(truths), "gemini-2.5-flash-lite": 2 * len(truths)}

    meta = _metadata(result)
    table = meta["comparison"].value
    assert "| gemini-2.5-flash-t0.0 | completed | 100.0% (100.0%–100.0%)" in table
    assert "![accuracy vs cost](data:image/png;base64," in table
    assert meta["best_config"].value == "gemini-2.5-flash-t0.0"
    assert meta["dagster/row_count"].value == len(truths)
    run_dir = history.run_dir(history.load_results(entry))
    assert (run_dir / "accuracy_vs_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # one offline W&B run per experiment config, with its files on disk
    runs = sorted(settings.wandb_dir().glob("wandb/offline-run-*"))
    assert len(runs) == 3
    assert all(list(r.glob("*.wandb")) for r in runs)
    assert {c.wandb_mode for c in by_name.values()} == {"offline"}
    assert set(_metadata(result)["wandb"].value.values()) == {"logged (offline)"}

    # datadog_dataset ran locally: export file + local store, no push
    dd_meta = _metadata(result, "datadog_dataset")
    assert dd_meta["destination"].value.startswith("local-only")
    export = json.loads(
        (settings.exports_dir() / "datadog" / f"vote-extraction-ground-truth_{version}.json").read_text()
    )
    assert export["version"] == version and len(export["records"]) == len(truths)

    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["config"].value == "gemini-2.5-flash-t0.0"


def test_unavailable_models_are_reported_not_fatal(tiny_ground_truth):
    offline = ExtractionModels()  # no Gemini key
    result = _materialize(offline, [{"model": "gemini-2.5-flash"}, {"model": "gemini-2.5-pro", "temperature": 1.0}])
    assert result.success
    [entry] = history.read_history()
    assert [c.status for c in entry.configs] == ["unavailable", "unavailable"]
    assert "GEMINI_API_KEY" in (entry.configs[0].reason or "")
    assert "**unavailable**" in _metadata(result)["comparison"].value
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN


def test_history_is_append_only_and_reruns_hit_the_cache(tiny_ground_truth, models, gemini):
    first = _materialize(models, [{"model": "gemini-2.5-flash"}])
    assert first.success
    runs_after_first = history.read_history()
    second = _materialize(models, [{"model": "gemini-2.5-flash"}])
    assert second.success
    assert len(gemini.requests) == len(tiny_ground_truth[1])  # the second run made no model call
    runs = history.read_history()
    assert [r.run_id for r in runs] == [first.run_id, second.run_id]
    assert runs[:1] == runs_after_first  # the earlier line is untouched
    assert runs[1].configs[0].summary["cache_hits"] == len(tiny_ground_truth[1])
    assert history.load_results(runs[0]).configs[0].records  # the earlier full results stay readable
    [check] = second.get_asset_check_evaluations()
    assert check.passed and check.metadata["previous_ci_low"].value == 1.0
    assert "Trend" in _metadata(second)["comparison"].value


def test_regression_check_warns_below_previous_ci(tiny_ground_truth, models, gemini):
    first = _materialize(models, [{"model": "gemini-2.5-flash"}])
    assert first.success
    # A new prompt version would invalidate the cache; here the server degrades and the cache is cleared.
    import shutil

    shutil.rmtree(settings.cache_dir())
    gemini.responder = lambda request: {
        "form_info": {},
        "voter_statistics": {},
        "ballot_statistics": {},
        "vote_results": [],
    }
    second = _materialize(models, [{"model": "gemini-2.5-flash"}])
    assert second.success
    [check] = second.get_asset_check_evaluations()
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["previous_ci_low"].value == 1.0
    assert check.metadata["overall_accuracy"].value < 1.0


def test_sample_size_is_seeded(tiny_ground_truth, models):
    for _ in range(2):
        assert _materialize(models, [{"model": "gemini-2.5-flash"}], sample_size=2, seed=7).success
    first, second = history.read_history()
    assert first.record_ids == second.record_ids and len(first.record_ids) == 2
    assert _materialize(models, [{"model": "gemini-2.5-flash"}], sample_size=2, seed=8).success
    assert history.read_history()[-1].num_records == 2


def test_a_wandb_failure_is_a_run_log_warning_and_a_metadata_status(tiny_ground_truth, models, gemini, monkeypatch):
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{free_port()}")  # a closed local port
    unreachable = WandbResource(api_key="x" * 40, mode="online", init_timeout_s=2)
    with dg.instance_for_test() as instance:
        result = _materialize(models, [{"model": "gemini-2.5-flash"}], wandb=unreachable, instance=instance)
        assert result.success
        warnings = [r.user_message for r in instance.all_logs(result.run_id) if r.level == logging.WARNING]
    [entry] = history.read_history()
    [config] = history.load_results(entry).configs
    assert config.status == "completed" and config.summary["overall_accuracy"] == 1.0  # results kept
    assert (config.wandb or "").startswith("failed: ") and config.wandb_run_id is None
    assert "wandb_run_id" not in config.to_dict()
    assert _metadata(result)["wandb"].value == {"gemini-2.5-flash-t0.0": config.wandb}
    assert [w for w in warnings if w.startswith("W&B logging of vote-extraction")], warnings
