"""The shared writers of common/: Markdown tables and images (markdown.py) and the temp-file-then-rename and
swapped-folder writes of atomic.py; pure file-system work under tmp_path, no Dagster, no services."""

from __future__ import annotations

import pytest

from dataset_platform.common import atomic, markdown


def test_a_table_escapes_every_cell_once():
    text = markdown.table(["name", "note"], [["a|b", "two\nlines"], [markdown.escape("c|d"), 3]])
    assert text.splitlines() == [
        "| name | note |",
        "|---|---|",
        r"| a\|b | two lines |",
        r"| c\|d | 3 |",  # escaped already: not escaped twice
    ]


def test_a_cell_is_cut_with_an_ellipsis():
    assert markdown.cell("x" * 100, limit=10) == "x" * 10 + "…"
    assert markdown.cell("short") == "short"


def test_a_png_is_embedded_as_a_data_uri():
    assert markdown.png_image(b"\x89PNG", "plot") == "![plot](data:image/png;base64,iVBORw==)"


def test_replacing_renames_only_a_finished_write(tmp_path):
    target = tmp_path / "out" / "table.parquet"
    with atomic.replacing(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".")
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer died")
    assert target.read_bytes() == b"new"  # the old file stays, whole
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.parquet"]  # no temp file left


def test_swapped_directory_replaces_the_content_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "splits"
    with atomic.swapped_directory(target) as staging:
        (staging / "train.parquet").write_text("v1")
    with pytest.raises(RuntimeError), atomic.swapped_directory(target) as staging:
        (staging / "train.parquet").write_text("v2, half")
        raise RuntimeError("writer died")
    assert (target / "train.parquet").read_text() == "v1"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(atomic.STAGING_SUFFIX)]  # staging removed
    with atomic.swapped_directory(target) as staging:
        (staging / "train.parquet").write_text("v2")
    assert (target / "train.parquet").read_text() == "v2"
