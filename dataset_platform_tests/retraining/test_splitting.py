"""Stratified 80/10/10 split, rare classes, deterministic parquet bytes and content hash (no database)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from dataset_platform.retraining import splitting


def _frame(counts: dict[int, int], offset: int = 0) -> pd.DataFrame:
    labels = np.concatenate([[k] * n for k, n in counts.items()])
    n = len(labels)
    return pd.DataFrame(
        {
            "complaint_id": np.arange(offset, offset + n, dtype="int64"),
            "grievance": [f"text {i}" for i in range(n)],
            "label": labels.astype("int64"),
            "source": ["misclassified" if i % 3 else "correct" for i in range(n)],
        }
    )


def test_stratified_80_10_10():
    splits, report = splitting.stratified_split(_frame({0: 500, 1: 300, 2: 200}), "urgency")
    assert report.sizes == {"train": 800, "eval": 100, "test": 100}
    for split, share in (("train", 0.8), ("eval", 0.1), ("test", 0.1)):
        assert report.class_counts[split] == {
            "NORMAL": round(500 * share),
            "URGENT": round(300 * share),
            "HIGHLY URGENT": round(200 * share),
        }
    ids = [set(df.complaint_id) for df in splits.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(map(len, ids)) == 1000


def test_rare_classes_never_crash_and_are_reported():
    splits, report = splitting.stratified_split(_frame({0: 100, 1: 10, 2: 1}), "urgency")
    assert report.rare_classes == {"HIGHLY URGENT": 1}
    assert report.missing_classes == []
    for split in splitting.SPLITS:  # a class with ≥ 10 records is in all three splits
        assert report.class_counts[split]["URGENT"] >= 1
    assert report.class_counts["train"]["HIGHLY URGENT"] == 1
    _, report = splitting.stratified_split(_frame({0: 30}), "department")
    assert report.missing_classes == [
        "Education, Health & Social Welfare",
        "Infrastructure, Utilities & Natural Resources",
        "Security & Law Enforcement",
    ]


def test_split_is_independent_of_input_order_and_bytes_are_identical(tmp_path):
    df = _frame({0: 120, 1: 80, 2: 40, 3: 15})
    a, _ = splitting.stratified_split(df, "department")
    b, _ = splitting.stratified_split(df.sample(frac=1, random_state=7), "department")
    assert splitting.content_hash(a) == splitting.content_hash(b)
    pa_ = splitting.write_splits(a, tmp_path / "a", "department")
    pb = splitting.write_splits(b, tmp_path / "b", "department")
    for split in splitting.SPLITS:
        assert hashlib.sha256(pa_[split].read_bytes()).digest() == hashlib.sha256(pb[split].read_bytes()).digest()
        assert pa_[split].name == f"{split}-00000-of-00001.parquet"


def test_parquet_columns_types_and_classlabel_metadata(tmp_path):
    splits, _ = splitting.stratified_split(_frame({0: 50, 1: 50, 2: 50}), "urgency")
    paths = splitting.write_splits(splits, tmp_path, "urgency")
    schema = pq.read_schema(paths["train"])
    assert [(f.name, str(f.type)) for f in schema] == [
        ("complaint_id", "int64"),
        ("grievance", "string"),
        ("label", "int64"),
        ("source", "string"),
    ]
    assert b"ClassLabel" in schema.metadata[b"huggingface"] and b"pandas" not in schema.metadata
    back = splitting.read_splits(tmp_path)
    pd.testing.assert_frame_equal(back["eval"], splits["eval"])


def test_content_hash_changes_with_content():
    splits, _ = splitting.stratified_split(_frame({0: 50, 1: 50}), "urgency")
    before = splitting.content_hash(splits)
    splits["test"].loc[0, "grievance"] = "changed"
    assert splitting.content_hash(splits) != before
