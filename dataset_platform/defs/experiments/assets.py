"""`experiment_results`: every configured model over the ground-truth dataset, scored and compared.

No `from __future__ import annotations` here: Dagster reads the config class from the real annotation.
"""

from typing import TYPE_CHECKING, Any

import dagster as dg

from dataset_platform.defs.run_config import ExperimentConfig
from dataset_platform.resources.datadog import LLMObsResource
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.wandb import WandbResource

if TYPE_CHECKING:  # the experiments package is imported inside the asset (cheap definitions load)
    from dataset_platform.experiments.results import ConfigResult, ExperimentRun


def _metadata(run: "ExperimentRun", run_path, plot_path, markdown: str) -> dict[str, Any]:
    from dataset_platform.experiments.summary import best_config, failures

    best = best_config(run.configs)
    metadata: dict[str, Any] = {
        "dagster/row_count": run.num_records,
        "ground_truth_version": run.dataset_version,
        "comparison": dg.MetadataValue.md(markdown),
        "config_status": dg.MetadataValue.json({c.config_name: c.status for c in run.configs}),
        "wandb": dg.MetadataValue.json({c.config_name: c.wandb or "not logged" for c in run.configs}),
        "best_config": best.config_name if best else "none completed",
        "failures": len(failures(run.configs)),
        "results_file": dg.MetadataValue.path(str(run_path / "results.json")),
        "plot": dg.MetadataValue.path(str(plot_path)),
        "dagster/uri": dg.MetadataValue.path(str(run_path)),
    }
    if best:
        metadata["best_overall_accuracy"] = dg.MetadataValue.float(float(best.summary["overall_accuracy"]))
    for c in run.configs:
        if c.experiment_url:
            metadata[f"datadog/{c.config_name}"] = dg.MetadataValue.url(c.experiment_url)
    return metadata


@dg.asset(
    group_name="forms",
    deps=["datadog_dataset"],
    pool="gemini",
    code_version="1",
    kinds={"python", "datadog", "wandb"},
    description=(
        "One experiment per model config over the ground-truth dataset: per-record outputs and evaluations, "
        "summary metrics with bootstrap CIs, a comparison table and an accuracy-vs-cost plot. Runs in Datadog "
        "LLMObs when DD keys are set, else locally; logged to W&B; history kept under experiments/."
    ),
)
def experiment_results(
    context: dg.AssetExecutionContext,
    config: ExperimentConfig,
    models: ExtractionModels,
    datadog: LLMObsResource,
    wandb: WandbResource,
) -> dg.MaterializeResult:
    from dataset_platform.experiments import history, plot, report, runner, tracking
    from dataset_platform.forms.datadog_export import dataset_version_for
    from dataset_platform.forms.ground_truth import load_ground_truth

    plan = config.to_plan()
    try:
        ground_truth = load_ground_truth(plan.dataset_version)
    except FileNotFoundError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    dd_version = dataset_version_for(ground_truth[0], "datadog") if datadog.enabled else None
    if datadog.enabled and plan.dataset_version is not None and dd_version is None:
        raise dg.Failure(
            description=f"ground truth {plan.dataset_version} was never pushed to Datadog; materialise datadog_dataset",
            allow_retries=False,
        )
    run_info = {
        "dagster_run_id": context.run.run_id,
        "ground_truth_version": ground_truth[0],
        "sample_size": plan.sample_size,
        "seed": plan.seed,
    }

    def log_to_wandb(config_result: "ConfigResult") -> "ConfigResult":
        reason = f" ({config_result.reason})" if config_result.reason else ""
        context.log.info(f"{config_result.config_name}: {config_result.status}{reason}")
        return tracking.log_config_result(wandb, config_result, run_info, context.log)

    result = runner.run_experiment(
        plan,
        ground_truth,
        models=models,
        datadog=datadog,
        datadog_dataset_version=dd_version,
        run_id=context.run.run_id,
        on_config_done=log_to_wandb,
    )
    run_path = history.run_dir(result)
    plot_path, plot_md = plot.write_plot(result.configs, run_path / "accuracy_vs_cost.png")
    history.append(result)
    markdown = report.render(result, history.read_history(), plot_md)
    return dg.MaterializeResult(metadata=_metadata(result, run_path, plot_path, markdown))
