"""Pull semantics (misclassified, confirmed, NULL-safe pool, sampling, gold holdout, base rows, quarantined bad rows)
on SQLite and Postgres; no Dagster."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.retraining import pull, transport
from dataset_platform_tests.retraining.helpers import T0, D, U, complaint, engine_for, insert, review, semantic_case


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
            sa.text(
                "SELECT count(*) FROM complaints WHERE id NOT IN (SELECT complaint_id FROM misclassified_complaints)"
            )
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
    insert(
        engine,
        [complaint(i, department=D[i % 4]) for i in range(1, 3001)],
        [review(i, i, D[0], D[1], U[0], U[1], minutes=i) for i in range(1, 1201)],
    )
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
        pd.testing.assert_frame_equal(
            a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
        )


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


def _gold(engine, rows: list[tuple[int, str | None, str | None]]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.gold_labels),
            [
                {"complaint_id": cid, "department": d, "urgency": u, "reviewer": "blind", "labelled_at": T0}
                for cid, d, u in rows
            ],
        )


def test_gold_complaints_are_held_out_of_every_source_and_written_apart(db_url, tmp_path):
    engine = engine_for(db_url)
    complaints = [complaint(i, department=D[i % 4]) for i in range(1, 301)]
    reviews = [review(i, i, D[0], D[1], minutes=i) for i in range(1, 41)]  # misclassified 1..40
    reviews += [review(100 + i, 40 + i, D[0], D[0], minutes=i) for i in range(1, 11)]  # confirmed 41..50
    insert(engine, complaints, reviews)
    _gold(engine, [(3, D[2], U[1]), (45, D[0], None), (200, D[3], U[0]), (201, None, U[2])])
    gold_path = tmp_path / "gold.parquet"
    stats, rows = _pull(engine, "department", tmp_path, correct_ratio=10.0, gold_path=gold_path)
    assert not {3, 45, 200, 201} & set(rows.complaint_id)  # 201 has no department gold label: still held out
    assert stats.gold_held_out == {"misclassified": 1, "confirmed": 1}
    assert stats.n_pool == 250 - 2  # 51..300 minus gold 200 and 201
    gold = pull.read_gold(gold_path).to_pandas()
    assert gold.complaint_id.tolist() == [3, 45, 200] and gold.label.tolist() == [D[2], D[0], D[3]]
    assert stats.n_gold == 3


def test_confirmations_fill_the_correct_sample_first_and_are_counted(db_url, tmp_path):
    engine = engine_for(db_url)
    complaints = [complaint(i, department=D[i % 4]) for i in range(1, 501)]
    reviews = [review(i, i, D[0], D[1], minutes=i) for i in range(1, 41)]  # 40 misclassified → 20 correct
    reviews += [review(100 + i, 40 + i, D[i % 4], D[i % 4], minutes=i) for i in range(1, 13)]  # 12 confirmed
    reviews += [review(200, 41, D[1], D[1], minutes=99)]  # complaint 41 confirmed twice: counted once
    insert(engine, complaints, reviews, shuffle_seed=2)
    stats, rows = _pull(engine, "department", tmp_path)
    assert (stats.n_confirmed_available, stats.n_confirmed, stats.n_correct) == (12, 12, 20)
    assert stats.source_counts == {"misclassified": 40, "confirmed": 12, "correct": 8, "base": 0}
    confirmed = rows[rows.source == "confirmed"]
    assert sorted(confirmed.complaint_id) == list(range(41, 53))
    assert dict(zip(confirmed.complaint_id, confirmed.label))[41] == D[1]  # the latest review of 41
    pool = pd.DataFrame({"id": range(53, 501)})
    assert sorted(rows[rows.source == "correct"].complaint_id) == sorted(pool.sample(n=8, random_state=42)["id"])
    stats, rows = _pull(engine, "department", tmp_path, correct_ratio=0.25)  # 10 requested < 12 confirmed
    assert (stats.n_confirmed, stats.n_correct) == (10, 10) and set(rows.source) == {"misclassified", "confirmed"}


def test_base_rows_are_mixed_in_without_gold_or_pulled_complaints(db_url, tmp_path):
    engine = engine_for(db_url)
    reviews = [review(i, i, D[0], D[1]) for i in range(1, 21)]
    insert(engine, [complaint(i, department=D[i % 4]) for i in range(1, 101)], reviews)
    _gold(engine, [(90, D[2], U[0])])
    base = pa.table(
        {
            "complaint_id": pa.array([5, 90, 1000, 1001], pa.int64()),  # 5: pulled here, 90: gold
            "text": ["old text of 5", "gold text", "base one", "base two"],
            "label": [D[3], D[2], D[0], D[1]],
        }
    )
    stats, rows = _pull(engine, "department", tmp_path, base=base)
    assert stats.n_base == 2 and stats.gold_held_out == {"base": 1}
    assert sorted(rows[rows.source == "base"].complaint_id) == [1000, 1001]
    assert (rows.complaint_id == 5).sum() == 1


def test_base_table_and_hub_version_load_as_pull_rows(db_url, tmp_path):
    from dataset_platform.retraining import base_data

    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE base_training (complaint_id BIGINT, text TEXT, department TEXT)")
        conn.exec_driver_sql(f"INSERT INTO base_training VALUES (7, 'seven', '{D[1]}'), (8, 'eight', NULL)")
    table = base_data.from_table(engine, "base_training", "department")
    assert table.to_pylist() == [{"complaint_id": 7, "text": "seven", "label": D[1]}]
    with pytest.raises(ValueError, match="base table"):
        base_data.from_table(engine, "base_training; DROP TABLE complaints", "department")
    splits = {"train": pd.DataFrame({"complaint_id": [2, 1], "grievance": ["b", "a"], "label": [3, 0], "source": "x"})}
    assert base_data.from_splits(splits, "department").to_pylist() == [
        {"complaint_id": 1, "text": "a", "label": D[0]},
        {"complaint_id": 2, "text": "b", "label": D[3]},
    ]
    assert base_data.parse_reference("org/repo@v20260101_000000") == ("org/repo", "v20260101_000000")


def _set_raw_message(engine, cid: int, raw: bytes) -> None:
    """SQLite stores any bytes as TEXT (what a non-Python writer or a corrupted import leaves behind)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE complaints SET message = CAST(? AS TEXT) WHERE id = ?", (raw, cid))


