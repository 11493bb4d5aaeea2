"""Gemini extraction through the real google-genai client against a local Gemini-protocol server; no Dagster, no OCR."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dataset_platform.forms.cache import ExtractionCache
from dataset_platform.forms.gemini import estimate_cost
from dataset_platform.forms.model_config import ModelConfig
from dataset_platform.forms.prompt import PROMPT_VERSION
from dataset_platform.forms.runner import extract_form_sets
from dataset_platform_tests.forms.helpers import make_form_set, options_for, sample_extraction

FLASH = ModelConfig(model="gemini-2.5-flash")


def run(server, dirs, config=FLASH, **kwargs):
    options = options_for(server, **kwargs.pop("options", {}))
    return extract_form_sets(dirs, config, gemini_options=options, **kwargs)


def test_request_shape_all_pages_in_one_call(gemini_server, tmp_path):
    folder = make_form_set(tmp_path, "bkk-001", pages=3)
    config = ModelConfig(model="gemini-2.5-flash", temperature=0.4, thinking_budget=512)

    [record] = run(gemini_server, [folder], config)

    assert record.error is None
    assert record.extraction == sample_extraction()
    [request] = gemini_server.requests
    assert request.model == "gemini-2.5-flash"
    assert request.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert request.headers["x-goog-api-key"] == "test-key"
    sent = [base64.urlsafe_b64decode(image["data"]) for image in request.images]
    assert sent == [p.read_bytes() for p in sorted(folder.glob("page_*.png"))]
    assert {image.get("mimeType") or image.get("mime_type") for image in request.images} == {"image/png"}
    assert "ส.ส. 5/18" in request.parts[0]["text"]
    config_sent = request.generation_config
    assert config_sent["temperature"] == 0.4
    assert config_sent["responseMimeType"] == "application/json"
    thinking = config_sent["thinkingConfig"]  # the SDK sends proto field names, which the API accepts in either case
    assert thinking.get("thinkingBudget", thinking.get("thinking_budget")) == 512
    schema = config_sent["responseSchema"]
    assert set(schema["properties"]) == {"form_info", "voter_statistics", "ballot_statistics", "vote_results"}
    assert "vote_count_text" in schema["properties"]["vote_results"]["items"]["properties"]


def test_usage_and_cost_recorded(gemini_server, tmp_path):
    gemini_server.usage = (2000, 400, 100)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert (record.input_tokens, record.output_tokens) == (2000, 500)
    assert record.cost_usd == pytest.approx(estimate_cost("gemini-2.5-flash", 2000, 500))
    assert record.cost_usd == pytest.approx((2000 * 0.30 + 500 * 2.50) / 1e6)
    assert record.prompt_version == PROMPT_VERSION and record.config_name == "gemini-2.5-flash-t0.0"
    assert record.cache_hit is False and record.latency_s > 0


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried(gemini_server, tmp_path, status):
    gemini_server.fail_next(2, status)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert record.error is None and record.extraction == sample_extraction()
    assert len(gemini_server.requests) == 3


def test_retries_exhausted_records_failure(gemini_server, tmp_path):
    gemini_server.fail_next(10, 429)
    records = run(gemini_server, [make_form_set(tmp_path, "a")], options={"attempts": 2})
    assert records[0].extraction is None
    assert "429" in records[0].error and "RESOURCE_EXHAUSTED" in records[0].error
    assert "test-key" not in records[0].error
    assert len(gemini_server.requests) == 2


def test_client_error_is_not_retried(gemini_server, tmp_path):
    gemini_server.fail_next(1, 400)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert "400" in record.error
    assert len(gemini_server.requests) == 1


def test_invalid_json_retried_once_then_recorded(gemini_server, tmp_path):
    gemini_server.invalid_json_next(2)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert record.extraction is None
    assert record.error.startswith("invalid response: response is not valid JSON")
    assert len(gemini_server.requests) == 2
    assert record.input_tokens == 2 * 1200  # both calls were paid for


def test_invalid_json_then_valid_succeeds(gemini_server, tmp_path):
    gemini_server.invalid_json_next(1)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert record.extraction == sample_extraction()
    assert len(gemini_server.requests) == 2


def test_schema_mismatch_is_invalid(gemini_server, tmp_path):
    bad = sample_extraction()
    bad["vote_results"][0]["vote_count"] = "a lot"
    gemini_server.answer_next(bad, times=2)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert "FormExtraction schema" in record.error and "vote_results.0.vote_count" in record.error


def test_thai_digit_strings_in_integer_fields_are_accepted(gemini_server, tmp_path):
    answer = sample_extraction(ballots_used="๔๐๐", ballots_allocated="1,000")
    gemini_server.answer_next(answer)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert record.extraction["ballot_statistics"]["ballots_used"] == 400
    assert record.extraction["ballot_statistics"]["ballots_allocated"] == 1000


def test_misread_numeral_triggers_one_reread_and_keeps_the_sound_answer(gemini_server, tmp_path):
    misread = sample_extraction()
    misread["vote_results"][1]["vote_count"] = 140  # ๕ read as ๔: words say 150
    gemini_server.answer_next(misread)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert len(gemini_server.requests) == 2
    assert record.extraction == sample_extraction() and record.warnings == []


def test_persistent_guard_issues_are_warnings_not_failures(gemini_server, tmp_path):
    phantom = sample_extraction()
    phantom["vote_results"].append({"candidate_number": 5, "vote_count_text": None})  # phantom row
    phantom["vote_results"][0]["candidate_number"] = 2  # swapped/duplicated number
    gemini_server.extraction = phantom
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    assert record.error is None
    assert len(record.extraction["vote_results"]) == 3  # phantom row dropped
    assert any("duplicate candidate numbers [2]" in w for w in record.warnings)
    assert any("dropped 1 candidate row" in w for w in record.warnings)
    assert len(gemini_server.requests) == 2


def test_timeout_is_retried_then_recorded(gemini_server, tmp_path):
    gemini_server.hang_next(5, seconds=3)
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")], options={"timeout_s": 0.3, "attempts": 2})
    assert record.extraction is None
    assert "timed out after 0.3s" in record.error
    assert len(gemini_server.requests) == 2


def test_max_concurrency_is_honoured(gemini_server, tmp_path):
    gemini_server.latency_s = 0.15
    dirs = [make_form_set(tmp_path, f"fs-{i:02d}") for i in range(10)]
    records = run(gemini_server, dirs, max_concurrency=3)
    assert all(r.error is None for r in records)
    assert [r.form_set_id for r in records] == [d.name for d in dirs]
    assert gemini_server.peak_in_flight == 3


def test_progress_callback_sees_every_record(gemini_server, tmp_path):
    seen = []
    dirs = [make_form_set(tmp_path, f"fs-{i}") for i in range(4)]
    run(
        gemini_server,
        dirs,
        max_concurrency=2,
        on_progress=lambda done, total, r: seen.append((done, total, r.form_set_id)),
    )
    assert [s[0] for s in seen] == [1, 2, 3, 4] and {s[1] for s in seen} == {4}
    assert sorted(s[2] for s in seen) == sorted(d.name for d in dirs)


def test_cache_second_run_makes_no_calls(gemini_server, tmp_path):
    dirs = [make_form_set(tmp_path, f"fs-{i}") for i in range(3)]
    first = run(gemini_server, dirs)
    assert len(gemini_server.requests) == 3
    second = run(gemini_server, dirs)
    assert len(gemini_server.requests) == 3
    assert all(r.cache_hit for r in second) and not any(r.cache_hit for r in first)
    assert [r.extraction for r in second] == [r.extraction for r in first]
    assert second[0].input_tokens == first[0].input_tokens  # what producing the answer cost


def test_cache_invalidation_is_exact(gemini_server, tmp_path, monkeypatch):
    a, b = make_form_set(tmp_path, "a"), make_form_set(tmp_path, "b")
    run(gemini_server, [a, b])
    assert len(gemini_server.requests) == 2

    run(gemini_server, [a, b], ModelConfig(model="gemini-2.5-flash", temperature=0.5))
    assert len(gemini_server.requests) == 4
    run(gemini_server, [a, b], ModelConfig(model="gemini-2.5-pro"))
    assert len(gemini_server.requests) == 6

    make_form_set(tmp_path, "b", seed=99)  # b's pages re-scanned: only b is extracted again
    run(gemini_server, [a, b])
    assert len(gemini_server.requests) == 7 and gemini_server.requests[-1].model == "gemini-2.5-flash"

    monkeypatch.setattr("dataset_platform.forms.runner.PROMPT_VERSION", "v-next")
    records = run(gemini_server, [a, b])
    assert len(gemini_server.requests) == 9 and {r.prompt_version for r in records} == {"v-next"}


def test_failures_are_not_cached(gemini_server, tmp_path):
    folder = make_form_set(tmp_path, "a")
    gemini_server.invalid_json_next(2)
    assert run(gemini_server, [folder])[0].error
    assert run(gemini_server, [folder])[0].error is None
    assert len(gemini_server.requests) == 3


def test_cache_trouble_never_costs_an_answer(gemini_server, tmp_path):
    class BrokenCache(ExtractionCache):
        def get(self, key):
            return {"not": "an entry"}

        def put(self, key, entry):
            raise OSError(28, "No space left on device")

    [record] = run(gemini_server, [make_form_set(tmp_path, "a")], cache=BrokenCache(tmp_path / "c"))
    assert record.error is None and record.extraction == sample_extraction() and not record.cache_hit


def test_cache_writes_are_atomic_files(gemini_server, tmp_path, platform_home):
    run(gemini_server, [make_form_set(tmp_path, "a")])
    files = list((platform_home / "cache" / "extractions").rglob("*"))
    entries = [f for f in files if f.is_file()]
    assert len(entries) == 1 and entries[0].suffix == ".json"
    assert json.loads(entries[0].read_text())["extraction"] == sample_extraction()


@pytest.mark.parametrize(
    ("page_bytes", "name", "expected"),
    [
        (b"", "page_02.png", "page_02.png: empty file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "page_02.png", "page_02.png: "),
        (b"just some text", "page_02.png", "page_02.png: not a valid png/jpg image"),
        (b"%PDF-1.4", "page_02.pdf", "page_02.pdf: not a readable PDF"),
        (b"GIF89a", "page_02.gif", "page_02.gif: not an image file (.gif)"),
    ],
)
def test_bad_page_fails_only_its_form_set(gemini_server, tmp_path, page_bytes, name, expected):
    good = make_form_set(tmp_path, "good")
    bad = make_form_set(tmp_path, "bad", pages=1)
    (bad / name).write_bytes(page_bytes)
    records = run(gemini_server, [bad, good])
    assert records[1].error is None and records[1].extraction
    assert records[0].extraction is None
    assert records[0].error.startswith("unreadable page(s): ") and expected in records[0].error
    assert len(gemini_server.requests) == 1  # the bad set never reached the model


def test_truncated_png_is_reported(gemini_server, tmp_path):
    bad = make_form_set(tmp_path, "bad", pages=2)
    data = (bad / "page_02.png").read_bytes()
    (bad / "page_02.png").write_bytes(data[: len(data) // 2])
    [record] = run(gemini_server, [bad])
    assert "page_02.png" in record.error and record.extraction is None


def test_empty_and_missing_folders(gemini_server, tmp_path):
    (tmp_path / "empty").mkdir()
    records = run(gemini_server, [tmp_path / "empty", tmp_path / "missing"])
    assert records[0].error == "no page images or PDFs in the form set folder"
    assert "does not exist" in records[1].error
    assert gemini_server.requests == []


def test_rate_limiter_allows_a_burst_then_the_rate():
    from dataset_platform.forms.ratelimit import RateLimiter

    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)

    limiter = RateLimiter(requests_per_minute=120, burst=2, clock=lambda: now[0], sleep=sleep)
    assert [limiter.acquire() for _ in range(4)] == [0.0, 0.0, pytest.approx(0.5), pytest.approx(1.0)]
    now[0] = 10.0  # idle long enough to refill the burst, never more
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.5)]
    assert RateLimiter(None).acquire() == 0.0


def test_rate_limited_run_still_extracts_everything(gemini_server, tmp_path):
    dirs = [make_form_set(tmp_path, f"fs-{i}") for i in range(4)]
    records = run(gemini_server, dirs, max_concurrency=4, requests_per_minute=1200)
    assert all(r.error is None for r in records) and len(gemini_server.requests) == 4


def test_vertex_environment_makes_gemini_available(monkeypatch):
    from dataset_platform.resources.models import ExtractionModels

    assert ExtractionModels().availability("gemini-2.5-pro") is not None
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    assert ExtractionModels().availability("gemini-2.5-pro") is None


def test_unknown_model_is_a_record_error(gemini_server, tmp_path):
    [record] = run(gemini_server, [make_form_set(tmp_path, "a")], ModelConfig(model="gpt-4o"))
    assert "unknown model 'gpt-4o'" in record.error


def test_record_round_trip(gemini_server, tmp_path):
    from dataset_platform.forms.runner import ExtractionRecord

    [record] = run(gemini_server, [make_form_set(tmp_path, "a")])
    data = json.loads(json.dumps(record.to_dict()))
    assert ExtractionRecord.from_dict({**data, "extra": 1}) == record
    assert set(data) >= {
        "form_set_id",
        "model",
        "config_name",
        "prompt_version",
        "extraction",
        "error",
        "input_tokens",
        "output_tokens",
        "latency_s",
        "cost_usd",
        "cache_hit",
    }


def test_model_config_names():
    assert ModelConfig(model="gemini-2.5-flash").name == "gemini-2.5-flash-t0.0"
    assert ModelConfig(model="gemini-2.5-pro", temperature=0.7, name_suffix="x").name == "gemini-2.5-pro-t0.7-x"
    with pytest.raises(ValueError):
        ModelConfig(model="gemini-2.5-flash", temperature=3)


def test_page_listing_is_natural_order(tmp_path):
    from dataset_platform.forms.pages import form_set_manifest

    folder = make_form_set(tmp_path, "a", pages=11)
    (folder / "ground_truth.json").write_text("{}")
    manifest = form_set_manifest(folder)
    assert [p.name for p in manifest.pages] == [f"page_{i:02d}.png" for i in range(1, 12)]
    assert manifest.readable and manifest.pages[0].width == 24 and len(manifest.pages[0].sha256) == 64
    assert Path(manifest.pages[0].path).is_absolute()


def test_unavailable_model_yields_failed_records_through_the_resource(tmp_path):
    from dataset_platform.resources.models import ExtractionModels

    seen = []
    dirs = [make_form_set(tmp_path, "a"), make_form_set(tmp_path, "b")]
    records = ExtractionModels().extract(dirs, FLASH, on_progress=lambda done, total, r: seen.append(done))
    assert [r.form_set_id for r in records] == ["a", "b"] and seen == [1, 2]
    assert all(r.extraction is None and r.error.startswith("model unavailable: GEMINI_API_KEY") for r in records)


def test_pdf_form_set_is_sent_as_the_pdf_itself(gemini_server, tmp_path):
    from dataset_platform_tests.forms.test_pages import write_pdf

    pdf = write_pdf(tmp_path / "batch" / "scan.pdf", [(255, 255, 255), (200, 200, 200)])
    [record] = run(gemini_server, [tmp_path / "batch"])
    assert record.error is None and record.extraction == sample_extraction()
    [request] = gemini_server.requests
    [part] = request.images
    assert (part.get("mimeType") or part.get("mime_type")) == "application/pdf"
    assert base64.urlsafe_b64decode(part["data"]) == pdf.read_bytes()
    assert any(p.get("text") == "Pages 1-2 of 2 (scan.pdf):" for p in request.parts)


def test_bomb_and_oversized_pages_fail_only_their_form_sets(gemini_server, tmp_path):
    from dataset_platform_tests.forms.test_pages import write_png

    good = make_form_set(tmp_path, "good")
    bomb = make_form_set(tmp_path, "bomb", pages=1)
    write_png(bomb / "page_02.png", size=(14000, 13000), mode="1")  # 182 MP
    huge = make_form_set(tmp_path, "huge", pages=1)
    write_png(huge / "page_02.png", size=(10000, 9500), mode="1")  # 95 MP, a PNG: never decoded in full
    records = {r.form_set_id: r for r in run(gemini_server, [bomb, huge, good])}
    assert records["good"].error is None and records["good"].extraction
    assert "page_02.png: decompression bomb" in records["bomb"].error
    assert "page_02.png: 10000×9500 px (95 MP) is over the 89 MP page limit" in records["huge"].error
    assert len(gemini_server.requests) == 1


def test_gemini_size_limits(gemini_server, tmp_path, monkeypatch):
    from dataset_platform.forms import gemini

    folder = make_form_set(tmp_path, "a", pages=2)
    monkeypatch.setattr(gemini, "GEMINI_MAX_PART_BYTES", 100)  # every page is "too big": sent re-encoded
    [record] = run(gemini_server, [folder])
    assert record.error is None
    assert {i.get("mimeType") or i.get("mime_type") for i in gemini_server.requests[0].images} == {"image/jpeg"}

    monkeypatch.setattr(gemini, "GEMINI_MAX_REQUEST_BYTES", 100)
    [record] = run(gemini_server, [make_form_set(tmp_path, "b", pages=2)])
    assert record.extraction is None and "over Gemini's 0 MB request limit" in record.error
    assert len(gemini_server.requests) == 1
