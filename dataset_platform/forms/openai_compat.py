"""One chat request per form set to an OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp server).

Through the official ``openai`` SDK: every page is an ``image_url`` data-URL part of one user message
after the prompt, and ``response_format`` is the JSON schema of ``FormExtraction``. The served model's
name is the part after ``openai/``. Retries follow ``model_api.RetryPolicy`` in our own loop (the SDK's
built-in retries are switched off: their delays are fixed constants); what is left becomes a short,
key-free message.
"""

from __future__ import annotations

import base64
import copy
import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_platform.forms import model_api
from dataset_platform.forms.model_api import ModelAnswer, ModelCallError, RetryPolicy
from dataset_platform.forms.pages import PageInfo, UnreadableFormSet, open_page
from dataset_platform.forms.schema import FormExtraction

SCHEMA_NAME = "FormExtraction"
# Local servers accept any key; the SDK refuses to start without one.
NO_KEY = "not-needed"
# Longest page side sent. A phone scan is often 3000-4000 px; VLM encoders resize to ~1-2k px anyway
# (Qwen2.5-VL's default max_pixels ≈ 1280·28², Typhoon OCR is tuned at ~1800 px), and every pixel costs
# image tokens and upload time.
DEFAULT_MAX_IMAGE_SIDE = 2048


@dataclass(frozen=True)
class OpenAIOptions:
    base_url: str | None = None
    api_key: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # USD per million (input, output) tokens by served-name prefix; empty = self-hosted, cost 0.
    prices_per_million: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    strict_schema: bool = True
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE
    max_tokens: int | None = None

    def input_config(self) -> dict[str, Any]:
        """What changes the request besides model, prompt, temperature and pages (part of the cache key)."""
        return {"max_image_side": self.max_image_side, "strict_schema": self.strict_schema}


def served_name(model: str) -> str:
    """``openai/qwen2.5-vl-7b`` → ``qwen2.5-vl-7b`` (the request's ``model``)."""
    return model.split("/", 1)[1]


def estimate_cost(options: OpenAIOptions, model: str, input_tokens: int, output_tokens: int) -> float:
    return model_api.estimate_cost(options.prices_per_million, served_name(model), input_tokens, output_tokens)


def make_client(options: OpenAIOptions) -> Any:
    from openai import OpenAI

    if not options.base_url:
        raise ModelCallError("OPENAI_BASE_URL not set")
    return OpenAI(
        base_url=options.base_url,
        api_key=options.api_key or NO_KEY,
        timeout=options.retry.timeout_s,
        max_retries=0,  # call_with_retries applies the one RetryPolicy
    )


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _inline({**target, **extra}, defs)
    out = {k: _inline(v, defs) for k, v in node.items() if k not in ("$defs", "title", "default")}
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])  # strict mode: every key present, null when unknown
        out["additionalProperties"] = False
    return out


@functools.cache
def response_schema() -> dict[str, Any]:
    """``FormExtraction`` as one self-contained JSON schema that both strict-mode checkers accept.

    OpenAI's strict mode wants ``additionalProperties: false`` and every property in ``required`` on
    each object (optional values are ``anyOf [..., null]``) and no ``default``. vLLM's and SGLang's
    guided decoding (xgrammar / outlines / guidance), llama.cpp's grammar converter and Ollama's
    ``format`` compile the same schema; ``$ref`` is inlined because not every backend resolves
    ``$defs``, and ``title`` is dropped as noise in the grammar.
    """
    schema = FormExtraction.model_json_schema()
    return _inline(schema, schema.get("$defs", {}))


def response_format(strict: bool) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": response_schema(), "strict": strict}}


def image_data_url(page: PageInfo, max_side: int = DEFAULT_MAX_IMAGE_SIDE) -> str:
    """The page as a ``data:`` URL: an image file's own bytes when it fits ``max_side``; otherwise (a PDF page,
    a large scan) the page read through ``open_page``, fitted into ``max_side`` and sent as a JPEG."""
    if not page.is_pdf_page and max(page.width or 0, page.height or 0) <= max_side:
        data, mime = Path(page.path).read_bytes(), page.mime_type
    else:
        from PIL import Image

        image = open_page(page)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        data, mime = buffer.getvalue(), "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def messages(prompt: str, pages: Sequence[PageInfo], max_side: int = DEFAULT_MAX_IMAGE_SIDE) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for number, page in enumerate(pages, start=1):
        content.append({"type": "text", "text": f"Page {number} of {len(pages)}:"})
        content.append({"type": "image_url", "image_url": {"url": image_data_url(page, max_side)}})
    return [{"role": "user", "content": content}]


def is_transient(exc: BaseException, policy: RetryPolicy) -> bool:
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    return isinstance(exc, openai.APIStatusError) and policy.is_transient_status(exc.status_code)


def describe_error(exc: BaseException, options: OpenAIOptions) -> str:
    import openai

    policy = options.retry
    if isinstance(exc, openai.APITimeoutError):
        text = f"OpenAI-compatible request timed out after {policy.timeout_s:g}s ({policy.attempts} attempt(s))"
    elif isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
        text = f"OpenAI-compatible server unreachable after {policy.attempts} attempt(s): {cause}"
    elif isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}  # the SDK already unwrapped {"error": {...}}
        message = str(body.get("message") or "").strip()
        kind = body.get("type") or type(exc).__name__
        first_line = message.splitlines()[0][:200] if message else ""
        text = f"OpenAI-compatible API error {exc.status_code} {kind}: {first_line}"
    else:
        text = f"{type(exc).__name__}: {exc}"[:300]
    # A server may echo the request's headers back in its message; the key never reaches a record.
    text = text.strip()
    return text.replace(options.api_key, "***") if options.api_key else text


def generate(
    client: Any,
    options: OpenAIOptions,
    model: str,
    prompt: str,
    pages: Sequence[PageInfo],
    *,
    temperature: float,
) -> ModelAnswer:
    """One chat completion with every page inline; raises ``ModelCallError`` when retries are spent."""
    try:
        content = messages(prompt, pages, options.max_image_side)  # encoded once, re-sent on each retry
    except UnreadableFormSet as exc:  # a page changed or vanished since it was inspected
        raise ModelCallError(str(exc)) from None
    request: dict[str, Any] = {
        "model": served_name(model),
        "messages": content,
        "response_format": response_format(options.strict_schema),
        "temperature": temperature,
    }
    if options.max_tokens is not None:
        request["max_tokens"] = options.max_tokens
    try:
        response = model_api.call_with_retries(
            lambda: client.chat.completions.create(**request),
            options.retry,
            lambda exc: is_transient(exc, options.retry),
        )
    except Exception as exc:  # API errors after retries, timeouts, transport errors: all end this form set
        raise ModelCallError(describe_error(exc, options)) from None
    usage = response.usage
    choice = response.choices[0] if response.choices else None
    message = choice.message if choice is not None else None
    refusal = getattr(message, "refusal", None) if message is not None else None
    return ModelAnswer(
        text=None if refusal else (message.content if message is not None else None),
        input_tokens=(usage.prompt_tokens or 0) if usage else 0,
        output_tokens=(usage.completion_tokens or 0) if usage else 0,  # includes reasoning tokens
        finish_reason="refusal" if refusal else (choice.finish_reason if choice is not None else None),
    )
