"""The cleaned-splits folder swap under concurrency, without the production one-run-per-partition limit: writer threads
re-split different pulls into one folder while reader threads read it; nobody errors and every read is one version.
Also: stale staging folders of a crashed writer are removed (ours only, by age). SQLite demo pulls; no Dagster.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

from dataset_platform.common import atomic
from dataset_platform.retraining import paths, pipeline, splitting
from dataset_platform.retraining.demo import seed_complaints
from dataset_platform_tests.retraining.helpers import engine_for

DURATION_S = 4.0


def _pulls(platform_home, n: int) -> list:
    """``n`` different pulls of one label (different correct-record ratios → different split contents)."""
    engine = engine_for(f"sqlite:///{platform_home / 'reviews.db'}")
    seed_complaints(engine, n=1500, seed=11)
    pulls = []
    for i in range(n):
        pipeline.run_pull(engine, "urgency", correct_ratio=0.2 + 0.3 * i)
        pulls.append(shutil.copy(paths.pull_file("urgency"), platform_home / f"pull-{i}.parquet"))
    return pulls


def test_concurrent_writers_and_readers_never_error_nor_see_a_mixed_version(platform_home):
    pulls = _pulls(platform_home, 3)
    target = platform_home / "splits"
    crashed = platform_home / ".splits.crash123.staging"  # left by a writer killed mid-write long ago
    (crashed / "data").mkdir(parents=True)
    for path in (crashed / "data", crashed):
        os.utime(path, (0, 0))
    pipeline.run_clean_split("urgency", pulls[0], target)
    assert not crashed.exists()
    errors: list[str] = []
    counts = {"writes": 0, "reads": 0}
    stop = time.monotonic() + DURATION_S

    def writer(pull) -> None:
        while time.monotonic() < stop:
            try:
                pipeline.run_clean_split("urgency", pull, target)
                counts["writes"] += 1
            except Exception as exc:  # noqa: BLE001 - the test counts every failure
                errors.append(f"writer: {type(exc).__name__}: {exc}")

    def reader() -> None:
        while time.monotonic() < stop:
            try:
                version = atomic.resolve_version(target)
                splits = splitting.read_splits(version)
                report = json.loads((version / "split_report.json").read_text())
                if splitting.content_hash(splits) != report["content_hash"]:
                    errors.append("reader: splits and report of different versions")
                splitting.read_splits(target)  # through the pointer, as the assets read it
                counts["reads"] += 1
            except Exception as exc:  # noqa: BLE001
                errors.append(f"reader: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=writer, args=(p,)) for p in pulls]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], f"{len(errors)} errors in {counts}: {errors[:5]}"
    assert counts["writes"] >= 3 and counts["reads"] >= 4, counts
    # One current version; superseded ones stay for the readers' grace period, then go.
    atomic.swap_directory(_fresh_copy(target), target, grace_s=0)
    versions = [p for p in platform_home.iterdir() if p.name.endswith(atomic.VERSION_SUFFIX)]
    assert versions == [target.resolve()]
    assert not [p for p in platform_home.iterdir() if p.name.endswith((atomic.STAGING_SUFFIX, ".link"))]


def _fresh_copy(target):
    copy = target.with_name(".splits.copy0001.staging")
    shutil.copytree(target.resolve(), copy)
    return copy


def test_a_plain_folder_from_before_versioning_is_replaced(platform_home):
    target = platform_home / "splits"
    (target / "data").mkdir(parents=True)
    (target / "data" / "old.txt").write_text("old")
    new = platform_home / ".splits.abcdefgh.staging"
    (new / "data").mkdir(parents=True)
    (new / "data" / "new.txt").write_text("new")
    atomic.swap_directory(new, target)
    assert target.is_symlink() and (target / "data" / "new.txt").read_text() == "new"


def test_stale_staging_of_a_crashed_writer_is_removed_and_nothing_else(platform_home):
    parent = platform_home / "retraining" / "urgency"
    parent.mkdir(parents=True)
    stale = parent / ".splits.k2j4h5g6.staging"
    fresh = parent / ".splits.a1b2c3d4.staging"
    foreign = parent / ".cache.staging"  # not our naming scheme
    user_dir = parent / "my-old-splits.staging"
    for folder in (stale, fresh, foreign, user_dir):
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "train.parquet").write_bytes(b"x")
    old = time.time() - 2 * atomic.STALE_STAGING_S
    for path in (stale, stale / "data", stale / "data" / "train.parquet", foreign, user_dir):
        os.utime(path, (old, old))
    assert atomic.remove_stale_staging(parent) == [stale]
    assert fresh.exists() and foreign.exists() and user_dir.exists()
    # A live writer keeps its folder fresh: touching one file inside is enough to keep it.
    for path in (fresh, fresh / "data"):
        os.utime(path, (old, old))
    assert atomic.remove_stale_staging(parent) == [] and fresh.exists()
