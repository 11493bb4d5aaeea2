"""Where form sets live and which files are their pages: ``$DATASET_PLATFORM_HOME/forms/<form_set_id>/...``,
and the folders the forms assets hand to each other (``manifests/``, ``extractions/``, ``ground_truth/``).

The one owner of form-set paths (DESIGN "Form sets and form kinds"): the forms folder, a set's folder,
hidden-file filtering and the natural page order that the model, the manifest and the review app share.
A page file is a ``page*`` file of any type (a ``page_03.txt`` is listed, then reported unreadable), any
other image, or a PDF; a PDF's pages follow in page order at its place in the file order.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dataset_platform.common import settings

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
PDF_SUFFIX = ".pdf"
_DIGITS = re.compile(r"(\d+)")


def forms_dir() -> Path:
    return settings.form_sets_dir()


def manifests_dir() -> Path:
    """``raw_form_images`` writes one page manifest per form set here."""
    return settings.platform_home() / "manifests"


def extractions_dir() -> Path:
    """``llm_extractions`` writes one ExtractionRecord JSON per form set here."""
    return settings.platform_home() / "extractions"


def ground_truth_dir() -> Path:
    """Immutable ground-truth versions ``<vYYYYMMDD_HHMMSS>.jsonl`` and ``LATEST``."""
    return settings.platform_home() / "ground_truth"


def form_set_dir(form_set_id: str, root: Path | None = None) -> Path:
    return Path(root or forms_dir()) / form_set_id


def is_hidden(path: Path) -> bool:
    """Dot files and folders (``.staging``, ``.DS_Store``, editor swap files) are never form sets or pages."""
    return Path(path).name.startswith(".")


def natural_key(name: str) -> list[Any]:
    """``page_2`` before ``page_10``; case-insensitive."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name.lower())]


def is_pdf(path: Path) -> bool:
    return Path(path).suffix.lower() == PDF_SUFFIX


def is_page_file(path: Path) -> bool:
    path = Path(path)
    suffix = path.suffix.lower()
    return (
        path.is_file()
        and not is_hidden(path)
        and (path.name.lower().startswith("page") or suffix in IMAGE_SUFFIXES or suffix == PDF_SUFFIX)
    )


def page_files(folder: Path) -> list[Path]:
    """The set's page files (images and PDFs) in natural order; ``[]`` when the folder does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if is_page_file(p)), key=lambda p: natural_key(p.name))


def form_set_ids(root: Path | None = None) -> list[str]:
    """Every non-hidden sub-folder of the forms folder, sorted (the ``form_sets`` partition keys)."""
    root = Path(root or forms_dir())
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not is_hidden(p))
