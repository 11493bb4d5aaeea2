"""Review by need: unreviewed complaints ranked by how likely the production label is wrong.

Confident learning (cleanlab): out-of-fold predicted probabilities of the reference recipe (TF-IDF char_wb
2–5-grams + logistic regression), trained on every labelled complaint — human labels where a reviewer gave
one, the production label elsewhere — then cleanlab's ``self_confidence`` label-quality score of the
production label. P(production wrong) = 1 − Π over labels of that score; the queue is sorted by it, highest
first. Gold complaints are left out (they are labelled blind, never reviewed against the prediction).

The ranking costs a few cross-validated fits, so it is computed by the ``review_priorities`` asset and cached
in one parquet file; the review app reads the file (memoised by mtime) and checks each candidate against the
database before serving it, so a stale ranking never serves a complaint twice.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dataset_platform.common import atomic, db, settings
from dataset_platform.common.labels import LABEL_MAPPINGS, LABELS
from dataset_platform.retraining.cleaning import clean_text
from dataset_platform.retraining.evaluation import SEED, single_threaded_blas

FOLDS = 5
MAX_CANDIDATES = 20_000  # the newest unreviewed complaints ranked per build; older ones follow in id order
GOLD_EVERY = 4  # every 4th complaint the grievance page serves is a random one for blind gold labelling


def queue_dir() -> Path:
    return settings.platform_home() / "review_queue"


def ranking_file() -> Path:
    return queue_dir() / "ranking.parquet"


@dataclass
class RankingStats:
    candidates: int
    training_rows: int
    human_labels: int
    folds: int
    built_at: str
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def _labelled_complaints(engine: sa.Engine, max_candidates: int) -> pd.DataFrame:
    """id, message, production label per LABEL, human label per LABEL (latest review), reviewed flag."""
    c, m, g = db.complaints, db.misclassified_complaints, db.gold_labels
    with engine.connect() as conn:
        complaints = pd.DataFrame(
            conn.execute(
                sa.select(c.c.id, c.c.message, *(c.c[x] for x in LABELS)).where(
                    c.c.id.not_in(sa.select(g.c.complaint_id))
                )
            ).all(),
            columns=["id", "message", *LABELS],
        )
        reviews = pd.DataFrame(
            conn.execute(
                sa.select(m.c.complaint_id, *(m.c[f"correct_{x}"] for x in LABELS))
                .where(m.c.reviewed.is_(True), m.c.complaint_id.is_not(None))
                .order_by(m.c.reviewed_at, m.c.id)
            ).all(),
            columns=["id", *(f"correct_{x}" for x in LABELS)],
        )
    latest = reviews.drop_duplicates("id", keep="last").set_index("id")
    complaints["reviewed"] = complaints["id"].isin(latest.index)
    for x in LABELS:
        complaints[f"human_{x}"] = complaints["id"].map(latest[f"correct_{x}"]) if len(latest) else None
    unreviewed = complaints.index[~complaints["reviewed"]]
    # Rank the newest candidates; the reviewed rows all stay in training (their labels are the best we have).
    drop = unreviewed[:-max_candidates] if len(unreviewed) > max_candidates else unreviewed[:0]
    return complaints.drop(index=drop).reset_index(drop=True)


def out_of_fold_quality(features, labels: np.ndarray, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """cleanlab self-confidence of ``labels`` from out-of-fold probabilities (rows with label −1 score NaN)."""
    from cleanlab.rank import get_label_quality_scores
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    known = labels >= 0
    quality = np.full(len(labels), np.nan)
    classes, y = np.unique(labels[known], return_inverse=True)
    if len(classes) < 2:
        return quality
    k = int(min(folds, np.bincount(y).max()))
    if k < 2:
        return quality
    import warnings

    with warnings.catch_warnings(), single_threaded_blas():  # a class smaller than the fold count only warns
        warnings.simplefilter("ignore", UserWarning)
        probs = cross_val_predict(
            LogisticRegression(max_iter=2000, C=10.0, random_state=seed),
            features[known],
            y,
            cv=StratifiedKFold(n_splits=k, shuffle=True, random_state=seed),
            method="predict_proba",
        )
    quality[known] = get_label_quality_scores(y, probs, method="self_confidence")
    return quality


def rank(frame: pd.DataFrame, folds: int = FOLDS, seed: int = SEED) -> pd.DataFrame:
    """frame: id, message, production label per LABEL, human_<label>, reviewed → ranking of the unreviewed rows.

    Columns: complaint_id, p_wrong, quality_<label>; sorted by p_wrong descending, then id.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [clean_text(t or "") for t in frame["message"]]
    # Unsupervised features fitted once on every text (no labels involved), shared by both labels' folds.
    features = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=300_000, dtype=np.float32
    ).fit_transform(texts)
    unreviewed = ~frame["reviewed"].to_numpy()
    out = pd.DataFrame({"complaint_id": frame["id"].to_numpy()[unreviewed].astype(np.int64)})
    p_right = np.ones(int(unreviewed.sum()))
    for x in LABELS:
        mapping = LABEL_MAPPINGS[x]
        production = frame[x].map(mapping)
        human = frame[f"human_{x}"].map(mapping) if f"human_{x}" in frame else pd.Series(np.nan, index=frame.index)
        target = human.where(human.notna(), production).where(~frame["reviewed"] | human.notna(), np.nan)
        quality = out_of_fold_quality(features, target.fillna(-1).to_numpy(dtype=np.int64), folds, seed)
        q = quality[unreviewed]
        out[f"quality_{x}"] = q
        p_right *= np.where(np.isnan(q), 1.0, q)  # no production label for x: it cannot be wrong
    out["p_wrong"] = 1.0 - p_right
    out = out.sort_values(["p_wrong", "complaint_id"], ascending=[False, True], kind="mergesort")
    return out.reset_index(drop=True)


