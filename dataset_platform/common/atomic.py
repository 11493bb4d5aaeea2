"""Atomic writes: a reader sees the old file/folder or the new one, never half of either."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STAGING_SUFFIX = ".staging"
VERSION_SUFFIX = ".version"
# Only folders this module created: ".<target>.<tempfile or uuid chars>.staging|.version".
_OWN_DIR = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{8,32}(?P<kind>\.staging|\.version)$")
STALE_STAGING_S = 6 * 3600  # longer than any write we stage; a live writer touches its folder as it goes
SUPERSEDED_GRACE_S = 600  # a reader that resolved an old version a moment ago can still finish reading it


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden temp file beside ``path`` for the block to write with any writer (DuckDB ``COPY``, a Parquet
    writer); renamed over ``path`` only if the block succeeds, removed otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``target``; rename it to ``target`` only if the block succeeds.

    Fails if ``target`` already exists, so a published folder is never overwritten.
    """
    target = Path(target)
    with _staging(target) as staging:
        yield staging
        if target.exists():
            raise FileExistsError(f"{target} already exists; published folders are immutable")
        os.rename(staging, target)


@contextmanager
def swapped_directory(target: Path, grace_s: float = SUPERSEDED_GRACE_S) -> Iterator[Path]:
    """Yield a hidden temp folder beside ``target``; it becomes ``target``'s content (``swap_directory``) only if
    the block succeeds. For folders that are rewritten, unlike ``staged_directory``."""
    target = Path(target)
    with _staging(target) as staging:
        yield staging
        swap_directory(staging, target, grace_s)


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target.parent)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=STAGING_SUFFIX))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # already renamed away when the block succeeded


def _newest_mtime(folder: Path) -> float:
    newest = folder.lstat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:
                pass
    return newest


def remove_stale_staging(parent: Path, max_age_s: float = STALE_STAGING_S, now: float | None = None) -> list[Path]:
    """Delete staging folders a crashed writer left in ``parent`` (only ours, only when nothing in them changed
    for ``max_age_s``); returns what was removed."""
    parent, now = Path(parent), time.time() if now is None else now
    removed = []
    for entry in parent.iterdir() if parent.is_dir() else []:
        match = _OWN_DIR.match(entry.name)
        if not match or match["kind"] != STAGING_SUFFIX or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if now - _newest_mtime(entry) > max_age_s:
                shutil.rmtree(entry)
                removed.append(entry)
        except FileNotFoundError:  # another process cleaned it first
            pass
    return removed


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``lock_path`` (created if missing) for the block: the one file lock here."""
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def swap_directory(new: Path, target: Path, grace_s: float = SUPERSEDED_GRACE_S) -> Path:
    """Make the finished folder ``new`` the content of ``target``, atomically for readers and writers.

    ``target`` is a symlink to an immutable versioned sibling (``.<name>.<id>.version``), replaced with one
    ``rename``: a reader sees the old version or the new one, never a missing or half-written folder. Writers
    serialise on ``.<name>.lock`` for the pointer switch only. Versions superseded more than ``grace_s`` ago
    are removed, so a reader that resolved one (``resolve_version``) a moment ago can finish.
    Returns the version folder now current.
    """
    new, target = Path(new), Path(target)
    version = target.with_name(f".{target.name}.{uuid.uuid4().hex[:16]}{VERSION_SUFFIX}")
    with locked(target.with_name(f".{target.name}.lock")):
        os.rename(new, version)
        previous = target.resolve() if target.is_symlink() else None
        if target.exists() and not target.is_symlink():  # a plain folder from before versioning: moved aside once
            legacy = target.with_name(f".{target.name}.{uuid.uuid4().hex[:16]}{VERSION_SUFFIX}")
            os.rename(target, legacy)
            previous = legacy
        link = target.with_name(f".{target.name}.{uuid.uuid4().hex[:16]}.link")
        os.symlink(version.name, link)
        os.replace(link, target)
        if previous is not None and previous.exists():
            os.utime(previous, None)  # superseded now: the grace period starts here
        _remove_superseded(target, version, grace_s)
    return version


def _remove_superseded(target: Path, current: Path, grace_s: float) -> None:
    now = time.time()
    for entry in target.parent.iterdir():
        match = _OWN_DIR.match(entry.name)
        if not match or match["kind"] != VERSION_SUFFIX or match["target"] != target.name or entry == current:
            continue
        try:
            if now - entry.lstat().st_mtime > grace_s:
                shutil.rmtree(entry)
        except FileNotFoundError:
            pass
    for link in target.parent.glob(f".{target.name}.*.link"):  # a writer that died between symlink and rename
        if now - link.lstat().st_mtime > grace_s:
            link.unlink(missing_ok=True)


def resolve_version(directory: Path) -> Path:
    """The version folder ``directory`` points at now: read several files from it to get one consistent version."""
    return Path(directory).resolve()
