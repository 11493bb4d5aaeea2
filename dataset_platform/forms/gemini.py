"""One Gemini call per form set through the official google-genai SDK: all pages, structured JSON output.

HTTP-level retries follow ``model_api.RetryPolicy``, expressed as the SDK's own ``HttpRetryOptions``;
this module turns what is left into a short, key-free message.
``GEMINI_BASE_URL`` replaces the API host (the SDK appends ``/<api version>/models/<model>:generateContent``).
Vertex AI is selected by the SDK's environment (``GOOGLE_GENAI_USE_VERTEXAI``, ``GOOGLE_CLOUD_PROJECT``,
``GOOGLE_CLOUD_LOCATION``) when no API key is given.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_platform.forms import model_api
from dataset_platform.forms.model_api import ModelAnswer, ModelCallError, RetryPolicy
from dataset_platform.forms.pages import PageInfo
from dataset_platform.forms.schema import FormExtraction

# USD per million tokens (input, output incl. thinking), Gemini Developer API paid tier, prompts ≤ 200k tokens.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-3-pro": (2.00, 12.00),
    "gemini-3-flash": (0.50, 3.00),
}


@dataclass(frozen=True)
class GeminiOptions:
    api_key: str | None = None
    base_url: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def vertex_configured() -> bool:
    return os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true", "yes") and bool(
        os.environ.get("GOOGLE_CLOUD_PROJECT")
    )


def estimate_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    return model_api.estimate_cost(PRICES_PER_MILLION, model, input_tokens, output_tokens)


def make_client(options: GeminiOptions) -> Any:
    from google import genai
    from google.genai import types

    retry = options.retry
    http_options = types.HttpOptions(
        base_url=options.base_url or None,
        timeout=int(retry.timeout_s * 1000),  # the SDK takes milliseconds
        retry_options=types.HttpRetryOptions(
            attempts=retry.attempts,
            initial_delay=retry.initial_delay_s,
            max_delay=retry.max_delay_s,
            exp_base=2.0,
            jitter=retry.jitter,
            http_status_codes=list(retry.transient_status_codes),
        ),
    )
    if options.api_key:
        return genai.Client(api_key=options.api_key, http_options=http_options)
    return genai.Client(http_options=http_options)  # Vertex AI (or GOOGLE_API_KEY) from the SDK's environment


# Gemini takes at most 20 MB of inline data per request; a PDF or image part is sent as is up to
# ``GEMINI_MAX_PART_BYTES`` and ``GEMINI_MAX_PIXELS`` (pixels Gemini would downscale anyway), larger pages are
# sent as a JPEG of the page read through ``open_page``, fitted into ``GEMINI_MAX_SIDE`` px.
GEMINI_MAX_REQUEST_BYTES = 20 * 1024 * 1024
GEMINI_MAX_PART_BYTES = 7 * 1024 * 1024
GEMINI_MAX_PIXELS = 25_000_000
GEMINI_MAX_SIDE = 3072


def _page_bytes(page: PageInfo) -> tuple[bytes, str]:
    """An image page's bytes and mime type, re-encoded smaller when the file is over the part limits."""
    if page.size_bytes <= GEMINI_MAX_PART_BYTES and page.pixels <= GEMINI_MAX_PIXELS:
        return Path(page.path).read_bytes(), page.mime_type
    return _jpeg(page), "image/jpeg"


