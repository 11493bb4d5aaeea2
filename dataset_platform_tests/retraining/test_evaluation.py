"""Evaluation metrics, bootstrap CIs, the paired gate and gold loading on hand-made data (no Dagster)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa
from sklearn.metrics import accuracy_score, f1_score, recall_score

from dataset_platform.common import db
from dataset_platform.retraining import evaluation as ev
from dataset_platform_tests.retraining.helpers import D, U, complaint, engine_for, insert

NAMES = ["a", "b", "c"]


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        ([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]),
        ([0, 0, 0, 1], [0, 0, 0, 0]),  # class 1 never predicted, class 2 absent everywhere
        ([2, 1, 0, 2, 2, 1, 0], [2, 2, 0, 1, 2, 1, 1]),
    ],
)
def test_point_metrics_match_sklearn(y_true, y_pred):
    s = ev.classification_scores(y_true, y_pred, NAMES, n_boot=200)
    assert s["accuracy"]["value"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-4)
    assert s["macro_f1"]["value"] == pytest.approx(f1_score(y_true, y_pred, average="macro"), abs=1e-4)
    present = sorted(set(y_true))
    recalls = recall_score(y_true, y_pred, labels=present, average=None)
    for c, r in zip(present, recalls):
        assert s["recall"][NAMES[c]]["value"] == pytest.approx(r, abs=1e-4)
    assert all(s["recall"][NAMES[c]]["value"] is None for c in range(3) if c not in present)
    assert np.asarray(s["confusion"]).sum() == len(y_true)


def test_missing_prediction_counts_as_wrong_and_has_its_own_column():
    s = ev.classification_scores([0, 1, 2, 2], [0, -1, 2, -1], NAMES, n_boot=100)
    assert s["accuracy"]["value"] == 0.5 and s["no_prediction"] == 2
    assert s["confusion"][1] == [0, 0, 0, 1] and s["recall"]["c"]["value"] == 0.5


def test_bootstrap_ci_brackets_the_estimate_narrows_with_n_and_is_reproducible():
    rng = np.random.default_rng(0)
    widths = []
    for n in (100, 1600):
        y = rng.integers(0, 3, n)
        pred = np.where(rng.random(n) < 0.7, y, (y + 1) % 3)
        s = ev.classification_scores(y, pred, NAMES)
        acc = s["accuracy"]
        assert acc["ci_low"] < acc["value"] < acc["ci_high"]
        assert s["macro_f1"]["ci_low"] < s["macro_f1"]["value"] < s["macro_f1"]["ci_high"]
        widths.append(acc["ci_high"] - acc["ci_low"])
        assert ev.classification_scores(y, pred, NAMES) == s  # fixed seed
    assert widths[1] < widths[0] / 2.5  # ~1/sqrt(n): 4× narrower for 16× the rows


def test_paired_difference_sees_a_small_consistent_gain_that_unpaired_cis_would_not():
    y = np.arange(400) % 3
    base = np.where(np.arange(400) % 5 == 0, (y + 1) % 3, y)  # 80% right
    better = base.copy()
    better[np.flatnonzero(base != y)[:12]] = y[np.flatnonzero(base != y)[:12]]  # fixes 12 rows, breaks none
    diff = ev.paired_accuracy_difference(y, better, base)
    assert diff["value"] == pytest.approx(12 / 400) and diff["ci_low"] > 0
    a, b = ev.classification_scores(y, better, NAMES)["accuracy"], ev.classification_scores(y, base, NAMES)["accuracy"]
    assert a["ci_low"] < b["ci_high"]  # the two marginal CIs overlap


def test_gate_blocks_only_beyond_the_ci():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    good = np.where(rng.random(300) < 0.8, y, (y + 1) % 3)
    noise = good.copy()
    flip = rng.choice(300, 4, replace=False)
    noise[flip] = (y[flip] + 2) % 3  # a hair worse: within the CI
    shuffled = rng.permutation(y)
    assert ev.decide(y, noise, good, "published v1").passed
    blocked = ev.decide(y, shuffled, good, "published v1")
    assert not blocked.passed and blocked.judged and blocked.difference["ci_high"] < 0
    assert blocked.message.startswith("worse on gold:") and f"{blocked.candidate_accuracy:.3f}" in blocked.message
    assert f"published v1 {blocked.baseline_accuracy:.3f}" in blocked.message
    few = ev.decide(y[:10], shuffled[:10], good[:10], "production model")
    assert few.passed and not few.judged and "not judged" in few.message


def test_reference_model_learns_char_ngrams_and_refuses_one_class():
    texts = ["धारामा पानी आउँदैन", "no tap water here", "motorcycle chori bhayo", "a motorcycle was stolen"] * 10
    labels = [2, 2, 3, 3] * 10
    model = ev.train_reference(texts, labels)
    assert list(ev.predict(model, ["धारामा पानी छैन", "motorcycle chori"])) == [2, 3]
    with pytest.raises(ValueError, match="two classes"):
        ev.train_reference(texts[:2], [2, 2])


def test_load_gold_cleans_joins_and_encodes(db_url):
    engine = engine_for(db_url)
    insert(
        engine,
        [
            complaint(1, "road <b>broken</b> https://x.org/a", D[2], U[0]),
            complaint(2, "school", None, U[1]),
            complaint(3, "<br/>", D[0], U[0]),
            complaint(4, "theft", D[3], U[2]),
        ],
        [],
    )
    now = dt.datetime(2026, 3, 1)
    rows = [
        {"complaint_id": 1, "department": D[2], "urgency": U[1], "labelled_at": now},
        {"complaint_id": 2, "department": D[1], "urgency": None, "labelled_at": now},
        {"complaint_id": 3, "department": D[0], "urgency": U[0], "labelled_at": now},
        {"complaint_id": 4, "department": "Tourism", "urgency": U[2], "labelled_at": now},
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(db.gold_labels), rows)
    gold, dropped = ev.load_gold(engine, "department")
    assert gold.to_dict("list") == {
        "complaint_id": [1, 2],
        "grievance": ["road broken", "school"],
        "label": [2, 1],
        "production": [2, -1],
    }
    assert dropped == {"label_not_in_mapping": 1, "empty_text": 1}
    urgency, _ = ev.load_gold(engine, "urgency")
    assert list(urgency["complaint_id"]) == [1, 4]  # NULL gold urgency is not a gold row for urgency
    assert list(ev.production_predictions(engine, "urgency", [4, 99, 1])) == [2, -1, 0]


def test_gold_rows_in_train_are_left_out_of_the_reference_model():
    import pandas as pd

    train = pd.DataFrame(
        {
            "complaint_id": [1, 2, 3, 4],
            "grievance": ["a", "b", "c", "d"],
            "label": [0, 1, 0, 1],
            "source": ["misclassified"] * 4,
        }
    )
    gold = pd.DataFrame({"complaint_id": [2, 9], "grievance": ["b", "z"], "label": [1, 0], "production": [1, 0]})
    kept, leaked = ev.without_gold(train, gold)
    assert list(kept["complaint_id"]) == [1, 3, 4] and leaked == 1
