"""Pull SQL semantics (misclassified, NULL-safe correct pool, sampling) on SQLite and Postgres; no Dagster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dataset_platform.retraining import pull, transport
from dataset_platform_tests.retraining.helpers import D, U, complaint, engine_for, insert, review, semantic_case


def _pull(engine, label, tmp_path, **kw) -> tuple[pull.PullStats, pd.DataFrame]:
    out = tmp_path / f"{label}.parquet"
    stats = pull.pull(engine, label, out, **kw)
    return stats, pull.read_pull(out).to_pandas()


def test_misclassified_and_pool_semantics(db_url, tmp_path):
    engine = engine_for(db_url)
    insert(engine, *semantic_case())
    stats, rows = _pull(engine, "department", tmp_path)
    mis = rows[rows.source == "misclassified"]
    # 1, 2, 7 (NULL prediction), 8 (outside mapping: kept here, dropped by cleaning), 9, 10.
    assert sorted(mis.complaint_id) == [1, 2, 7, 8, 9, 10]
    assert dict(zip(mis.complaint_id, mis.label))[7] == D[3]
    assert stats.n_misclassified == 6
    # Pool: complaint 6 (its review names no complaint) and 100..198 (199 has no prediction); the NULL
    # complaint_id row empties nothing.
    assert stats.n_pool == 100
    assert stats.n_correct_requested == stats.n_correct == 3  # floor(6 × 0.5)
    correct = rows[rows.source == "correct"]
    assert set(correct.complaint_id) <= {6, *range(100, 199)}
    assert (correct.label == [D[i % 4] if i >= 100 else D[0] for i in correct.complaint_id]).all()


def test_urgency_semantics(db_url, tmp_path):
    engine = engine_for(db_url)
    insert(engine, *semantic_case())
    stats, rows = _pull(engine, "urgency", tmp_path)
    assert sorted(rows[rows.source == "misclassified"].complaint_id) == [2, 5]
    assert stats.n_pool == 101  # 6 and 100..199: urgency set everywhere
    assert stats.n_correct == 1


def test_sample_is_pandas_sample_of_pool_ordered_by_id(db_url, tmp_path):
    engine = engine_for(db_url)
    complaints = [complaint(i, department=D[i % 4]) for i in range(1, 501)]
    reviews = [review(i, i, D[0], D[1], minutes=i) for i in range(1, 41)]
    insert(engine, complaints, reviews, shuffle_seed=3)
    stats, rows = _pull(engine, "department", tmp_path)
    pool = pd.DataFrame({"id": range(41, 501)})
    expected = sorted(pool.sample(n=20, random_state=42)["id"])
    assert sorted(rows[rows.source == "correct"].complaint_id) == expected


def test_correct_ratio_floor_and_small_pool(db_url, tmp_path):
    engine = engine_for(db_url)
    complaints = [complaint(i) for i in range(1, 13)]
    reviews = [review(i, i, D[0], D[1]) for i in range(1, 8)]  # 7 misclassified, pool of 5
    insert(engine, complaints, reviews)
    stats, _ = _pull(engine, "department", tmp_path, correct_ratio=0.5)
    assert (stats.n_correct_requested, stats.n_correct) == (3, 3)
    stats, _ = _pull(engine, "department", tmp_path, correct_ratio=2.0)
    assert (stats.n_correct_requested, stats.n_correct) == (14, 5)  # the whole pool, never more


def test_null_complaint_id_does_not_empty_the_pool(db_url, tmp_path):
    """The classic trap: NOT IN (SELECT complaint_id ...) is empty as soon as one complaint_id is NULL."""
    engine = engine_for(db_url)
    insert(engine, [complaint(i) for i in range(1, 21)], [review(1, None, D[0], D[1]), review(2, 1, D[0], D[2])])
    with engine.connect() as conn:
        naive = conn.execute(
            sa.text("SELECT count(*) FROM complaints WHERE id NOT IN (SELECT complaint_id FROM misclassified_complaints)")
        ).scalar_one()
    assert naive == 0
    stats, _ = _pull(engine, "department", tmp_path)
    assert stats.n_pool == 19


def test_label_column_comes_from_allowlist(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(ValueError, match="unknown label column"):
        pull.pull(engine, "department; DROP TABLE complaints", tmp_path / "x.parquet")


def test_streaming_in_small_chunks_gives_same_rows(db_url, tmp_path):
    engine = engine_for(db_url)
    insert(engine, [complaint(i, department=D[i % 4]) for i in range(1, 3001)],
           [review(i, i, D[0], D[1], U[0], U[1], minutes=i) for i in range(1, 1201)])  # fmt: skip
    _, big = _pull(engine, "department", tmp_path, chunk_size=50_000)
    _, small = _pull(engine, "department", tmp_path, chunk_size=1_000)
    pd.testing.assert_frame_equal(big, small)
    assert len(big) == 1800


def test_same_rows_on_sqlite_and_postgres_whatever_the_insertion_order(postgres_url, tmp_path):
    sqlite = engine_for(f"sqlite:///{tmp_path / 'a.db'}")
    postgres = engine_for(postgres_url)
    complaints = [complaint(i, department=D[i % 4], urgency=U[i % 3]) for i in range(1, 801)]
    reviews = [review(i, i * 2, D[0], D[(i + 1) % 4], U[0], U[i % 3], minutes=i % 17) for i in range(1, 201)]
    insert(sqlite, complaints, reviews, shuffle_seed=1)
    insert(postgres, complaints, reviews, shuffle_seed=99)
    for label in ("department", "urgency"):
        _, a = _pull(sqlite, label, tmp_path)
        _, b = _pull(postgres, label, tmp_path)
        key = ["source", "complaint_id"]
        pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True))


def test_sample_positions_matches_numpy_draw():
    positions = pull.sample_positions(1000, 10)
    assert len(set(positions)) == 10
    np.testing.assert_array_equal(positions, np.random.RandomState(42).choice(1000, 10, replace=False))
    np.testing.assert_array_equal(pull.sample_positions(5, 10), np.arange(5))


@pytest.mark.parametrize("block_bytes", [64, 32 << 20])
def test_tricky_texts_survive_streaming(db_url, tmp_path, monkeypatch, block_bytes):
    """Quotes, commas, CR/LF, tabs, empty strings and Thai survive (Postgres: COPY → Arrow CSV in small blocks)."""
    monkeypatch.setattr(transport, "COPY_BLOCK_BYTES", block_bytes)
    texts = ['say "hi", ok', "", "line\r\nbreak", '""', "ก\tข,ค", "ends with newline\n", "\\N", "NULL"]
    engine = engine_for(db_url)
    insert(engine, [complaint(i, "x", department=D[0]) for i in range(1, 41)], [])
    with engine.begin() as conn:
        for i, text in enumerate(texts, start=1):
            conn.execute(sa.update(pull.complaints).where(pull.complaints.c.id == i).values(message=text))
    insert(engine, [], [review(i, i, D[0], D[1], minutes=i) for i in range(1, len(texts) + 1)])
    _, rows = _pull(engine, "department", tmp_path)
    mis = rows[rows.source == "misclassified"].sort_values("complaint_id")
    assert mis["text"].tolist() == texts
    assert mis["reviewed_at"].notna().all() and rows[rows.source == "correct"]["reviewed_at"].isna().all()


def test_sample_stays_exact_when_reviews_do_not_join(db_url, tmp_path):
    """Reviews with a NULL complaint_id (and, on SQLite, a dangling one) make the fast count estimate
    too high: the sample must still be pandas' sample of floor(n_joined × 0.5)."""
    engine = engine_for(db_url)
    complaints = [complaint(i, department=D[i % 4]) for i in range(1, 501)]
    reviews = [review(i, i, D[0], D[1], minutes=i) for i in range(1, 41)]
    reviews += [review(100 + i, None, D[0], D[2], minutes=i) for i in range(10)]
    if db_url.startswith("sqlite"):  # no FK enforcement: a review can name a complaint that does not exist
        reviews += [review(200 + i, 10_000 + i, D[0], D[2], minutes=i) for i in range(6)]
    insert(engine, complaints, reviews, shuffle_seed=5)
    stats, rows = _pull(engine, "department", tmp_path)
    assert stats.n_misclassified == 40
    pool = pd.DataFrame({"id": range(41, 501)})
    expected = sorted(pool.sample(n=20, random_state=42)["id"])
    assert sorted(rows[rows.source == "correct"].complaint_id) == expected
