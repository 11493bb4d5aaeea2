"""review_priorities: the grievance page's queue, unreviewed complaints ranked by how likely the production label
is wrong (cleanlab self-confidence of cross-validated reference-model probabilities), cached for the app."""

import dagster as dg
from pydantic import Field

from dataset_platform.resources.review_db import ReviewDatabase


class RankingConfig(dg.Config):
    max_candidates: int = Field(default=20_000, ge=1, description="newest unreviewed complaints ranked per build")
    folds: int = Field(default=5, ge=2, le=10, description="cross-validation folds of the out-of-fold probabilities")


@dg.asset(
    group_name="reviews",
    kinds={"scikit-learn"},
    code_version="review-priorities-v1",
    description="Unreviewed complaints ranked by P(production label wrong); the grievance page serves them in "
    "this order, interleaved with random complaints for blind gold labelling.",
)
def review_priorities(context: dg.AssetExecutionContext, config: RankingConfig, review_db: ReviewDatabase):
    from dataset_platform.retraining import review_queue

    stats = review_queue.build_ranking(review_db.get_engine(), max_candidates=config.max_candidates, folds=config.folds)
    context.log.info("ranked %d unreviewed complaints in %.1fs", stats.candidates, stats.seconds)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stats.candidates,
            "training_rows": stats.training_rows,
            "human_labels": stats.human_labels,
            "folds": stats.folds,
            "seconds": stats.seconds,
            "dagster/uri": dg.MetadataValue.path(str(review_queue.ranking_file())),
        }
    )
