"""`dataset-platform demo-data`: demo form sets with their ground truth, and a seeded review database.

A third of the form sets also get a human review (their true content), so the ground truth mixes
`human-reviewed` and `llm-generated` records as it would in production.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from dataset_platform.common import db, settings

log = logging.getLogger(__name__)

DEMO_REVIEWER = "demo-reviewer"


def seed_extraction_reviews(engine: sa.Engine, truths: list[tuple[str, dict]], every: int = 3) -> int:
    """Insert a review for every ``every``-th form set that has none from the demo reviewer yet."""
    table = db.extraction_reviews
    with engine.begin() as conn:
        done = set(conn.execute(sa.select(table.c.form_set_id).where(table.c.reviewer == DEMO_REVIEWER)).scalars())
        rows = [
            {
                "form_set_id": form_set_id,
                "corrected_extraction": extraction,
                "reviewer": DEMO_REVIEWER,
                "reviewed_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            }
            for i, (form_set_id, extraction) in enumerate(truths)
            if i % every == 0 and form_set_id not in done
        ]
        if rows:
            conn.execute(sa.insert(table), rows)
    return len(rows)


def create_demo_data(form_sets: int = 12, complaints: int = 6000, seed: int = 7, printed: bool = False) -> dict:
    from dataset_platform.forms.demo import render_demo_form_sets
    from dataset_platform.retraining.demo import seed_complaints

    rendered = render_demo_form_sets(settings.form_sets_dir(), form_sets, seed, printed=printed)
    engine = db.make_engine(settings.database_url())
    db.ensure_schema(engine)
    complaint_counts = seed_complaints(engine, complaints, seed)
    reviews = seed_extraction_reviews(engine, [(i, e.model_dump(mode="json")) for i, e in rendered])
    summary = {
        "home": str(settings.platform_home()),
        "form_sets": len(rendered),
        "extraction_reviews_added": reviews,
        "complaints": complaint_counts,
        "review_database": db.safe_url(engine),
    }
    print(
        f"demo data ready under {summary['home']}: {len(rendered)} form sets, "
        f"{reviews} extraction reviews added, complaints {complaint_counts}, database {summary['review_database']}"
    )
    return summary