def build_ranking(engine: sa.Engine, max_candidates: int = MAX_CANDIDATES, folds: int = FOLDS) -> RankingStats:
    """Rank the unreviewed complaints and replace the cached ranking file atomically."""
    import io
    import time

    started = time.perf_counter()
    frame = _labelled_complaints(engine, max_candidates)
    ranking = rank(frame, folds) if len(frame) else pd.DataFrame(columns=["complaint_id", "p_wrong"])
    buffer = io.BytesIO()
    ranking.to_parquet(buffer, index=False)
    atomic.write_bytes(ranking_file(), buffer.getvalue())
    stats = RankingStats(
        candidates=int(len(ranking)),
        training_rows=int(len(frame)),
        human_labels=int(frame["reviewed"].sum()) if len(frame) else 0,
        folds=folds,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 2),
    )
    atomic.write_text(queue_dir() / "ranking.json", json.dumps(stats.to_dict(), indent=1))
    return stats


_CACHE: dict[str, tuple[float, np.ndarray]] = {}


def ranked_ids(path: Path | None = None) -> np.ndarray | None:
    """The cached ranking's complaint ids in order (None when no ranking was built); re-read only when it changes."""
    path = Path(path or ranking_file())
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _CACHE.get(str(path))
    if cached is None or cached[0] != mtime:
        ids = pd.read_parquet(path, columns=["complaint_id"])["complaint_id"].to_numpy(dtype=np.int64)
        _CACHE[str(path)] = cached = (mtime, ids)
    return cached[1]


def next_ranked(engine: sa.Engine, exclude: Sequence[int] = (), batch: int = 200) -> int | None:
    """The best-ranked complaint still unreviewed, not in gold and not excluded; None when the ranking is spent."""
    ids = ranked_ids()
    if ids is None:
        return None
    c, m, g = db.complaints, db.misclassified_complaints, db.gold_labels
    skip = {int(i) for i in exclude}
    for start in range(0, len(ids), batch):
        chunk = [int(i) for i in ids[start : start + batch] if int(i) not in skip]
        if not chunk:
            continue
        reviewed = sa.select(m.c.complaint_id).where(m.c.reviewed.is_(True), m.c.complaint_id.in_(chunk))
        with engine.connect() as conn:
            open_ids = set(
                conn.execute(
                    sa.select(c.c.id).where(
                        c.c.id.in_(chunk), c.c.id.not_in(reviewed), c.c.id.not_in(sa.select(g.c.complaint_id))
                    )
                ).scalars()
            )
        for cid in chunk:
            if cid in open_ids:
                return cid
    return None


def next_gold(engine: sa.Engine, rng: random.Random, exclude: Sequence[int] = (), tries: int = 64) -> int | None:
    """A complaint drawn uniformly at random from those not yet in gold (reviewed or not: gold must be random).

    Rejection sampling over the id range is exactly uniform over existing ids and costs one index lookup per
    try; after ``tries`` misses (sparse ids, or gold nearly complete) one scan finds any remaining complaint.
    """
    c, g = db.complaints, db.gold_labels
    skip = {int(i) for i in exclude}
    not_gold = c.c.id.not_in(sa.select(g.c.complaint_id))
    with engine.connect() as conn:
        low, high = conn.execute(sa.select(sa.func.min(c.c.id), sa.func.max(c.c.id))).one()
        if low is None:
            return None
        for _ in range(tries):
            cid = rng.randint(int(low), int(high))
            if cid in skip:
                continue
            if conn.execute(sa.select(c.c.id).where(c.c.id == cid, not_gold)).first() is not None:
                return cid
        remaining = (
            conn.execute(
                sa.select(c.c.id).where(not_gold, c.c.id.not_in(list(skip)) if skip else sa.true()).limit(1000)
            )
            .scalars()
            .all()
        )
    return rng.choice(remaining) if remaining else None


def errors_found(ranked: Sequence[int], is_error: dict[int, bool] | pd.Series, budget: int) -> int:
    """How many of the first ``budget`` complaints of an order are production errors."""
    return int(sum(bool(is_error[int(i)]) for i in list(ranked)[:budget]))