def _jpeg(page: PageInfo) -> bytes:
    import io

    from dataset_platform.forms.pages import open_page

    image = open_page(page)
    image.thumbnail((GEMINI_MAX_SIDE, GEMINI_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _page_groups(pages: Sequence[PageInfo]) -> list[list[PageInfo]]:
    """Consecutive pages of one file together: a PDF whose every page is in the set is sent whole."""
    groups: list[list[PageInfo]] = []
    for page in pages:
        if groups and page.is_pdf_page and groups[-1][0].path == page.path:
            groups[-1].append(page)
        else:
            groups.append([page])
    return groups


def _contents(prompt: str, pages: Sequence[PageInfo]) -> list[Any]:
    from google.genai import types

    parts = [types.Part.from_text(text=prompt)]
    total = 0
    number = 0
    for group in _page_groups(pages):
        first = group[0]
        whole_pdf = first.is_pdf_page and first.size_bytes <= GEMINI_MAX_PART_BYTES
        if whole_pdf:
            label = f"Pages {number + 1}-{number + len(group)} of {len(pages)} ({Path(first.path).name}):"
            items = [(label, Path(first.path).read_bytes(), "application/pdf")]
        else:
            items = []
            for offset, page in enumerate(group, start=1):
                data, mime = (_jpeg(page), "image/jpeg") if page.is_pdf_page else _page_bytes(page)
                items.append((f"Page {number + offset} of {len(pages)}:", data, mime))
        number += len(group)
        for label, data, mime in items:
            total += len(data)
            parts.append(types.Part.from_text(text=label))
            parts.append(types.Part.from_bytes(data=data, mime_type=mime))
    if total > GEMINI_MAX_REQUEST_BYTES:
        raise ValueError(
            f"the form set's pages are {total / 1e6:.1f} MB inline, over Gemini's "
            f"{GEMINI_MAX_REQUEST_BYTES / 1e6:.0f} MB request limit"
        )
    return [types.Content(role="user", parts=parts)]


@functools.cache
def response_schema() -> Any:
    """``FormExtraction`` as the SDK's Schema, converted once: the SDK would redo it (~9 ms of CPU) every call."""
    try:
        from google.genai._transformers import t_schema

        return t_schema(None, FormExtraction)
    except (ImportError, TypeError, ValueError):  # private helper moved: let the SDK convert the model each call
        return FormExtraction


@functools.lru_cache(maxsize=32)
def generation_config(temperature: float, thinking_budget: int | None) -> Any:
    from google.genai import types

    return types.GenerateContentConfig(
        temperature=temperature,
        response_mime_type="application/json",
        response_schema=response_schema(),
        thinking_config=types.ThinkingConfig(thinking_budget=thinking_budget) if thinking_budget is not None else None,
    )


def _is_a(exc: BaseException, class_name: str) -> bool:
    # The SDK may run on httpx or its fork httpx2, whose classes are unrelated: match by name.
    return any(cls.__name__ == class_name for cls in type(exc).__mro__)


def describe_error(exc: BaseException, options: GeminiOptions) -> str:
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        message = (exc.message or "").splitlines()[0][:200] if exc.message else ""
        return f"Gemini API error {exc.code} {exc.status or ''}: {message}".strip()
    if _is_a(exc, "TimeoutException"):
        return f"Gemini request timed out after {options.retry.timeout_s:g}s ({options.retry.attempts} attempt(s))"
    if _is_a(exc, "HTTPError"):
        return f"Gemini connection error: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"[:300]


def generate(
    client: Any,
    options: GeminiOptions,
    model: str,
    prompt: str,
    pages: Sequence[PageInfo],
    *,
    temperature: float,
    thinking_budget: int | None,
) -> ModelAnswer:
    """One ``generate_content`` call with every page inline; raises ``ModelCallError`` when retries are spent."""
    try:
        response = client.models.generate_content(
            model=model, contents=_contents(prompt, pages), config=generation_config(temperature, thinking_budget)
        )
    except Exception as exc:  # API errors after retries, timeouts, transport errors: all end this form set
        raise ModelCallError(describe_error(exc, options)) from None
    usage = response.usage_metadata
    input_tokens = (usage.prompt_token_count or 0) if usage else 0
    output_tokens = ((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else 0
    candidate = response.candidates[0] if response.candidates else None
    finish = candidate.finish_reason if candidate is not None else None
    text = None
    if candidate is not None and candidate.content and candidate.content.parts:
        text = "".join(p.text or "" for p in candidate.content.parts if not getattr(p, "thought", False))
    return ModelAnswer(
        text=text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        finish_reason=getattr(finish, "value", finish) if finish is not None else None,
    )
