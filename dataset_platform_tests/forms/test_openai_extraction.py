"""openai/<served-name> extraction through the real openai SDK against a local OpenAI-protocol server; no OCR."""

from __future__ import annotations

import io
import json
import logging

import dagster as dg
import pytest

from dataset_platform.forms import openai_compat
from dataset_platform.forms.model_api import RetryPolicy, call_with_retries
from dataset_platform.forms.model_config import ModelConfig
from dataset_platform.forms.prompt import PROMPT_VERSION
from dataset_platform.forms.runner import extract_form_sets
from dataset_platform_tests.forms.helpers import (
    OPENAI_TEST_KEY,
    make_form_set,
    openai_options_for,
    sample_extraction,
)

QWEN = ModelConfig(model="openai/qwen2.5-vl-7b")


def run(server, dirs, config=QWEN, **kwargs):
    options = openai_options_for(server, **kwargs.pop("options", {}))
    return extract_form_sets(dirs, config, openai_options=options, **kwargs)


def test_request_shape_all_pages_in_one_chat_message(openai_server, tmp_path):
    folder = make_form_set(tmp_path, "bkk-001", pages=3)
    config = ModelConfig(model="openai/typhoon-ocr-7b", temperature=0.2)

    [record] = run(openai_server, [folder], config)

    assert record.error is None and record.extraction == sample_extraction()
    [request] = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.model == "typhoon-ocr-7b"  # the served name, without the openai/ prefix
    assert request.headers["authorization"] == f"Bearer {OPENAI_TEST_KEY}"
    assert request.body["temperature"] == 0.2
    [message] = request.body["messages"]
    assert message["role"] == "user"
    assert "ส.ส. 5/18" in request.parts[0]["text"] and "3 page(s)" in request.parts[0]["text"]
    texts = [p["text"] for p in request.parts if p["type"] == "text"]
    assert texts[1:] == ["Page 1 of 3:", "Page 2 of 3:", "Page 3 of 3:"]
    assert request.images() == [("image/png", p.read_bytes()) for p in sorted(folder.glob("page_*.png"))]
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.json_schema["name"] == "FormExtraction" and request.json_schema["strict"] is True
    assert request.json_schema["schema"] == openai_compat.response_schema()
    assert "max_tokens" not in request.body


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item)


def test_schema_is_strict_mode_and_guided_decoding_ready():
    import jsonschema
    from openai.lib._pydantic import to_strict_json_schema  # the SDK's own view of strict mode (cross-check only)

    from dataset_platform.forms.schema import FormExtraction

    schema = openai_compat.response_schema()
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text and '"default"' not in text and '"title"' not in text
    objects = list(_objects(schema))
    assert len(objects) == 5  # the root, its three sections and a vote_results item
    for obj in objects:
        assert obj["additionalProperties"] is False and obj["required"] == list(obj["properties"])

    def inline(node, defs):  # the SDK keeps $refs; resolve them to compare like with like
        if isinstance(node, list):
            return [inline(n, defs) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            return inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
        return {k: inline(v, defs) for k, v in node.items() if k not in ("$defs", "title")}

    sdk = to_strict_json_schema(FormExtraction)
    assert inline(sdk, sdk["$defs"]) == schema

    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(sample_extraction())
    nulls = json.loads(json.dumps(sample_extraction()).replace('"สองร้อย"', "null"))
    validator.validate(nulls)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**sample_extraction(), "notes": "extra key"})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({k: v for k, v in sample_extraction().items() if k != "vote_results"})


def test_large_pages_are_downscaled_small_ones_sent_as_is(openai_server, tmp_path):
    from PIL import Image

    folder = make_form_set(tmp_path, "scan", pages=1)
    Image.new("RGB", (3000, 1500), (240, 230, 220)).save(folder / "page_02.jpg", quality=95)
    Image.new("L", (1000, 4100), 255).save(folder / "page_03.png")

    [record] = run(openai_server, [folder], options={"max_image_side": 1024})

    assert record.error is None
    sent = openai_server.requests[0].images()
    assert sent[0] == ("image/png", (folder / "page_01.png").read_bytes())
    sizes = [(mime, Image.open(io.BytesIO(data)).size) for mime, data in sent[1:]]
    assert sizes == [("image/jpeg", (1024, 512)), ("image/jpeg", (250, 1024))]


