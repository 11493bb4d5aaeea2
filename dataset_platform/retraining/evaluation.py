"""Reference classifier and regression gate: does a candidate version make a model better on the gold set?

The reference classifier is a fixed recipe (TF-IDF of char_wb 2–5-grams + logistic regression, fixed seed)
trained on a version's train split (base records included, they are train rows). It is not the production
model: it is a yardstick that turns "this dataset" into "what a model learns from it", scored on gold (a random
sample labelled blind) — the test split is drawn from the error pool and cannot judge a model.

Metrics (accuracy, macro-F1, per-class recall) carry percentile bootstrap 95% CIs (``N_BOOT`` resamples of the
rows, fixed seed). A missing prediction (production NULL, or a label outside the mapping) counts as wrong.

Gate ("worse beyond the CI"): a paired bootstrap of the accuracy difference candidate − baseline over the same
gold rows (same resample indices for both models); the candidate is blocked when the upper bound of that
difference's 95% CI is below 0, i.e. when it is worse in (nearly) every resample, not only on the point
estimate. Baseline = the published version's reference model, or the production model when nothing is
published. With fewer than ``MIN_GOLD`` gold rows the gate cannot judge and passes, saying so.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dataset_platform.common import atomic, db
from dataset_platform.common.labels import LABEL_MAPPINGS, label_names
from dataset_platform.retraining.cleaning import clean_text

MODEL_VERSION = "tfidf-charwb2-5-logreg-v1"
SEED = 42
N_BOOT = 1000
MIN_GOLD = 30
CI = 0.95
NO_PREDICTION = -1


# --- metrics -----------------------------------------------------------------------------------------


def _confusions(y_true: np.ndarray, y_pred: np.ndarray, k: int, idx: np.ndarray) -> np.ndarray:
    """(B, k, k+1) confusion matrices of the resamples ``idx`` (B, n); column k = no prediction."""
    pred = np.where((y_pred >= 0) & (y_pred < k), y_pred, k)
    cells = y_true[idx] * (k + 1) + pred[idx]
    offsets = np.arange(idx.shape[0])[:, None] * (k * (k + 1))
    counts = np.bincount((cells + offsets).ravel(), minlength=idx.shape[0] * k * (k + 1))
    return counts.reshape(idx.shape[0], k, k + 1)


def _metrics(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, macro-F1 (over classes in truth or prediction, as sklearn) and recall per class, per resample."""
    k = cm.shape[1]
    tp = np.diagonal(cm[:, :, :k], axis1=1, axis2=2).astype(float)
    support = cm.sum(axis=2).astype(float)
    predicted = cm[:, :, :k].sum(axis=1).astype(float)
    n = support.sum(axis=1)
    denominator = support + predicted  # 2tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        accuracy = np.where(n > 0, tp.sum(axis=1) / n, np.nan)
    present = denominator > 0
    macro = np.where(present.any(axis=1), np.nansum(f1, axis=1) / np.maximum(present.sum(axis=1), 1), np.nan)
    return {"accuracy": accuracy, "macro_f1": macro, "recall": recall}


def _interval(point: float, samples: np.ndarray) -> dict[str, float | None]:
    samples = samples[~np.isnan(samples)]
    if np.isnan(point):
        return {"value": None, "ci_low": None, "ci_high": None}
    if not len(samples):
        return {"value": float(point), "ci_low": None, "ci_high": None}
    low, high = np.percentile(samples, [100 * (1 - CI) / 2, 100 * (1 + CI) / 2])
    return {"value": round(float(point), 4), "ci_low": round(float(low), 4), "ci_high": round(float(high), 4)}


def resample_indices(n: int, n_boot: int = N_BOOT, seed: int = SEED) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n)) if n else np.zeros((n_boot, 0), int)


