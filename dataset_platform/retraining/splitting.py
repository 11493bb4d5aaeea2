"""Stratified train/eval/test split and its deterministic parquet files and content hash.

Each class is shuffled with one RandomState(42) consumed in label-id order and cut 80/10/10, so every
class with at least ``MIN_CLASS_FOR_ALL_SPLITS`` records lands in all three splits; smaller classes go
to train and are reported instead of crashing stratification.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dataset_platform.common import atomic
from dataset_platform.common.labels import label_names

SPLITS = ("train", "eval", "test")
RATIOS = (0.8, 0.1, 0.1)
RANDOM_STATE = 42
MIN_CLASS_FOR_ALL_SPLITS = 10
COLUMNS = ("complaint_id", "grievance", "label", "source")


@dataclass
class SplitReport:
    sizes: dict[str, int] = field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rare_classes: dict[str, int] = field(default_factory=dict)
    missing_classes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def stratified_split(
    df: pd.DataFrame, label: str, ratios: tuple[float, float, float] = RATIOS, random_state: int = RANDOM_STATE
) -> tuple[dict[str, pd.DataFrame], SplitReport]:
    """Split cleaned rows (see cleaning.clean_records) by label; input order is irrelevant."""
    names = label_names(label)
    df = df.sort_values(["complaint_id", "source"], kind="mergesort").reset_index(drop=True)
    rng = np.random.RandomState(random_state)
    assignment = np.zeros(len(df), dtype=np.int8)  # 0 train, 1 eval, 2 test
    report = SplitReport()
    labels = df["label"].to_numpy()
    for class_id, name in enumerate(names):
        (positions,) = np.nonzero(labels == class_id)
        n = len(positions)
        if n == 0:
            report.missing_classes.append(name)
            continue
        if n < MIN_CLASS_FOR_ALL_SPLITS:
            report.rare_classes[name] = n
            continue
        n_eval = max(1, round(n * ratios[1]))
        n_test = max(1, round(n * ratios[2]))
        shuffled = positions[rng.permutation(n)]
        assignment[shuffled[:n_eval]] = 1
        assignment[shuffled[n_eval : n_eval + n_test]] = 2
    splits = {}
    for code, split in enumerate(SPLITS):
        part = df.loc[assignment == code, list(COLUMNS)].reset_index(drop=True)
        splits[split] = part
        report.sizes[split] = len(part)
        counts = part["label"].value_counts()
        report.class_counts[split] = {name: int(counts.get(i, 0)) for i, name in enumerate(names)}
    return splits, report


def hf_features(label: str) -> dict:
    """`datasets` Features as stored in parquet metadata, so ``label`` loads as a ClassLabel."""
    return {
        "complaint_id": {"dtype": "int64", "_type": "Value"},
        "grievance": {"dtype": "string", "_type": "Value"},
        "label": {"names": label_names(label), "_type": "ClassLabel"},
        "source": {"dtype": "string", "_type": "Value"},
    }


def split_schema(label: str) -> pa.Schema:
    return pa.schema(
        [
            ("complaint_id", pa.int64()),
            ("grievance", pa.string()),
            ("label", pa.int64()),
            ("source", pa.string()),
        ],
        metadata={"huggingface": json.dumps({"info": {"features": hf_features(label)}}, sort_keys=True)},
    )


def to_parquet_bytes(df: pd.DataFrame, label: str) -> bytes:
    """Same rows → same bytes: fixed schema, no pandas index metadata, fixed writer options."""
    table = pa.Table.from_pandas(df[list(COLUMNS)], schema=split_schema(label), preserve_index=False)
    table = table.replace_schema_metadata(split_schema(label).metadata)
    buffer = io.BytesIO()
    pq.write_table(
        table, buffer, compression="zstd", compression_level=3, row_group_size=100_000, write_statistics=True
    )
    return buffer.getvalue()


def split_filename(split: str) -> str:
    """Hub layout `data/{split}-*.parquet`."""
    return f"{split}-00000-of-00001.parquet"


def content_hash(splits: dict[str, pd.DataFrame]) -> str:
    """sha256 of the rows themselves (not parquet bytes, which change with the writer's version).

    Strings are hashed as their UTF-8 lengths plus bytes, read from Arrow buffers: no Python str per row.
    """
    h = hashlib.sha256()
    for split in SPLITS:
        df = splits[split]
        h.update(f"{split}:{len(df)}\n".encode())
        h.update(df["complaint_id"].to_numpy(dtype="<i8").tobytes())
        h.update(df["label"].to_numpy(dtype="<i8").tobytes())
        for column in ("source", "grievance"):
            _update_with_strings(h, df[column])
    return h.hexdigest()


def _update_with_strings(h, values: pd.Series) -> None:
    arr = pa.array(values, pa.large_string()) if not isinstance(values.dtype, pd.ArrowDtype) else pa.array(values)
    arr = (arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr).cast(pa.large_string())
    if arr.null_count:
        raise ValueError("split columns must not contain nulls")
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype="<i8")[arr.offset : arr.offset + len(arr) + 1]
    h.update(np.diff(offsets).astype("<i8").tobytes())
    if len(arr):
        h.update(memoryview(data_buf)[offsets[0] : offsets[-1]])


def write_splits(splits: dict[str, pd.DataFrame], directory: Path, label: str) -> dict[str, Path]:
    """Write ``directory/data/{split}-00000-of-00001.parquet`` atomically; returns split → path."""
    paths = {}
    for split in SPLITS:
        path = Path(directory) / "data" / split_filename(split)
        atomic.write_bytes(path, to_parquet_bytes(splits[split], label))
        paths[split] = path
    return paths


def read_splits(directory: Path) -> dict[str, pd.DataFrame]:
    """The three splits of one version, even while a writer swaps in the next one."""
    data = atomic.resolve_version(directory) / "data"
    return {split: pq.read_table(data / split_filename(split)).to_pandas() for split in SPLITS}


GOLD_FILE = "gold.parquet"


def write_gold(gold: pd.DataFrame, directory: Path, label: str) -> Path:
    """The cleaned gold set next to the splits (outside ``data/``: never part of a published version)."""
    schema = pa.schema([("complaint_id", pa.int64()), ("grievance", pa.string()), ("label", pa.int64())])
    table = pa.Table.from_pandas(gold[["complaint_id", "grievance", "label"]], schema=schema, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    path = Path(directory) / GOLD_FILE
    atomic.write_bytes(path, buffer.getvalue())
    return path


def read_gold(directory: Path) -> pd.DataFrame:
    path = Path(directory) / GOLD_FILE
    if not path.exists():
        return pd.DataFrame(
            {
                "complaint_id": pd.Series(dtype="int64"),
                "grievance": pd.Series(dtype=object),
                "label": pd.Series(dtype="int64"),
            }
        )
    return pq.read_table(path).to_pandas()
