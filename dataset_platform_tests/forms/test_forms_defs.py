"""Dagster glue of the forms group: sensor, multi-partition extraction run, checks, ground truth; local Gemini."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.defs.forms.assets import ground_truth_dataset, llm_extractions, raw_form_images
from dataset_platform.defs.forms.checks import consistency_checks
from dataset_platform.defs.forms.partitions import RANGE_END_TAG as RANGE_END
from dataset_platform.defs.forms.partitions import RANGE_START_TAG as RANGE_START
from dataset_platform.defs.forms.partitions import sync_form_set_partitions
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform_tests.forms.helpers import make_form_set, sample_extraction


def _models(server) -> ExtractionModels:
    return ExtractionModels(
        gemini_api_key="test-key", gemini_base_url=server.url, retry_initial_delay_s=0.01, timeout_s=10
    )


def _materialize(instance, server, keys, **config):
    return dg.materialize(
        [raw_form_images, llm_extractions, *consistency_checks],
        instance=instance,
        resources={"models": _models(server)},
        tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
        run_config={"ops": {"llm_extractions": {"config": {"model": "gemini-2.5-flash", **config}}}},
    )


def _metadata(result, key="llm_extractions"):
    [mat] = [m for m in result.get_asset_materialization_events() if m.asset_key.path == [key]][:1]
    return {k: v.value for k, v in mat.materialization.metadata.items()}


def test_one_run_extracts_many_partitions_then_hits_the_cache(gemini_server, platform_home):
    forms = platform_home / "forms"
    make_form_set(forms, "a")
    make_form_set(forms, "b", pages=3)
    inconsistent = sample_extraction(ballots_allocated=999)
    gemini_server.responder = lambda req: inconsistent if len(req.images) == 3 else sample_extraction()

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("form_sets", ["a", "b"])
        result = _materialize(instance, gemini_server, ["a", "b"])
        assert result.success
        assert len(gemini_server.requests) == 2
        meta = _metadata(result)
        assert (meta["succeeded"], meta["failed"], meta["cached"]) == (2, 0, 0)
        assert meta["input_tokens"] == 2400 and meta["cost_usd"] > 0
        assert meta["config_name"] == "gemini-2.5-flash-t0.0"
        record = json.loads((platform_home / "extractions" / "b.json").read_text())
        assert record["extraction"] == inconsistent and record["cache_hit"] is False
        assert json.loads((platform_home / "manifests" / "b.json").read_text())["num_pages"] == 3

        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert set(checks) == {"ballot_sum", "vote_sum", "ballot_balance", "words_match_digits"}
        assert not checks["ballot_balance"].passed and checks["ballot_sum"].passed
        assert checks["ballot_balance"].severity == dg.AssetCheckSeverity.WARN
        assert checks["ballot_balance"].metadata["failing_form_sets"].value == "b"

        again = _materialize(instance, gemini_server, ["a", "b"])
        assert len(gemini_server.requests) == 2  # unchanged inputs: zero model calls
        meta = _metadata(again)
        assert meta["cached"] == 2 and meta["cost_usd"] == 0


def test_failed_form_set_does_not_fail_the_run(gemini_server, platform_home):
    forms = platform_home / "forms"
    make_form_set(forms, "good")
    bad = make_form_set(forms, "bad", pages=1)
    (bad / "page_02.png").write_bytes(b"")
    with dg.instance_for_test() as instance:
        keys = sync_form_set_partitions(instance)
        assert keys == ["bad", "good"] and sync_form_set_partitions(instance) == keys
        result = _materialize(instance, gemini_server, keys)
        meta = _metadata(result)
        assert (meta["succeeded"], meta["failed"]) == (1, 1)
        assert "page_02.png: empty file" in meta["failure_reasons"]
        assert _metadata(result, "raw_form_images")["unreadable_form_sets"] == 1


def test_gemini_without_key_is_a_clear_failure(platform_home):
    make_form_set(platform_home / "forms", "a")
    models = ExtractionModels()
    assert models.availability("gemini-2.5-flash") == "GEMINI_API_KEY not set (and Vertex AI not configured)"
    assert models.availability("tesseract") is None
    assert models.availability("offline") is None  # rapidocr's bundled models + tesseract are installed
    assert models.default_model() == "offline"
    assert ExtractionModels(gemini_api_key="k").default_model() == "gemini-2.5-flash"
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("form_sets", ["a"])
        result = dg.materialize(
            [raw_form_images, llm_extractions],
            instance=instance,
            resources={"models": models},
            partition_key="a",
            run_config={"ops": {"llm_extractions": {"config": {"model": "gemini-2.5-flash"}}}},
            raise_on_error=False,
        )
        assert not result.success
        failure = [e for e in result.all_events if e.is_step_failure][0]
        assert "GEMINI_API_KEY not set" in str(failure.step_failure_data.error)


def test_ground_truth_asset(db_url, platform_home):
    forms = platform_home / "forms"
    for form_set_id in ("a", "b"):
        make_form_set(forms, form_set_id)
        record = {
            "form_set_id": form_set_id,
            "model": "gemini-2.5-flash",
            "extraction": sample_extraction(),
            "error": None,
        }
        (platform_home / "extractions").mkdir(exist_ok=True)
        (platform_home / "extractions" / f"{form_set_id}.json").write_text(json.dumps(record))
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.extraction_reviews).values(
                form_set_id="b",
                corrected_extraction=sample_extraction(bad_ballots=13),
                reviewer="r1",
                reviewed_at=datetime(2024, 1, 1),
            )
        )
    result = dg.materialize([ground_truth_dataset], resources={"review_db": ReviewDatabase(url=db_url)})
    meta = _metadata(result, "ground_truth_dataset")
    assert (meta["count_human_reviewed"], meta["count_llm_generated"], meta["count_unavailable"]) == (1, 1, 0)
    assert meta["dagster/row_count"] == 2 and "human-reviewed" in meta["preview"]
    from dataset_platform.forms.ground_truth import load_ground_truth

    version, records = load_ground_truth()
    assert version == meta["version"]
    assert records[1]["expected_output"]["ballot_statistics"]["bad_ballots"] == 13


@pytest.mark.parametrize("rule", ["ballot_sum", "vote_sum", "ballot_balance", "words_match_digits"])
def test_each_check_passes_on_a_consistent_form(rule):
    from dataset_platform.defs.forms.checks import evaluate_rule

    good = {"a": {"extraction": sample_extraction()}, "failed": {"extraction": None}}
    assert evaluate_rule(rule, good).passed


def test_bomb_and_pdf_pages_in_one_manifest_run(gemini_server, platform_home):
    from dataset_platform_tests.forms.test_pages import write_pdf, write_png

    forms = platform_home / "forms"
    make_form_set(forms, "a")
    bomb = make_form_set(forms, "b", pages=1)
    write_png(bomb / "page_02.png", size=(14000, 13000), mode="1")  # 182 MP
    write_pdf(forms / "c" / "scan.pdf", [(255, 255, 255), (250, 250, 250)])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("form_sets", ["a", "b", "c"])
        result = _materialize(instance, gemini_server, ["a", "c"])  # a..c: the range covers b too
        manifest = _metadata(result, "raw_form_images")
        extract = _metadata(result)
    assert manifest["form_sets"] == 3 and manifest["pages"] == 6
    assert manifest["unreadable_form_sets"] == 1 and manifest["unreadable_pages"] == 1
    assert "`b`: unreadable page(s): page_02.png: decompression bomb" in manifest["unreadable_reasons"]
    assert "scan.pdf#2" in manifest["pages_preview"]
    assert (extract["succeeded"], extract["failed"]) == (2, 1)


def test_ground_truth_asset_skips_bad_review_rows_and_counts_needs_review(db_url, platform_home):
    forms = platform_home / "forms"
    (platform_home / "extractions").mkdir()
    for form_set_id, extra in (("a", {}), ("b", {"uncertain_fields": ["ballot_statistics.bad_ballots"]})):
        make_form_set(forms, form_set_id)
        record = {"form_set_id": form_set_id, "model": "offline", "extraction": sample_extraction(), "error": None}
        (platform_home / "extractions" / f"{form_set_id}.json").write_text(json.dumps({**record, **extra}))
    engine = db.make_engine(db_url)
    db.ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.extraction_reviews),
            [
                {"form_set_id": "a", "corrected_extraction": {}, "reviewer": "r1", "reviewed_at": datetime(2024, 1, 1)},
                {
                    "form_set_id": "b",
                    "corrected_extraction": {"form_info": {}},
                    "reviewer": "r2",
                    "reviewed_at": datetime(2024, 1, 1),
                },
            ],
        )
    result = dg.materialize([ground_truth_dataset], resources={"review_db": ReviewDatabase(url=db_url)})
    meta = _metadata(result, "ground_truth_dataset")
    assert (meta["count_llm_generated"], meta["count_needs_review"], meta["count_human_reviewed"]) == (1, 1, 0)
    assert meta["skipped_reviews"] == 2 and meta["needs_review_with_uncertain_fields"] == 1
    assert "of form set a is empty" in meta["skipped_review_reasons"]
    assert "of form set b is incomplete: form_info.form_type required" in meta["skipped_review_reasons"]