def classification_scores(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    names: Sequence[str],
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-class recall with percentile bootstrap 95% CIs, and the confusion matrix."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    k, n = len(names), len(y_true)
    full = _confusions(y_true, y_pred, k, np.arange(n)[None, :])
    point = _metrics(full)
    boot = _metrics(_confusions(y_true, y_pred, k, resample_indices(n, n_boot, seed))) if n else None
    empty = np.array([np.nan])
    return {
        "n": n,
        "accuracy": _interval(point["accuracy"][0], boot["accuracy"] if boot is not None else empty),
        "macro_f1": _interval(point["macro_f1"][0], boot["macro_f1"] if boot is not None else empty),
        "recall": {
            name: {
                **_interval(point["recall"][0, c], boot["recall"][:, c] if boot is not None else empty),
                "support": int(full[0, c].sum()),
            }
            for c, name in enumerate(names)
        },
        "no_prediction": int(full[0, :, k].sum()),
        "confusion": full[0].tolist(),  # rows: true class; columns: predicted class, then "no prediction"
    }


def paired_accuracy_difference(
    y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int], n_boot: int = N_BOOT, seed: int = SEED
) -> dict[str, float | None]:
    """accuracy(a) − accuracy(b) on the same rows, with a paired percentile bootstrap 95% CI."""
    y = np.asarray(y_true, dtype=np.int64)
    hit_a = (np.asarray(pred_a, dtype=np.int64) == y).astype(float)
    hit_b = (np.asarray(pred_b, dtype=np.int64) == y).astype(float)
    if not len(y):
        return {"value": None, "ci_low": None, "ci_high": None}
    diff = hit_a - hit_b
    samples = diff[resample_indices(len(y), n_boot, seed)].mean(axis=1)
    return _interval(float(diff.mean()), samples)


# --- reference classifier ------------------------------------------------------------------------------


def train_reference(texts: Sequence[str], labels: Sequence[int] | np.ndarray, seed: int = SEED):
    """TF-IDF char_wb 2–5-grams + multinomial logistic regression; deterministic for the same rows.

    Char n-grams inside word boundaries work for Devanagari, Thai (no spaces) and romanised text alike and
    survive the typos of citizen-written complaints; no tokenizer or model download is needed.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = np.asarray(labels, dtype=np.int64)
    if len(np.unique(labels)) < 2:
        raise ValueError(f"the reference model needs at least two classes in train, found {len(np.unique(labels))}")
    model = make_pipeline(
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1, max_features=300_000, dtype=np.float32
        ),
        LogisticRegression(max_iter=2000, C=10.0, random_state=seed),
    )
    with single_threaded_blas():
        model.fit(list(texts), labels)
    return model


def single_threaded_blas():
    """lbfgs on sparse TF-IDF gains nothing from BLAS threads, and on a shared machine they fight over the
    cores: one thread fitted 10× faster than the default pool on a 2-core box under load (measured)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def predict(model, texts: Sequence[str]) -> np.ndarray:
    if not len(texts):
        return np.zeros(0, np.int64)
    with single_threaded_blas():
        return np.asarray(model.predict(list(texts)), dtype=np.int64)


# --- data ----------------------------------------------------------------------------------------------


def encode(label: str, values: Sequence[str | None]) -> np.ndarray:
    """Label names → ids; NULL or a name outside the mapping → NO_PREDICTION."""
    mapping = LABEL_MAPPINGS[label]
    return np.array([mapping.get(v, NO_PREDICTION) if v is not None else NO_PREDICTION for v in values], np.int64)


def load_gold(engine: sa.Engine, label: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Gold rows for ``label``: complaint_id, grievance (cleaned), label (id), production (id or -1); + drop counts."""
    g, c = db.gold_labels, db.complaints
    query = (
        sa.select(g.c.complaint_id, c.c.message, g.c[label].label("gold"), c.c[label].label("production"))
        .join(c, c.c.id == g.c.complaint_id)
        .where(g.c[label].is_not(None))
        .order_by(g.c.complaint_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["complaint_id", "message", "gold", "production"])
    frame["grievance"] = [clean_text(m or "") for m in frame["message"]]
    frame["label"] = encode(label, frame["gold"])
    frame["production"] = encode(label, frame["production"])
    dropped = {"label_not_in_mapping": int((frame["label"] < 0).sum())}
    frame = frame[frame["label"] >= 0]
    dropped["empty_text"] = int((frame["grievance"] == "").sum())
    frame = frame[frame["grievance"] != ""].reset_index(drop=True)
    return frame[["complaint_id", "grievance", "label", "production"]], dropped


def production_predictions(engine: sa.Engine, label: str, complaint_ids: Sequence[int]) -> np.ndarray:
    """The production model's prediction (id, or -1 when NULL / unknown / no such complaint) per complaint id."""
    c = db.complaints
    ids = [int(i) for i in complaint_ids]
    found: dict[int, str | None] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 5_000):
            chunk = ids[start : start + 5_000]
            found.update(conn.execute(sa.select(c.c.id, c.c[label]).where(c.c.id.in_(chunk))).all())
    return encode(label, [found.get(i) for i in ids])