def test_invalid_utf8_and_nul_rows_are_quarantined_not_fatal_sqlite(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'r.db'}")
    reviews = [review(i, i, D[0], D[1]) for i in range(1, 41)]
    insert(engine, [complaint(i, department=D[i % 4]) for i in range(1, 201)], reviews)
    _set_raw_message(engine, 3, b"broken \xff\xfe text")  # misclassified
    _set_raw_message(engine, 4, b"nul \x00 inside")  # misclassified
    for cid in range(41, 201, 7):
        _set_raw_message(engine, cid, b"pool \xc3\x28 bad")  # some of the pool, invalid continuation byte
    stats, rows = _pull(engine, "department", tmp_path, correct_ratio=5.0)
    assert stats.n_misclassified == 38
    named = {(q.complaint_id, q.reason) for q in stats.quarantined}
    assert {(3, "invalid_utf8"), (4, "nul_byte")} <= named
    assert stats.quarantined_count == {"invalid_utf8": 1 + len(range(41, 201, 7)), "nul_byte": 1}
    assert not rows["text"].str.contains("\x00").any() and not {3, 4} & set(rows.complaint_id)
    named = {(q["complaint_id"], q["source"]) for q in stats.to_dict()["quarantined"]}
    assert named >= {(3, "misclassified"), (41, "correct")}


def test_invalid_utf8_row_is_quarantined_on_postgres(postgres_server, tmp_path):
    """A SQL_ASCII database accepts any bytes (PostgreSQL's only way to hold invalid UTF-8; text never holds NUL)."""
    name = f"ascii_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(
            f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
        )
    admin.dispose()
    engine = engine_for(postgres_server.url(name) + "?client_encoding=utf8")  # as a UTF-8 application connects
    reviews = [review(i, i, D[0], D[1]) for i in range(1, 21)]
    insert(engine, [complaint(i, department=D[i % 4]) for i in range(1, 101)], reviews)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE complaints SET message = E'bad \\xff byte' WHERE id = 2")
        conn.exec_driver_sql("UPDATE complaints SET message = E'ok ก' WHERE id = 5")
    stats, rows = _pull(engine, "department", tmp_path)
    assert stats.n_misclassified == 19
    assert [(q.complaint_id, q.reason) for q in stats.quarantined] == [(2, "invalid_utf8")]
    assert dict(zip(rows.complaint_id, rows.text))[5] == "ok ก"
