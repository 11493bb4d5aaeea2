"""Content-addressed cache of model answers: the same pages, model, prompt and generation config → no new call.

Only successful extractions are cached, so a failure is retried on the next run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_platform.common import atomic, settings


def cache_key(model: str, prompt_version: str, generation_config: dict[str, Any], page_hashes: Sequence[str]) -> str:
    payload = json.dumps(
        {"model": model, "prompt_version": prompt_version, "config": generation_config, "pages": list(page_hashes)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ExtractionCache:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else settings.cache_dir() / "extractions"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            return json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            # A damaged entry is a miss, never a crash; the next success overwrites it.
            return None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        atomic.write_json(self._path(key), entry)
