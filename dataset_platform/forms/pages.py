"""The page images of a form set: sorted listing, content hashes, pixel sizes, and whether each is readable.

A form set is a folder ``<form_set_id>/page_01.png, page_02.jpg, ...`` (DESIGN.md). This is the
``raw_form_images`` manifest, and the gate that turns a corrupt, empty or non-image page into a clear
per-form-set failure before any model is called.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_DIGITS = re.compile(r"(\d+)")


class UnreadableFormSet(ValueError):
    """A form set whose pages cannot all be read; the message names the pages and why."""


@dataclass(frozen=True)
class PageInfo:
    path: str
    name: str
    sha256: str
    size_bytes: int
    width: Optional[int]
    height: Optional[int]
    readable: bool
    reason: Optional[str]

    @property
    def mime_type(self) -> str:
        return MIME_TYPES.get(Path(self.name).suffix.lower(), "application/octet-stream")


def _natural_key(path: Path) -> list[Any]:
    """page_2 before page_10."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(path.name.lower())]


def list_pages(form_set_dir: Path) -> list[Path]:
    """Every page file of the set in page order: ``page_*`` files of any type plus any other image file."""
    form_set_dir = Path(form_set_dir)
    if not form_set_dir.is_dir():
        raise UnreadableFormSet(f"form set folder {form_set_dir} does not exist")
    files = [
        p
        for p in form_set_dir.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and (p.name.lower().startswith("page") or p.suffix.lower() in IMAGE_SUFFIXES)
    ]
    return sorted(files, key=_natural_key)


def inspect_page(path: Path) -> PageInfo:
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    width = height = None
    reason = None
    if not data:
        reason = "empty file"
    elif path.suffix.lower() not in IMAGE_SUFFIXES:
        reason = f"not an image file ({path.suffix or 'no extension'}); expected png or jpg"
    else:
        try:
            with Image.open(path) as img:
                width, height = img.size
                img.load()  # decodes every byte: catches truncated or corrupt data that open() accepts
        except UnidentifiedImageError:
            reason = "not a valid png/jpg image"
        except (OSError, SyntaxError, ValueError) as exc:
            reason = f"corrupt image: {exc}"
    return PageInfo(
        path=str(path.resolve()),
        name=path.name,
        sha256=digest,
        size_bytes=len(data),
        width=width,
        height=height,
        readable=reason is None,
        reason=reason,
    )


def form_set_manifest(form_set_dir: Path) -> dict[str, Any]:
    """The ``raw_form_images`` record of one form set."""
    form_set_dir = Path(form_set_dir)
    try:
        pages = [inspect_page(p) for p in list_pages(form_set_dir)]
        error = unreadable_reason(pages)
    except UnreadableFormSet as exc:
        pages, error = [], str(exc)
    return {
        "form_set_id": form_set_dir.name,
        "folder": str(form_set_dir.resolve()),
        "num_pages": len(pages),
        "total_bytes": sum(p.size_bytes for p in pages),
        "readable": error is None,
        "error": error,
        "pages": [asdict(p) for p in pages],
    }


def unreadable_reason(pages: list[PageInfo]) -> Optional[str]:
    if not pages:
        return "no page images in the form set folder"
    bad = [f"{p.name}: {p.reason}" for p in pages if not p.readable]
    return ("unreadable page(s): " + "; ".join(bad)) if bad else None


def readable_pages(form_set_dir: Path) -> list[PageInfo]:
    """The set's pages, or ``UnreadableFormSet`` naming every page that cannot be used."""
    pages = [inspect_page(p) for p in list_pages(form_set_dir)]
    error = unreadable_reason(pages)
    if error:
        raise UnreadableFormSet(error)
    return pages
