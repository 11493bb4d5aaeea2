"""Text cleaning, label encoding, drop reasons and deduplication (pure functions; no database, no Dagster)."""

from __future__ import annotations

import random

import pandas as pd
import pyarrow as pa
import pytest

from dataset_platform.retraining.cleaning import clean_records, clean_text, clean_texts


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("see https://example.org/a?b=1 now", "see now"),
        ("go to www.traffy.in.th/report/12 please", "go to please"),
        ("<p>น้ำไม่ไหล</p><br/>มา 3 วันแล้ว", "น้ำไม่ไหล มา 3 วันแล้ว"),
        ("line one\nline two\r\n\tthree", "line one line two three"),
        ("  many    spaces\u3000and\xa0nbsp  ", "many spaces and nbsp"),
        ("cafe\u0301", "caf\u00e9"),  # NFC
        ("https://only.a/link", ""),
        ("<br/> <div> </div>", ""),
        ("a < b and c > d", "a < b and c > d"),  # comparison signs are not tags
        ("Namaste sir, dhara ma pani aaudaina", "Namaste sir, dhara ma pani aaudaina"),
    ],
)
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned
    assert clean_texts(pa.array([raw], pa.large_string())).to_pylist() == [cleaned]


def test_vectorised_cleaning_equals_reference_on_random_text():
    rng = random.Random(0)
    pieces = [
        "a",
        "ก",
        "ำ",
        " ",
        "\n",
        "\t",
        "\u3000",
        "\xa0",
        "\u2028",
        "\x85",
        "<b>",
        "</p>",
        "<",
        ">",
        "https://",
        "http://x.y/",
        "www.",
        ".",
        "/",
        "e\u0301",
        "ñ",
        "😀",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(5000)]
    assert clean_texts(pd.Series(texts)).to_pylist() == [clean_text(t) for t in texts]


def _pull(rows):
    return pd.DataFrame(rows, columns=["complaint_id", "text", "label", "source", "reviewed_at"]).astype(
        {"reviewed_at": "datetime64[us]"}
    )


def test_drops_are_counted_by_reason_and_labels_encoded():
    df = _pull(
        [
            (1, "road broken", "URGENT", "misclassified", "2026-01-01"),
            (2, "<br> https://x.y", "NORMAL", "misclassified", "2026-01-01"),  # empty after cleaning
            (3, "water cut", "LOW", "correct", None),  # outside the mapping
            (4, "water cut", "urgent", "correct", None),  # case matters: outside the mapping
            (5, "lamp off", "HIGHLY URGENT", "correct", None),
        ]
    )
    out, stats = clean_records(df, "urgency")
    assert stats.dropped == {"label_not_in_mapping": 2, "empty_text": 1, "pii": 0, "gold_copy": 0}
    assert stats.unknown_labels == {"LOW": 1, "urgent": 1}
    assert out.to_dict("list") == {
        "complaint_id": [1, 5],
        "grievance": ["road broken", "lamp off"],
        "label": [1, 2],
        "source": ["misclassified", "correct"],
    }
    assert str(out["complaint_id"].dtype) == "int64" and str(out["label"].dtype) == "int64"


def test_duplicates_across_pools_keep_the_misclassified_then_latest_review():
    df = _pull(
        [
            (10, "pothole on <b>main</b> road", "NORMAL", "correct", None),
            (20, "pothole on main road", "URGENT", "misclassified", "2026-01-01"),
            (30, "pothole  on main road\n", "HIGHLY URGENT", "misclassified", "2026-02-01"),
            (40, "unique text", "NORMAL", "correct", None),
        ]
    )
    out, stats = clean_records(df, "urgency")
    assert stats.duplicates_removed == 2
    assert stats.conflicting_label_duplicates == 1
    assert out["complaint_id"].tolist() == [30, 40]  # latest review of the misclassified copies wins
    assert out["grievance"].is_unique


def test_result_does_not_depend_on_row_order():
    rows = [
        (
            i,
            f"text {i % 7}",
            ["NORMAL", "URGENT"][i % 2],
            ["correct", "misclassified"][i % 3 == 0],
            "2026-01-01" if i % 3 == 0 else None,
        )
        for i in range(60)
    ]
    a, _ = clean_records(_pull(rows), "urgency")
    b, _ = clean_records(_pull(rows[::-1]), "urgency")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("policy, kept, masked", [("mask", 3, True), ("drop", 1, False), ("block", 4, False)])
def test_pii_policy_masks_drops_or_leaves_for_the_block(policy, kept, masked):
    df = _pull(
        [
            (1, "road broken call ९८४१२३४५६७", "URGENT", "misclassified", "2026-01-01"),
            (2, "road broken call 9812345678", "URGENT", "misclassified", "2026-01-02"),  # same text once masked
            (3, "lamp off", "NORMAL", "correct", None),
            (4, "IMEI 356938035643809 phone stolen", "NORMAL", "correct", None),
        ]
    )
    out, stats = clean_records(df, "urgency", pii_policy=policy)
    assert stats.pii_records == 3 and stats.pii_kinds == {"phone": 2, "imei": 1}
    assert len(out) == kept and (stats.dropped["pii"] == 3) is (policy == "drop")  # an IMEI is PII too
    texts = " ".join(out["grievance"])
    assert ("[PHONE]" in texts and "९८४" not in texts and stats.duplicates_removed == 1) is masked


def test_gold_texts_and_their_near_copies_are_held_out():
    df = _pull(
        [
            (1, "the road is full of potholes near the market for 3 days", "URGENT", "misclassified", "2026-01-01"),
            (2, "the road is full of potholes near the market for 2 days", "URGENT", "correct", None),
            (3, "कम पानी आयो", "NORMAL", "correct", None),
            (4, "lamp off", "NORMAL", "correct", None),
        ]
    )
    gold = pd.Series(["the road is full of potholes near the market for 3 days", "काम पानी आयो"])
    out, stats = clean_records(df, "urgency", gold_texts=gold)
    assert out["complaint_id"].tolist() == [3, 4] and stats.dropped["gold_copy"] == 2  # vowel sign: not a copy
