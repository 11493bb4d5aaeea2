"""Throughput of OpenAI-compatible extraction (``openai/<served-name>``) vs the concurrency ideal N·L/C.

The same measurement as ``bench/gemini_throughput.py`` (whose code runs it): N form sets of 3 pages at
concurrency C, against ``support/openai_server.py`` in a child process answering after a fixed latency L,
with the real openai client, its data-URL page encoding and an empty cache; ``ratio`` = ideal / elapsed
(1.0 = perfect). A last row checks the requests-per-minute limiter. A real vLLM/Ollama server adds its own
queueing on the GPU; this measures what the platform's side costs.
Run: ``.venv/bin/python bench/openai_throughput.py [--quick]``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gemini_throughput import NO_RETRY, benchmark  # noqa: E402

from dataset_platform.forms.openai_compat import OpenAIOptions  # noqa: E402


def openai_options(url: str) -> dict[str, Any]:
    return {"openai_options": OpenAIOptions(base_url=f"{url}/v1", api_key="bench", retry=NO_RETRY)}


def main() -> int:
    return benchmark(
        "openai_throughput",
        "dataset_platform_tests.support.openai_server",
        "openai/qwen2.5-vl-7b",
        openai_options,
        __doc__,
    )


if __name__ == "__main__":
    sys.exit(main())
