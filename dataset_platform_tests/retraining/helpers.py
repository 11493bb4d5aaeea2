"""Small hand-made review databases for the retraining tests (one row per semantic case)."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from dataset_platform.common import db

D = [
    "Municipal Governance & Community Services",
    "Education, Health & Social Welfare",
    "Infrastructure, Utilities & Natural Resources",
    "Security & Law Enforcement",
]
U = ["NORMAL", "URGENT", "HIGHLY URGENT"]
T0 = dt.datetime(2026, 3, 1, 9, 0)


def engine_for(url: str) -> sa.Engine:
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    return engine


def insert(engine: sa.Engine, complaints: list[dict], reviews: list[dict], shuffle_seed: int | None = None) -> None:
    complaints, reviews = list(complaints), list(reviews)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(complaints)
        random.Random(shuffle_seed + 1).shuffle(reviews)
    with engine.begin() as conn:
        if complaints:
            conn.execute(sa.insert(db.complaints), complaints)
        if reviews:
            conn.execute(sa.insert(db.misclassified_complaints), reviews)


def complaint(cid: int, message: str | None = None, department: str | None = D[0], urgency: str | None = U[0]) -> dict:
    return {
        "id": cid,
        "message": message or f"complaint number {cid} about the road",
        "department": department,
        "urgency": urgency,
        "created_at": T0,
    }


def review(
    rid: int, cid: int | None, pred_d=None, corr_d=None, pred_u=None, corr_u=None, reviewed=True, minutes=0
) -> dict:
    return {
        "id": rid,
        "complaint_id": cid,
        "model_predicted_department": pred_d,
        "correct_department": corr_d,
        "model_predicted_urgency": pred_u,
        "correct_urgency": corr_u,
        "reviewed": reviewed,
        "reviewed_at": T0 + dt.timedelta(minutes=minutes) if reviewed else None,
    }


def semantic_case() -> tuple[list[dict], list[dict]]:
    """Complaints 1-10 reviewed in every way; 100-199 never reviewed (the correct pool for department)."""
    complaints = [complaint(i, f"reviewed complaint {i} <b>text</b>") for i in range(1, 11)]
    complaints += [
        complaint(i, f"pool complaint {i} https://example.org/{i}", department=D[i % 4]) for i in range(100, 200)
    ]
    complaints[-1]["department"] = None  # id 199: no prediction → not in the department pool
    reviews = [
        review(1, 1, D[0], D[1]),  # misclassified for department
        review(2, 2, D[0], D[2], U[0], U[1]),  # misclassified for both labels
        review(3, 3, D[0], D[0]),  # prediction == correction: not misclassified, and not in the pool
        review(4, 4, D[0], D[3], reviewed=False),  # unreviewed
        review(5, 5, D[0], None, U[0], U[2]),  # department not reviewed (NULL correction)
        review(6, None, D[0], D[1], U[0], U[1]),  # NULL complaint_id: joins to nothing, must not empty the pool
        review(7, 7, None, D[3]),  # no prediction, corrected: NULL is distinct from a value
        review(8, 8, D[0], "Transportation & Traffic"),  # correction outside the mapping
        review(9, 9, D[0], D[2]),
        review(10, 10, D[0], D[1]),
    ]
    return complaints, reviews
