"""``dataset-platform extract DIR... --model NAME [--output FILE.jsonl]``: one JSON line per form-set folder.

Failures of single form sets are lines with ``"error"`` set; only usage errors (missing folder,
unknown or unavailable model) exit non-zero. Progress goes to stderr when it is a terminal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO

from dataset_platform.common import atomic


class Progress:
    """``done/total · rate · ETA · failures`` on one rewritten terminal line."""

    def __init__(self, total: int, stream: IO[str]):
        self.total = total
        self.stream = stream
        self.failed = 0
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, record: object) -> None:
        self.failed += getattr(record, "error", None) is not None
        elapsed = time.monotonic() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        self.stream.write(
            f"\r\x1b[Kextract {done}/{total} · {rate:.2f} form sets/s · ETA {eta:0.0f}s · {self.failed} failed"
        )
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _usage_error(message: str) -> int:
    print(f"dataset-platform extract: error: {message}", file=sys.stderr)
    return 2


def main(dirs: list[Path], *, model: str, output: Path | None = None, max_concurrency: int | None = None) -> int:
    from dataset_platform.forms.model_config import ModelConfig
    from dataset_platform.resources.models import ExtractionModels

    missing = [str(d) for d in dirs if not Path(d).is_dir()]
    if missing:
        return _usage_error(f"not a form-set folder: {', '.join(missing)}")
    if max_concurrency is not None and max_concurrency < 1:
        return _usage_error("--max-concurrency must be at least 1")
    models = ExtractionModels(
        gemini_api_key=os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY"),
        gemini_base_url=os.environ.get("GEMINI_BASE_URL") or None,
        openai_base_url=os.environ.get("OPENAI_BASE_URL") or None,
        openai_api_key=os.environ.get("OPENAI_API_KEY") or None,
    )
    reason = models.availability(model)
    if reason is not None:
        return _usage_error(f"model {model!r} unavailable: {reason}")

    progress = Progress(len(dirs), sys.stderr) if sys.stderr.isatty() else None
    records = models.extract(
        [Path(d) for d in dirs], ModelConfig(model=model), max_concurrency=max_concurrency, on_progress=progress
    )
    lines = "".join(
        json.dumps(
            {"id": r.form_set_id, "extraction": r.extraction, "error": r.error, "uncertain_fields": r.uncertain_fields},
            ensure_ascii=False,
        )
        + "\n"
        for r in records
    )
    if output is None:
        sys.stdout.write(lines)
        sys.stdout.flush()
    else:
        atomic.write_text(Path(output), lines)
    return 0
