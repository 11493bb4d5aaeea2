"""Extract many form sets with one model config: cached, concurrent, rate-limited, one record per form set.

A form set never raises: unreadable pages, API errors after retries, and answers that do not fit the
schema become an ``ExtractionRecord`` with ``error`` set, and the other form sets carry on.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dataset_platform.forms import gemini, openai_compat
from dataset_platform.forms.cache import ExtractionCache, cache_key
from dataset_platform.forms.model_api import ModelAnswer, ModelCallError
from dataset_platform.forms.model_config import OFFLINE, TESSERACT, ModelConfig, unknown_model_message
from dataset_platform.forms.pages import RENDER_DPI, PageInfo, UnreadableFormSet, open_page, readable_pages
from dataset_platform.forms.prompt import PROMPT_VERSION, render_prompt
from dataset_platform.forms.ratelimit import RateLimiter
from dataset_platform.forms.validation import InvalidResponse, drop_phantom_rows, guard_issues, parse_extraction

log = logging.getLogger(__name__)

# Calls per form set when the answer is invalid or fails the guards: the first answer plus one re-read.
MAX_MODEL_CALLS = 2


@dataclass
class ExtractionRecord:
    form_set_id: str
    model: str
    config_name: str
    prompt_version: str
    extraction: dict[str, Any] | None
    error: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cache_hit: bool = False
    warnings: list[str] = field(default_factory=list)
    # Paths (``ballot_statistics.good_ballots``, ``vote_results[3].vote_count``) the model could not read
    # confidently; their values are None, or an arithmetic fill that a person must confirm.
    uncertain_fields: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.extraction is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractionRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


ProgressCallback = Callable[[int, int, ExtractionRecord], None]


def _prompt_version(config: ModelConfig) -> str:
    if config.kind == OFFLINE:
        try:
            from dataset_platform.forms.offline.reader import OFFLINE_VERSION
        except ImportError:  # reported per record by _offline
            return "offline-unavailable"
        return f"offline-{OFFLINE_VERSION}"
    if config.kind != TESSERACT:
        return PROMPT_VERSION
    try:
        from dataset_platform.forms import ocr
    except ImportError:  # reported per record by _ocr
        return "ocr-unavailable"
    return f"ocr-{getattr(ocr, 'OCR_VERSION', 'v1')}"


class _Extractor:
    """Everything shared by the form sets of one call: config, client, cache, limiter."""

    def __init__(
        self,
        config: ModelConfig,
        gemini_options: gemini.GeminiOptions,
        openai_options: openai_compat.OpenAIOptions,
        cache: ExtractionCache,
        limiter: RateLimiter,
    ):
        self.config = config
        self.gemini_options = gemini_options
        self.openai_options = openai_options
        self.cache = cache
        self.limiter = limiter
        self.prompt_version = _prompt_version(config)
        # What the cache key holds besides model, prompt version and pages.
        self.key_config = config.generation_config()
        if config.kind == "openai":
            self.key_config = {**self.key_config, **openai_options.input_config()}
        self._client: Any = None
        self._client_lock = threading.Lock()

    def record(self, form_set_id: str, **values: Any) -> ExtractionRecord:
        return ExtractionRecord(
            form_set_id=form_set_id,
            model=self.config.model,
            config_name=self.config.name,
            prompt_version=self.prompt_version,
            extraction=values.pop("extraction", None),
            error=values.pop("error", None),
            **values,
        )

    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                if self.config.kind == "openai":
                    self._client = openai_compat.make_client(self.openai_options)
                else:
                    self._client = gemini.make_client(self.gemini_options)
            return self._client

    def run(self, form_set_dir: Path) -> ExtractionRecord:
        form_set_id = Path(form_set_dir).name
        try:
            return self._run(form_set_id, Path(form_set_dir))
        except Exception as exc:  # one form set must never fail the others
            return self.record(form_set_id, error=f"{type(exc).__name__}: {exc}"[:500])

    def _run(self, form_set_id: str, form_set_dir: Path) -> ExtractionRecord:
        try:
            pages = readable_pages(form_set_dir)
        except UnreadableFormSet as exc:
            return self.record(form_set_id, error=str(exc))
        key = cache_key(self.config.model, self.prompt_version, self.key_config, [p.sha256 for p in pages])
        cached = self.cache.get(key)
        if cached is not None and cached.get("extraction") is not None:
            return self.record(
                form_set_id,
                extraction=cached["extraction"],
                input_tokens=cached.get("input_tokens", 0),
                output_tokens=cached.get("output_tokens", 0),
                latency_s=cached.get("latency_s", 0.0),
                cost_usd=cached.get("cost_usd", 0.0),
                warnings=cached.get("warnings", []),
                uncertain_fields=cached.get("uncertain_fields", []),
                cache_hit=True,
            )
        readers = {TESSERACT: self._ocr, OFFLINE: self._offline, "gemini": self._gemini, "openai": self._openai}
        reader = readers.get(self.config.kind or "")
        if reader is None:
            return self.record(form_set_id, error=unknown_model_message(self.config.model))
        record = reader(form_set_id, pages)
        if record.ok:
            self._remember(key, record)
        return record

    def _remember(self, key: str, record: ExtractionRecord) -> None:
        try:
            self.cache.put(
                key,
                {
                    "extraction": record.extraction,
                    "input_tokens": record.input_tokens,
                    "output_tokens": record.output_tokens,
                    "latency_s": record.latency_s,
                    "cost_usd": record.cost_usd,
                    "warnings": record.warnings,
                    "uncertain_fields": record.uncertain_fields,
                    "model": self.config.model,
                    "prompt_version": self.prompt_version,
                    "generation_config": self.key_config,
                    "created_at": datetime.now(UTC).isoformat(),
                },
            )
        except OSError as exc:  # a full disk costs a future re-call, not this answer
            log.warning("could not cache the extraction of %s: %s", record.form_set_id, exc)

    def _gemini(self, form_set_id: str, pages: list[PageInfo]) -> ExtractionRecord:
        model, prompt = self.config.model, render_prompt(len(pages))
        client = self.client()  # built once per run, outside the measured latency
        return self._answer(
            form_set_id,
            lambda: gemini.generate(
                client,
                self.gemini_options,
                model,
                prompt,
                pages,
                temperature=self.config.temperature,
                thinking_budget=self.config.thinking_budget,
            ),
            lambda tokens_in, tokens_out: gemini.estimate_cost(model, tokens_in, tokens_out),
        )

    def _openai(self, form_set_id: str, pages: list[PageInfo]) -> ExtractionRecord:
        model, prompt, options = self.config.model, render_prompt(len(pages)), self.openai_options
        try:
            client = self.client()
        except ModelCallError as exc:
            return self.record(form_set_id, error=str(exc))
        return self._answer(
            form_set_id,
            lambda: openai_compat.generate(client, options, model, prompt, pages, temperature=self.config.temperature),
            lambda tokens_in, tokens_out: openai_compat.estimate_cost(options, model, tokens_in, tokens_out),
        )

    def _answer(
        self,
        form_set_id: str,
        call: Callable[[], ModelAnswer],
        cost_usd: Callable[[int, int], float],
    ) -> ExtractionRecord:
        """The answer loop of every remote model: ask, parse, guard, re-read once, keep the better answer.

        ``call`` raises ``ModelCallError`` once its SDK has spent the ``RetryPolicy``; that ends the form set.
        """
        start = time.perf_counter()
        input_tokens = output_tokens = 0
        best: tuple[dict[str, Any], list[str]] | None = None
        last_error = None
        for _ in range(MAX_MODEL_CALLS):
            self.limiter.acquire()
            try:
                answer = call()
            except ModelCallError as exc:
                last_error = str(exc)
                break  # transient faults were already retried with backoff
            input_tokens += answer.input_tokens
            output_tokens += answer.output_tokens
            try:
                extraction = parse_extraction(answer.text, answer.finish_reason)
            except InvalidResponse as exc:
                last_error = f"invalid response: {exc}"
                continue
            extraction, dropped = drop_phantom_rows(extraction)
            issues = guard_issues(extraction)
            warnings = issues + ([f"dropped {dropped} candidate row(s) with no content"] if dropped else [])
            if best is None or len(warnings) < len(best[1]):
                best = (extraction.model_dump(mode="json"), warnings)
            if not issues:
                break  # sound answer; otherwise re-read once and keep the better of the two
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": cost_usd(input_tokens, output_tokens),
            "latency_s": round(time.perf_counter() - start, 4),
        }
        if best is None:
            return self.record(form_set_id, error=last_error or "no answer", **usage)
        return self.record(form_set_id, extraction=best[0], warnings=best[1], **usage)

    def _offline(self, form_set_id: str, pages: list[PageInfo]) -> ExtractionRecord:
        from dataset_platform.forms.offline.reader import read_page_infos
        from dataset_platform.forms.offline.recognise import RecogniserUnavailable

        start = time.perf_counter()
        try:
            result = read_page_infos(pages)  # image pages and PDF pages alike, opened by pages.open_page
        except RecogniserUnavailable as exc:
            return self.record(form_set_id, error=f"offline model unavailable: {exc}")
        except UnreadableFormSet as exc:
            return self.record(form_set_id, error=str(exc))
        return self.record(
            form_set_id,
            extraction=result.extraction.model_dump(mode="json"),
            warnings=result.warnings + guard_issues(result.extraction),
            uncertain_fields=result.uncertain,
            latency_s=round(time.perf_counter() - start, 4),
        )

    def _ocr(self, form_set_id: str, pages: list[PageInfo]) -> ExtractionRecord:
        from dataset_platform.forms.ocr import UnreadablePage, ocr_form_set

        start = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="ocr-pages-") as tmp:
                extraction = ocr_form_set(_page_files(pages, Path(tmp)))
        except (UnreadablePage, UnreadableFormSet) as exc:
            return self.record(form_set_id, error=f"unreadable page: {exc}")
        return self.record(
            form_set_id,
            extraction=extraction.model_dump(mode="json"),
            warnings=guard_issues(extraction),
            latency_s=round(time.perf_counter() - start, 4),
        )


def _page_files(pages: list[PageInfo], tmp: Path) -> list[Path]:
    """Image files of the pages in order, for the Tesseract baseline (which reads files sorted by name).

    Image pages are the files themselves; when the set holds PDF pages, every page gets a file in `tmp`
    named by its position (PDF pages rendered through `pages.open_page`, images linked) so the order holds."""
    if not any(p.is_pdf_page for p in pages):
        return [Path(p.path) for p in pages]
    files = []
    for i, page in enumerate(pages):
        if page.is_pdf_page:
            target = tmp / f"{i:04d}.png"
            open_page(page).save(target, dpi=(RENDER_DPI, RENDER_DPI))
        else:
            target = tmp / f"{i:04d}{Path(page.path).suffix.lower()}"
            target.symlink_to(Path(page.path).resolve())
        files.append(target)
    return files


def extract_form_sets(
    form_set_dirs: Sequence[Path],
    config: ModelConfig,
    *,
    gemini_options: gemini.GeminiOptions | None = None,
    openai_options: openai_compat.OpenAIOptions | None = None,
    max_concurrency: int = 4,
    requests_per_minute: float | None = None,
    on_progress: ProgressCallback | None = None,
    cache: ExtractionCache | None = None,
) -> list[ExtractionRecord]:
    """One record per form-set folder, in input order. Never raises for a single form set."""
    dirs = [Path(d) for d in form_set_dirs]
    max_concurrency = max(1, int(max_concurrency))
    extractor = _Extractor(
        config,
        gemini_options or gemini.GeminiOptions(),
        openai_options or openai_compat.OpenAIOptions(),
        cache or ExtractionCache(),
        RateLimiter(requests_per_minute, burst=max_concurrency),
    )
    done = 0
    progress_lock = threading.Lock()

    def run_one(form_set_dir: Path) -> ExtractionRecord:
        nonlocal done
        record = extractor.run(form_set_dir)
        if on_progress is not None:
            with progress_lock:
                done += 1
                on_progress(done, len(dirs), record)
        return record

    # For tesseract and offline these threads only feed ocr's shared process pool, which bounds the CPU work.
    workers = min(max_concurrency, max(1, len(dirs)))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extract") as pool:
            return list(pool.map(run_one, dirs))
    finally:
        _release_ocr_workers()


def _release_ocr_workers() -> None:
    """Stop the OCR process pool when a batch ends: idle worker processes left for interpreter exit
    keep a Dagster step subprocess from exiting."""
    ocr = sys.modules.get("dataset_platform.forms.ocr")
    if ocr is not None:
        ocr.shutdown_pool()


def failed_records(
    form_set_dirs: Sequence[Path],
    config: ModelConfig,
    error: str,
    on_progress: ProgressCallback | None = None,
) -> list[ExtractionRecord]:
    """The same failure for every form set (e.g. the model cannot run here), reported like any other record."""
    records = [
        ExtractionRecord(
            form_set_id=Path(d).name,
            model=config.model,
            config_name=config.name,
            prompt_version=PROMPT_VERSION if config.kind in ("gemini", "openai") else "",
            extraction=None,
            error=error,
        )
        for d in form_set_dirs
    ]
    for done, record in enumerate(records, start=1):
        if on_progress is not None:
            on_progress(done, len(records), record)
    return records
