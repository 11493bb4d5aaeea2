"""classifier_evaluation: a reference classifier per candidate version, scored on gold; its blocking gate.

The gate's check reads the report the asset wrote; a failure stops published_versions in the same run
(published_versions depends on classifier_evaluation).
"""

import json
import warnings

import dagster as dg

from dataset_platform.common import markdown
from dataset_platform.defs.retraining.assets import GROUP, WANDB_TAGS, cleaned_splits
from dataset_platform.defs.retraining.checks import label_gate
from dataset_platform.defs.retraining.partitions import label_partitions
from dataset_platform.resources.hub import DatasetHub
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.resources.wandb import WandbResource
from dataset_platform.retraining import paths

warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)

EVALUATION_CODE_VERSION = "evaluation-v1"


def _fmt(interval: dict) -> str:
    if interval["value"] is None:
        return "—"
    if interval["ci_low"] is None:
        return f"{interval['value']:.3f}"
    return f"{interval['value']:.3f} [{interval['ci_low']:.3f}, {interval['ci_high']:.3f}]"


def metrics_markdown(report: dict) -> str:
    scores = [
        [split, model, s["n"], _fmt(s["accuracy"]), _fmt(s["macro_f1"])]
        for split in ("gold", "test")
        for model, s in report[split].items()
    ]
    first = next(iter(report["gold"].values()))
    recall = [[name, *(_fmt(s["recall"][name]) for s in report["gold"].values())] for name in first["recall"]]
    return (
        markdown.table(["set", "model", "n", "accuracy (95% CI)", "macro-F1 (95% CI)"], scores)
        + "\n\n"
        + markdown.table(["gold recall", *report["gold"]], recall)
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=label_partitions,
    code_version=EVALUATION_CODE_VERSION,
    kinds={"scikit-learn"},
    deps=[cleaned_splits],
    description="Reference classifier (TF-IDF char n-grams + logistic regression) trained on the candidate "
    "version, scored on gold and test against the production model and the published version's model.",
)
def classifier_evaluation(
    context: dg.AssetExecutionContext, review_db: ReviewDatabase, hub: DatasetHub, wandb: WandbResource
) -> dg.MaterializeResult:
    from dataset_platform.retraining import evaluation
    from dataset_platform.retraining.splitting import read_splits

    label = context.partition_key
    if not paths.split_report_file(label).exists():
        raise dg.Failure(description=f"no splits for {label}: materialize cleaned_splits first")
    content_hash = json.loads(paths.split_report_file(label).read_text())["content_hash"]
    splits = read_splits(paths.splits_dir(label))
    engine = review_db.get_engine()
    gold, gold_dropped = evaluation.load_gold(engine, label)
    test_production = evaluation.production_predictions(engine, label, splits["test"]["complaint_id"])

    published, cache_hit = None, None
    latest = hub.latest_metadata(label)
    if latest:
        tag = latest["version_tag"]
        entry, cache_hit = evaluation.cached_reference(
            paths.evaluation_cache_dir(label),
            latest["content_hash"],
            lambda: read_splits(hub.version_dir(label, tag))["train"],
            gold,
        )
        published = {"tag": tag, "content_hash": latest["content_hash"], **entry}
    try:
        report = evaluation.evaluate(label, splits, gold, test_production, published)
    except ValueError as exc:  # e.g. one class only: no model can be trained, so nothing can be judged
        raise dg.Failure(description=f"{label}: reference model not trained: {exc}", allow_retries=False) from None
    report.update(content_hash=content_hash, gold_dropped=gold_dropped, published_model_cache_hit=cache_hit)
    png = evaluation.confusion_png(report, paths.quality_dir(label) / "confusion_matrix.png")
    evaluation.write_report(report, paths.evaluation_file(label))

    gate = report["gate"]
    summary = {
        f"gold_accuracy/{label}/{model}": s["accuracy"]["value"] for model, s in report["gold"].items() if s["n"]
    } | {f"gold_macro_f1/{label}/{model}": s["macro_f1"]["value"] for model, s in report["gold"].items() if s["n"]}
    scores = {**summary, f"gate_passed/{label}": int(gate["passed"])}
    wb = wandb.log_run(
        context.log,
        f"evaluate-{label}",
        "evaluation",
        {
            "label": label,
            "model": evaluation.MODEL_VERSION,
            "published": report["published_version"],
            "content_hash": content_hash,
        },
        WANDB_TAGS,
        metrics=scores,
        summary=scores,
        images={f"confusion/{label}": paths.quality_dir(label) / "confusion_matrix.png"},
    )
    context.log.info("%s: %s", label, gate["message"])
    gold_scores = report["gold"]
    return dg.MaterializeResult(
        metadata={
            "gold_rows": report["gold_rows"],
            "train_rows": report["train_rows"],
            "candidate_gold_accuracy": dg.MetadataValue.float(gold_scores["candidate"]["accuracy"]["value"] or 0.0),
            "production_gold_accuracy": dg.MetadataValue.float(gold_scores["production"]["accuracy"]["value"] or 0.0),
            "published_version": report["published_version"] or "nothing published",
            "gate": gate["message"],
            "metrics": dg.MetadataValue.md(metrics_markdown(report)),
            "confusion_matrix": dg.MetadataValue.md(markdown.png_image(png, "confusion on gold")),
            "report": dg.MetadataValue.path(str(paths.evaluation_file(label))),
            "wandb": wb.status,
        }
    )


@label_gate(
    classifier_evaluation,
    "not_worse_on_gold",
    "The candidate's reference model is not worse on gold than the published one's (or the "
    "production model's when nothing is published), beyond the paired bootstrap 95% CI.",
)
def not_worse_on_gold(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    report = json.loads(paths.evaluation_file(context.partition_key).read_text())
    gate = report["gate"]
    return dg.AssetCheckResult(
        passed=gate["passed"],
        severity=dg.AssetCheckSeverity.ERROR,
        description=gate["message"],
        metadata={
            "baseline": gate["baseline"],
            "judged": gate["judged"],
            "candidate_accuracy": gate["candidate_accuracy"],
            "baseline_accuracy": gate["baseline_accuracy"],
            "difference": dg.MetadataValue.json(gate["difference"]),
            "gold_rows": report["gold_rows"],
        },
    )


evaluation_checks = [not_worse_on_gold]
