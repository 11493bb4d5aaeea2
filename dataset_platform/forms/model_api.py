"""What every remote model call shares, whichever SDK makes it: the retry policy, the answer, the error, the cost.

No SDK is imported here: ``forms/gemini.py`` (google-genai) and ``forms/openai_compat.py`` (openai) turn
their own responses and exceptions into these types, and ``forms/runner.py`` runs one answer loop over them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# USD per million tokens (input, output incl. thinking), keyed by model-name prefix.
PriceTable = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class RetryPolicy:
    """The one retry policy of remote model calls (Gemini and OpenAI-compatible servers alike).

    A model call is retried when it fails *transiently*: an HTTP status in ``transient_status_codes``
    (408 request timeout, 429 rate limited, 500/502/503/504 server trouble), a request that took longer
    than ``timeout_s``, or a connection that could not be made or was dropped. Any other failure (400 bad
    request, 401/403 key refused, 404 unknown model, ...) is final at once: repeating it cannot help.

    ``attempts`` counts every try, the first included (1 = never retry). Before retry ``n`` (1, 2, ...)
    the caller waits ``min(max_delay_s, initial_delay_s · 2^(n-1) + U(0, jitter_s))`` seconds; the jitter
    (default = ``initial_delay_s``) keeps the threads of a run that were rate-limited together from
    retrying together. This is exactly google-genai's ``HttpRetryOptions`` schedule (tenacity's
    ``wait_exponential_jitter``), so Gemini gets it from its SDK (``gemini.make_client``); the openai SDK's
    own retries have fixed delays (0.5 s doubling to 8 s) and retry 409 too, so the OpenAI-compatible
    path sets ``max_retries=0`` and runs ``call_with_retries`` below with this policy.

    Defaults suit a multi-page scan read by a large model: a 3-page form takes seconds, a 4-page
    party-list form on a busy self-hosted GPU can take minutes, hence 180 s per request; 5 attempts
    2 s → 4 s → 8 s → 16 s apart (~30 s plus jitter) ride out a rate-limit window or a server restart.
    ``ExtractionModels`` (the Dagster resource) takes its field defaults from here.

    What this policy is not: the one *re-read* of a form set whose answer was invalid JSON or failed the
    guards (``runner.MAX_MODEL_CALLS``; a new question, not a repeat of a failed request), and Dagster's
    step ``RetryPolicy`` on the extraction assets, which only re-runs a step that crashed.
    """

    attempts: int = 5
    initial_delay_s: float = 2.0
    max_delay_s: float = 60.0
    timeout_s: float = 180.0
    jitter_s: float | None = None  # None = initial_delay_s
    transient_status_codes: tuple[int, ...] = (408, 429, 500, 502, 503, 504)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.timeout_s <= 0 or self.initial_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("timeout_s must be positive and the delays non-negative")

    @property
    def jitter(self) -> float:
        return self.initial_delay_s if self.jitter_s is None else self.jitter_s

    def delay_s(self, retry: int, uniform: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return min(self.max_delay_s, self.initial_delay_s * 2.0 ** (retry - 1) + uniform() * self.jitter)

    def is_transient_status(self, status: int | None) -> bool:
        return status is not None and status in self.transient_status_codes


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, repeated after the policy's backoff while it fails transiently; the last error is raised."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == policy.attempts or not is_transient(exc):
                raise
            sleep(policy.delay_s(attempt))
    raise AssertionError("unreachable: attempts ≥ 1")


class ModelCallError(RuntimeError):
    """The call failed after the policy's retries; the message is safe to record (no key, no URL)."""


@dataclass
class ModelAnswer:
    """One model response: its text and what it cost in tokens."""

    text: str | None
    input_tokens: int
    output_tokens: int
    finish_reason: str | None


def estimate_cost(prices: PriceTable, model: str, input_tokens: int, output_tokens: int) -> float:
    """Cost in USD from ``prices`` (longest matching model-name prefix); 0.0 for a model not in the table."""
    prefix = max((p for p in prices if model.startswith(p)), key=len, default=None)
    if prefix is None:
        return 0.0
    price_in, price_out = prices[prefix]
    return round((input_tokens * price_in + output_tokens * price_out) / 1_000_000, 8)