def gold_hash(gold: pd.DataFrame) -> str:
    h = hashlib.sha256(MODEL_VERSION.encode())
    for cid, text, lab in zip(gold["complaint_id"], gold["grievance"], gold["label"]):
        h.update(f"{cid}\t{lab}\t{text}\n".encode())
    return h.hexdigest()


# --- published reference model (cached by content hash) -----------------------------------------------


def cached_reference(
    cache_dir: Path, content_hash: str, load_train: Callable[[], pd.DataFrame], gold: pd.DataFrame
) -> tuple[dict, bool]:
    """The reference model of a published version: fitted once per (content hash, gold set), then cached.

    A version never changes, but the gold set grows: rows of a version that are now gold are left out of its
    model, so the key carries the gold hash too. The cache file is written atomically. Returns
    ({"model", "train_ids"}, cache hit).
    """
    path = Path(cache_dir) / f"{MODEL_VERSION}-{content_hash[:24]}-{gold_hash(gold)[:12]}.pkl"
    if path.exists():
        try:
            return pickle.loads(path.read_bytes()), True
        except Exception:  # a cache written by another sklearn version: refit
            pass
    train, _ = without_gold(load_train(), gold)
    entry = {
        "model": train_reference(train["grievance"], train["label"]),
        "train_ids": train["complaint_id"].to_numpy(dtype=np.int64),
    }
    atomic.write_bytes(path, pickle.dumps(entry))
    return entry, False


