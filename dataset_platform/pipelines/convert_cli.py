"""`dataset-platform convert IN --from FMT --to FMT --output OUT`: the `chat` step's code over one JSONL file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dataset_platform.common import atomic
from dataset_platform.pipelines.chat import convert_lines


def main(input_path: Path, *, src: str, dst: str, output: Path) -> int:
    """0 when every row converted, 1 when some were skipped (each reported with its line number), 2 on no input."""
    if not Path(input_path).is_file():
        print(f"error: {input_path} not found", file=sys.stderr)
        return 2
    with open(input_path, encoding="utf-8") as f:
        rows, result = convert_lines(f, src, dst)
    atomic.write_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    for line, reason in result.bad_rows:
        print(f"{input_path}:{line}: skipped: {reason}", file=sys.stderr)
    print(f"converted {result.written} rows {src} -> {dst} into {output}; skipped {len(result.bad_rows)}")
    return 1 if result.bad_rows else 0
