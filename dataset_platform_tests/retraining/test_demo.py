"""Demo seeding: every retraining branch, a gold set, both labels pass the gate, PII masked (SQLite, Postgres)."""

from __future__ import annotations

from dataset_platform.common.labels import label_names
from dataset_platform.retraining import demo, pipeline, quality, schemas, splitting
from dataset_platform_tests.retraining.helpers import engine_for


def test_demo_seeds_every_branch_and_enough_data(db_url, platform_home):
    engine = engine_for(db_url)
    counts = demo.seed_complaints(engine, n=6000, seed=7)
    for case in (
        "unreviewed",
        "null_complaint_id",
        "outside_mapping",
        "prediction_equals_correction",
        "null_prediction",
        "duplicate_texts",
        "empty_after_cleaning",
        "repeated_reviews",
    ):
        assert counts[case] > 0, case
    for label in ("department", "urgency"):
        pull_stats = pipeline.run_pull(engine, label)
        report = pipeline.run_clean_split(label)
        assert report["num_samples"] >= 1000, (label, report)
        assert report["clean"]["dropped"]["label_not_in_mapping"] > 0 and report["clean"]["duplicates_removed"] > 0
        assert pull_stats.n_correct == pull_stats.n_misclassified // 2
        assert pull_stats.n_gold == counts["gold"] == 300 and sum(pull_stats.gold_held_out.values()) > 0
        assert 0 < pull_stats.n_confirmed <= pull_stats.n_correct  # confirmations fill the correct sample first
        assert {"phone", "email", "imei"} <= set(report["clean"]["pii_kinds"])  # masked by the default policy
        assert "credit_card" not in report["clean"]["pii_kinds"]
        assessment = pipeline.run_quality(label)
        assert assessment.decision.status == "ready", assessment.decision.reasons
        splits = splitting.read_splits(platform_home / "retraining" / label / "splits")
        names = label_names(label)
        result = quality.run_quality_checks(splits, label_names=names, schema=schemas.split_schema(names))
        assert quality.blocking_failures(result) == [] and result.finding("pii").passed
        for split in splitting.SPLITS:
            assert set(splits[split]["label"]) == set(range(len(names)))
    texts = " ".join(splits["train"]["grievance"])
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in texts)  # Thai
    assert " ma " in texts and "Complaint:" in texts  # Nepali-romanised, English
    assert "http" not in texts and "<" not in texts
    assert "[PHONE]" in texts and "९८४१२३४५६७" not in texts


def test_demo_is_reproducible_and_does_not_reseed_unless_asked(tmp_path):
    a = engine_for(f"sqlite:///{tmp_path / 'a.db'}")
    b = engine_for(f"sqlite:///{tmp_path / 'b.db'}")
    assert demo.seed_complaints(a, n=500, seed=3) == demo.seed_complaints(b, n=500, seed=3)
    assert "skipped" in demo.seed_complaints(a, n=500, seed=4, replace=False)
    import sqlalchemy as sa

    with a.connect() as ca, b.connect() as cb:
        q = sa.text("SELECT id, message, department, urgency FROM complaints ORDER BY id")
        assert ca.execute(q).all() == cb.execute(q).all()