def without_gold(train: pd.DataFrame, gold: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Train rows minus gold complaints (the pull holds gold out; this keeps a leak from inflating gold scores)."""
    leaked = train["complaint_id"].isin(gold["complaint_id"])
    return train[~leaked].reset_index(drop=True), int(leaked.sum())


# --- the evaluation and the gate -----------------------------------------------------------------------


@dataclass
class Gate:
    passed: bool
    judged: bool
    baseline: str  # "published <tag>" | "production model"
    candidate_accuracy: float | None
    baseline_accuracy: float | None
    difference: dict[str, float | None] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def decide(y_true, candidate_pred, baseline_pred, baseline: str, n_boot: int = N_BOOT, seed: int = SEED) -> Gate:
    n = len(y_true)
    cand = float(np.mean(np.asarray(candidate_pred) == np.asarray(y_true))) if n else None
    base = float(np.mean(np.asarray(baseline_pred) == np.asarray(y_true))) if n else None
    if n < MIN_GOLD:
        return Gate(True, False, baseline, cand, base, {}, f"not judged: {n} gold rows < {MIN_GOLD} (label more gold)")
    assert cand is not None and base is not None  # n >= MIN_GOLD > 0
    diff = paired_accuracy_difference(y_true, candidate_pred, baseline_pred, n_boot, seed)
    worse = diff["ci_high"] is not None and diff["ci_high"] < 0
    scores = (
        f"candidate reference model {cand:.3f} vs {baseline} {base:.3f} on {n} gold rows "
        f"(difference {diff['value']:+.3f}, paired bootstrap 95% CI [{diff['ci_low']:+.3f}, {diff['ci_high']:+.3f}])"
    )
    return Gate(
        not worse,
        True,
        baseline,
        round(cand, 4),
        round(base, 4),
        diff,
        f"worse on gold: {scores}" if worse else f"not worse on gold: {scores}",
    )


def evaluate(
    label: str,
    splits: dict[str, pd.DataFrame],
    gold: pd.DataFrame,
    test_production: np.ndarray,
    published: dict | None = None,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> dict[str, Any]:
    """Score the candidate's reference model, the production model and (if given) the published version's model.

    ``published``: {"tag", "content_hash", "model", "train_ids"} of the published version. Returns the report
    (JSON-ready) including the gate and the per-row gold predictions needed for the plot.
    """
    names = label_names(label)
    train, leaked = without_gold(splits["train"], gold)
    test = splits["test"]
    model = train_reference(train["grievance"], train["label"], seed)
    y_gold = gold["label"].to_numpy()
    gold_pred = {"candidate": predict(model, gold["grievance"]), "production": gold["production"].to_numpy()}
    test_pred = {"candidate": predict(model, test["grievance"]), "production": np.asarray(test_production)}
    if published is not None:
        gold_pred["published"] = predict(published["model"], gold["grievance"])
        test_pred["published"] = predict(published["model"], test["grievance"])

    def score(y, pred):
        return {name: classification_scores(y, p, names, n_boot, seed) for name, p in pred.items()}

    if published is not None:
        baseline = f"published {published['tag']}"
        gate = decide(y_gold, gold_pred["candidate"], gold_pred["published"], baseline, n_boot, seed)
    else:
        gate = decide(y_gold, gold_pred["candidate"], gold_pred["production"], "production model", n_boot, seed)
    overlap = int(test["complaint_id"].isin(published["train_ids"]).sum()) if published is not None else 0
    return {
        "label": label,
        "model": MODEL_VERSION,
        "seed": seed,
        "n_boot": n_boot,
        "train_rows": int(len(train)),
        "train_rows_in_gold_left_out": leaked,
        "train_sources": {str(k): int(v) for k, v in train["source"].value_counts().sort_index().items()},
        "gold_rows": int(len(gold)),
        "gold_hash": gold_hash(gold),
        "published_version": published["tag"] if published is not None else None,
        "gold": score(y_gold, gold_pred),
        "test": score(test["label"].to_numpy(), test_pred),
        # Test rows the published model trained on (versions overlap): its test score is optimistic by that much.
        "test_rows_in_published_train": overlap,
        "gate": gate.to_dict(),
        "gold_predictions": {k: v.tolist() for k, v in gold_pred.items()},
        "gold_labels": y_gold.tolist(),
    }


def confusion_png(report: dict, path: Path) -> bytes:
    """One confusion-matrix panel per model on gold (rows: gold label; columns: prediction)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    names = label_names(report["label"])
    models = list(report["gold"])
    figure = Figure(figsize=(4.2 * len(models), 4.4), dpi=90)
    axes = np.atleast_1d(figure.subplots(1, len(models)))
    ticks = [n.split(" ")[0][:12] for n in names] + ["none"]
    for ax, name in zip(axes, models):
        scores = report["gold"][name]
        cm = np.asarray(scores["confusion"]) if scores["n"] else np.zeros((len(names), len(names) + 1))
        ax.imshow(cm, cmap="Blues")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, int(v), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(ticks)), ticks, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), ticks[:-1], fontsize=7)
        acc = scores["accuracy"]["value"]
        ax.set_title(f"{name}: gold accuracy {acc:.3f}" if acc is not None else f"{name}: no gold", fontsize=9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold label")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    png = buffer.getvalue()
    atomic.write_bytes(path, png)
    return png


def write_report(report: dict, path: Path) -> None:
    atomic.write_text(path, json.dumps(report, ensure_ascii=False, indent=1, sort_keys=False) + "\n")


def gate_blocks(report_path: Path, content_hash: str) -> str | None:
    """The gate message when the evaluation of exactly these splits was blocked, else None."""
    if not Path(report_path).exists():
        return None
    report = json.loads(Path(report_path).read_text())
    if report.get("content_hash") == content_hash and not report["gate"]["passed"]:
        return report["gate"]["message"]
    return None
