"""Review by need: the cleanlab-ranked queue finds more production errors than random order on the simulation;
ranking cache, next ranked / gold candidates, and the review_priorities asset (SQLite and Postgres)."""

from __future__ import annotations

import random

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

from dataset_platform.defs.reviews.assets import review_priorities
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.retraining import review_queue, simulation
from dataset_platform.review_app import store
from dataset_platform_tests.retraining.helpers import engine_for


@pytest.fixture
def world_db(db_url):
    world = simulation.simulate(n=1200, seed=21, weeks=4, reviewed_weeks=3, gold_n=150, base_n=0)
    engine = engine_for(db_url)
    simulation.seed_database(engine, world)
    return world, engine, db_url


def test_ranked_queue_finds_more_errors_than_random(world_db):
    world, engine, url = world_db
    result = dg.materialize(
        [review_priorities],
        resources={"review_db": ReviewDatabase(url=url)},
        run_config={"ops": {"review_priorities": {"config": {"folds": 3}}}},
    )
    assert result.success
    ranked = review_queue.ranked_ids()
    gold = set(world.gold["complaint_id"])
    reviewed = set(world.reviews["complaint_id"])
    expected = world.complaints[~world.complaints["id"].isin(gold | reviewed)]["id"]  # week 4, and unconfirmed correct
    assert sorted(ranked) == sorted(expected) and not (set(ranked) & (gold | reviewed))
    errors = pd.Series(simulation.production_error_mask(world, ranked), index=ranked)
    budget = 50
    found = review_queue.errors_found(ranked, errors, budget)
    random_order = list(ranked)
    random.Random(0).shuffle(random_order)
    found_random = review_queue.errors_found(random_order, errors, budget)
    # Under "ranking is no better than random" the top 50 is a hypergeometric draw from the candidates.
    p_value = hypergeom.sf(found - 1, len(ranked), int(errors.sum()), budget)
    assert p_value < 1e-6, (found, found_random, int(errors.sum()), len(ranked))
    assert found >= 2 * budget * errors.mean()  # margin: at least twice the errors random order finds on average
    assert found > found_random


def test_next_ranked_skips_reviewed_gold_and_excluded(world_db, platform_home):
    world, engine, _ = world_db
    review_queue.queue_dir().mkdir(parents=True, exist_ok=True)
    reviewed_id = int(world.reviews["complaint_id"].iloc[0])
    gold_id = int(world.gold["complaint_id"].iloc[0])
    taken = set(world.reviews["complaint_id"]) | set(world.gold["complaint_id"])
    fresh = [int(i) for i in world.complaints["id"] if i not in taken]
    order = [reviewed_id, gold_id, fresh[0], fresh[1], fresh[2]]
    pd.DataFrame({"complaint_id": order, "p_wrong": np.linspace(0.9, 0.1, 5)}).to_parquet(review_queue.ranking_file())
    assert review_queue.next_ranked(engine) == fresh[0]
    assert review_queue.next_ranked(engine, exclude=[fresh[0]]) == fresh[1]
    store.save_grievance_review(engine, fresh[1], "Security & Law Enforcement", "URGENT", "tester")
    assert review_queue.next_ranked(engine, exclude=[fresh[0]]) == fresh[2]
    assert review_queue.next_ranked(engine, exclude=fresh[:3]) is None


def test_next_gold_is_uniform_and_never_repeats_a_gold_complaint(world_db):
    world, engine, _ = world_db
    rng = random.Random(1)
    draws = [review_queue.next_gold(engine, rng) for _ in range(300)]
    gold = set(world.gold["complaint_id"])
    assert not (set(draws) & gold) and all(d is not None for d in draws)
    # Uniform over ids: the draws' mean id is close to the mean of the non-gold ids (not error-driven, not oldest).
    ids = world.complaints.loc[~world.complaints["id"].isin(gold), "id"]
    assert abs(np.mean(draws) - ids.mean()) < 4 * ids.std() / np.sqrt(len(draws))


def test_no_ranking_file_means_no_ranked_candidate(platform_home, db_url):
    assert review_queue.ranked_ids() is None
    assert review_queue.next_ranked(engine_for(db_url)) is None
