"""What a form-set folder holds, as two fingerprints ``raw_form_images`` records and ``new_form_sets_sensor`` compares.

- ``stat_signature``: names, sizes and mtimes of the page files (``paths.page_files``: images, PDFs, any
  ``page*`` file) — a cheap test that nothing was touched, so a tick does not re-read every scan.
- ``content_fingerprint``: names and sha256 of the file bytes — the decision. A folder whose stat signature
  changed but whose content did not (copied back, ``touch``ed) needs no new extraction.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dataset_platform.forms import paths

MISSING = "missing"
_BLOCK = 1 << 20


def stat_signature(files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in files:
        st = path.stat()
        h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16] if files else MISSING


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _fingerprint(named_hashes: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, digest in named_hashes:
        h.update(f"{name}\0{digest}\n".encode())
    return f"{len(named_hashes)}p-{h.hexdigest()[:16]}" if named_hashes else MISSING


def content_fingerprint(files: list[Path]) -> str:
    """``<pages>p-<hash>`` over (name, sha256) of each file, in page order."""
    return _fingerprint([(path.name, file_sha256(path)) for path in files])


def fingerprint_from_manifest(manifest: dict) -> str:
    """The content fingerprint of a manifest written before fingerprints were recorded (one entry per file)."""
    seen: dict[str, str] = {}
    for page in manifest.get("pages", []):
        seen.setdefault(page["name"], page["sha256"])
    return _fingerprint(list(seen.items()))


def fingerprints(folder: Path) -> dict[str, str]:
    """The metadata entries ``raw_form_images`` records per partition (stat first: a later edit re-triggers)."""
    files = paths.page_files(folder)
    stat = stat_signature(files)
    return {"stat_signature": stat, "content_fingerprint": content_fingerprint(files)}