def test_pdf_pages_are_rendered_image_parts(openai_server, tmp_path):
    from PIL import Image

    from dataset_platform_tests.forms.test_pages import write_pdf

    write_pdf(tmp_path / "batch" / "scan.pdf", [(255, 255, 255), (120, 120, 120)])
    [record] = run(openai_server, [tmp_path / "batch"])
    assert record.error is None and record.extraction == sample_extraction()
    [request] = openai_server.requests
    images = [Image.open(io.BytesIO(data)) for mime, data in request.images() if mime == "image/jpeg"]
    assert len(images) == 2 == len(request.image_urls)
    assert all(max(i.size) == openai_compat.DEFAULT_MAX_IMAGE_SIDE for i in images)  # A4 at 200 DPI, fitted
    assert [i.convert("L").getpixel((10, 10)) // 10 for i in images] == [25, 12]  # page order kept


def test_usage_recorded_and_self_hosted_costs_nothing(openai_server, tmp_path):
    openai_server.usage = (2400, 600)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert (record.input_tokens, record.output_tokens, record.cost_usd) == (2400, 600, 0.0)
    assert record.prompt_version == PROMPT_VERSION and record.config_name == "openai/qwen2.5-vl-7b-t0.0"
    assert record.latency_s > 0 and record.cache_hit is False


def test_configured_prices_give_a_cost(openai_server, tmp_path):
    openai_server.usage = (2000, 500)
    prices = {"qwen2.5-vl": (0.20, 0.60), "qwen": (9.0, 9.0)}  # longest prefix wins
    [record] = run(openai_server, [make_form_set(tmp_path, "a")], options={"prices_per_million": prices})
    assert record.cost_usd == pytest.approx((2000 * 0.20 + 500 * 0.60) / 1e6)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried_with_backoff(openai_server, tmp_path, status):
    openai_server.fail_next(2, status)
    options = {"initial_delay_s": 0.2, "max_delay_s": 1.0, "jitter_s": 0.0}
    [record] = run(openai_server, [make_form_set(tmp_path, "a")], options=options)
    assert record.error is None and record.extraction == sample_extraction()
    assert len(openai_server.requests) == 3
    first, second, third = openai_server.arrivals
    assert second - first >= 0.2 and third - second >= 0.4  # 0.2 s, then doubled


def test_retries_exhausted_records_failure_without_the_key(openai_server, tmp_path):
    openai_server.fail_next(10, 429)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")], options={"attempts": 2})
    assert record.extraction is None
    assert record.error == "OpenAI-compatible API error 429 RateLimitError: scripted failure"
    assert len(openai_server.requests) == 2


def test_client_error_is_not_retried(openai_server, tmp_path):
    openai_server.fail_next(1, 400)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert record.error.startswith("OpenAI-compatible API error 400")
    assert len(openai_server.requests) == 1


def test_unknown_served_model_404_is_final(openai_server, tmp_path):
    openai_server.fail_next(1, 404)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert "404" in record.error and len(openai_server.requests) == 1


def test_invalid_json_read_again_once_then_recorded(openai_server, tmp_path):
    openai_server.invalid_json_next(2)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert record.extraction is None
    assert record.error.startswith("invalid response: response is not valid JSON")
    assert "finish_reason" not in record.error  # "stop" is a normal end, as Gemini's STOP
    assert len(openai_server.requests) == 2
    assert record.input_tokens == 2 * 1500  # both calls were paid for


def test_invalid_json_then_valid_succeeds(openai_server, tmp_path):
    openai_server.invalid_json_next(1)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert record.extraction == sample_extraction() and len(openai_server.requests) == 2


def test_misread_numeral_triggers_one_reread_and_keeps_the_sound_answer(openai_server, tmp_path):
    misread = sample_extraction()
    misread["vote_results"][1]["vote_count"] = 140  # the words say 150
    openai_server.answer_next(misread)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert len(openai_server.requests) == 2
    assert record.extraction == sample_extraction() and record.warnings == []


def test_phantom_rows_dropped_and_guard_issues_kept_as_warnings(openai_server, tmp_path):
    phantom = sample_extraction()
    phantom["vote_results"].append({"candidate_number": 4})
    phantom["vote_results"][0]["candidate_number"] = 2
    openai_server.extraction = phantom
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert record.error is None and len(record.extraction["vote_results"]) == 3
    assert any("duplicate candidate numbers [2]" in w for w in record.warnings)
    assert any("dropped 1 candidate row" in w for w in record.warnings)


def test_timeout_is_retried_then_recorded(openai_server, tmp_path):
    openai_server.hang_next(5, seconds=3)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")], options={"timeout_s": 0.3, "attempts": 2})
    assert record.extraction is None
    assert record.error == "OpenAI-compatible request timed out after 0.3s (2 attempt(s))"
    assert len(openai_server.requests) == 2


def test_unreachable_server_is_a_recorded_failure(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = openai_compat.OpenAIOptions(
        base_url=f"http://127.0.0.1:{port}/v1", retry=RetryPolicy(attempts=2, initial_delay_s=0.01, timeout_s=2)
    )
    [record] = extract_form_sets([make_form_set(tmp_path, "a")], QWEN, openai_options=options)
    assert record.extraction is None and record.error.startswith("OpenAI-compatible server unreachable after 2")


def test_max_concurrency_is_honoured(openai_server, tmp_path):
    openai_server.latency_s = 0.15
    dirs = [make_form_set(tmp_path, f"fs-{i:02d}") for i in range(10)]
    records = run(openai_server, dirs, max_concurrency=3)
    assert all(r.error is None for r in records)
    assert [r.form_set_id for r in records] == [d.name for d in dirs]
    assert openai_server.peak_in_flight == 3


def test_cache_second_run_makes_no_calls_and_keys_are_exact(openai_server, tmp_path):
    dirs = [make_form_set(tmp_path, f"fs-{i}") for i in range(3)]
    first = run(openai_server, dirs)
    second = run(openai_server, dirs)
    assert len(openai_server.requests) == 3
    assert all(r.cache_hit for r in second) and [r.extraction for r in second] == [r.extraction for r in first]
    assert second[0].input_tokens == first[0].input_tokens

    run(openai_server, dirs[:1], ModelConfig(model="openai/qwen2.5-vl-7b", temperature=0.7))
    run(openai_server, dirs[:1], ModelConfig(model="openai/qwen2.5-vl-72b"))
    run(openai_server, dirs[:1], options={"max_image_side": 1024})  # pages would be sent differently
    assert len(openai_server.requests) == 6


def test_failures_are_not_cached(openai_server, tmp_path):
    folder = make_form_set(tmp_path, "a")
    openai_server.invalid_json_next(2)
    assert run(openai_server, [folder])[0].error
    assert run(openai_server, [folder])[0].error is None
    assert len(openai_server.requests) == 3


def test_refusal_is_an_invalid_answer(openai_server, tmp_path, monkeypatch):
    original = openai_server.answer_payload

    def refuse(request, text):
        payload = original(request, text)
        payload["choices"][0]["message"] = {"role": "assistant", "content": None, "refusal": "I can't help"}
        return payload

    monkeypatch.setattr(openai_server, "answer_payload", refuse)
    [record] = run(openai_server, [make_form_set(tmp_path, "a")])
    assert record.error == "invalid response: empty response (finish_reason=refusal)"


def test_backoff_schedule_and_which_errors_are_transient():
    policy = RetryPolicy(attempts=4, initial_delay_s=1.0, max_delay_s=3.0)
    assert [policy.delay_s(n, uniform=lambda: 0.0) for n in (1, 2, 3)] == [1.0, 2.0, 3.0]
    assert policy.delay_s(1, uniform=lambda: 0.999) == pytest.approx(1.999)  # jitter up to initial_delay_s
    assert policy.is_transient_status(429) and policy.is_transient_status(503) and not policy.is_transient_status(409)

    slept, calls = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    rng_free = RetryPolicy(attempts=4, initial_delay_s=0.5, jitter_s=0.0)
    assert call_with_retries(flaky, rng_free, lambda e: isinstance(e, TimeoutError), sleep=slept.append) == "ok"
    assert slept == [0.5, 1.0]
    with pytest.raises(ValueError):
        call_with_retries(lambda: int("x"), rng_free, lambda e: False, sleep=slept.append)
    assert slept == [0.5, 1.0]  # a final error is not waited on
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_resource_defaults_are_the_retry_policy_defaults():
    from dataset_platform.forms.gemini import GeminiOptions
    from dataset_platform.resources.models import ExtractionModels

    assert ExtractionModels().retry_policy() == RetryPolicy() == GeminiOptions().retry
    assert openai_compat.OpenAIOptions().retry == RetryPolicy()


def test_missing_base_url_yields_unavailable_records(tmp_path, monkeypatch):
    from dataset_platform.forms.extract_cli import main
    from dataset_platform.resources.models import ExtractionModels

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert ExtractionModels().availability("openai/qwen2.5-vl-7b") == "OPENAI_BASE_URL not set"
    [record] = ExtractionModels().extract([make_form_set(tmp_path, "a")], QWEN)
    assert record.extraction is None and record.error == "model unavailable: OPENAI_BASE_URL not set"
    assert record.prompt_version == PROMPT_VERSION
    assert main([tmp_path / "a"], model="openai/qwen2.5-vl-7b", output=None, max_concurrency=None) == 2


def test_extract_cli_with_an_openai_model(openai_server, tmp_path, monkeypatch, capsys):
    from dataset_platform.forms.extract_cli import main

    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    out = tmp_path / "pred.jsonl"
    assert main([make_form_set(tmp_path, "a")], model="openai/qwen2.5-vl-7b", output=out, max_concurrency=1) == 0
    line = json.loads(out.read_text())
    assert (line["id"], line["extraction"], line["error"]) == ("a", sample_extraction(), None)
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {OPENAI_TEST_KEY}"
    assert OPENAI_TEST_KEY not in capsys.readouterr().err


def test_resources_wire_openai_variables_only_when_set(monkeypatch):
    from dataset_platform.defs.resources import build_resources

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    models = build_resources()["models"]
    assert models.openai_base_url is None and models.openai_api_key is None

    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box:8000/v1")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    models = build_resources()["models"]
    assert models.openai_base_url == dg.EnvVar("OPENAI_BASE_URL")
    assert models.openai_api_key == dg.EnvVar("OPENAI_API_KEY")  # resolved at launch, not here


def test_dagster_run_records_no_key_in_metadata_logs_or_files(openai_server, platform_home, monkeypatch, caplog):
    from dataset_platform.defs.forms.assets import llm_extractions, raw_form_images
    from dataset_platform.defs.forms.partitions import RANGE_END_TAG, RANGE_START_TAG
    from dataset_platform.resources.models import ExtractionModels

    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    forms = platform_home / "forms"
    make_form_set(forms, "a")
    make_form_set(forms, "b")
    openai_server.fail_next(1, 500)
    openai_server.invalid_json_next(2)  # a: 500, retried, invalid, re-read invalid → failed; b: ok
    models = ExtractionModels(
        openai_base_url=openai_server.base_url,
        openai_api_key=dg.EnvVar("OPENAI_API_KEY"),
        retry_initial_delay_s=0.01,
        timeout_s=10,
    )
    caplog.set_level(logging.DEBUG)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("form_sets", ["a", "b"])
        result = dg.materialize(
            [raw_form_images, llm_extractions],
            instance=instance,
            resources={"models": models},
            tags={RANGE_START_TAG: "a", RANGE_END_TAG: "b"},
            run_config={
                "ops": {"llm_extractions": {"config": {"model": "openai/qwen2.5-vl-7b", "max_concurrency": 1}}}
            },
        )
        assert result.success
        events = [str(e.dagster_event or e.user_message) for e in instance.all_logs(result.run_id)]
        run_config = json.dumps(instance.get_run_by_id(result.run_id).run_config)
    mats = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["llm_extractions"]]
    metadata = json.dumps([{k: str(v.value) for k, v in m.materialization.metadata.items()} for m in mats])
    assert "scripted failure" not in metadata and "invalid response" in metadata  # the failure's reason is shown
    files = [p.read_text() for p in (platform_home / "extractions").glob("*.json")]
    assert len(files) == 2 and sum('"error": null' in f for f in files) == 1
    assert len(openai_server.requests) == 4
    assert all(r.headers["authorization"] == f"Bearer {OPENAI_TEST_KEY}" for r in openai_server.requests)
    for text in [metadata, run_config, caplog.text, *events, *files]:
        assert OPENAI_TEST_KEY not in text


def test_resource_passes_endpoint_retry_and_prices(openai_server, tmp_path):
    from dataset_platform.resources.models import ExtractionModels

    openai_server.usage = (1000, 100)
    openai_server.fail_next(1, 503)
    models = ExtractionModels(
        openai_base_url=openai_server.base_url,
        openai_prices_per_million={"qwen2.5-vl": [1.0, 2.0]},
        retry_attempts=2,
        retry_initial_delay_s=0.01,
    )
    [record] = models.extract([make_form_set(tmp_path, "a")], QWEN)
    assert record.error is None and len(openai_server.requests) == 2
    assert record.cost_usd == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {openai_compat.NO_KEY}"
