"""Markdown for Dagster metadata and reports: the one writer of tables (cells escaped) and inline PNG images."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from typing import Any

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def escape(value: Any) -> str:
    """A table cell's text: pipes escaped, newlines folded. Idempotent, so an escaped cell can be passed again."""
    return _UNESCAPED_PIPE.sub(r"\\|", str(value)).replace("\n", " ")


def cell(value: Any, limit: int = 80) -> str:
    """An escaped cell cut to ``limit`` characters (an ellipsis says it was cut)."""
    text = escape(value)
    return text[:limit] + ("…" if len(text) > limit else "")


def table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured table; each cell is escaped, so values may hold pipes and newlines."""
    lines = ["| " + " | ".join(escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def png_image(png: bytes, alt: str) -> str:
    """An image embedded as a data URI: the Dagster UI shows it inline, with no file to serve."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
