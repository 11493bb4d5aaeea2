"""`experiment_results`: every configured model over the ground-truth dataset, scored and compared.

No `from __future__ import annotations` here: Dagster reads the config class from the real annotation.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from dataset_platform.experiments import config as cfg
from dataset_platform.resources.datadog import DatadogLLMObs
from dataset_platform.resources.models import ExtractionModels
from dataset_platform.resources.wandb import WandbResource


class ModelConfigSpec(dg.Config):
    model: str = Field(description="gemini-* model name (e.g. gemini-2.5-flash) or 'tesseract' (offline OCR)")
    temperature: float = Field(default=0.0, description="Sampling temperature, 0..2 (ignored by tesseract)")
    thinking_budget: int | None = Field(default=None, description="Gemini thinking tokens; null = model default")
    name_suffix: str | None = Field(default=None, description="Appended to the config name, to tell variants apart")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free-form, recorded with the results")


class ExperimentConfig(dg.Config):
    model_configs: list[ModelConfigSpec] = Field(
        default_factory=lambda: [ModelConfigSpec(**c) for c in cfg.DEFAULT_MODEL_CONFIGS],
        description="One experiment per model config",
    )
    sample_size: int | None = Field(default=None, description="Records to sample (seeded); null = all")
    jobs: int = Field(default=4, description="Concurrent extractions/evaluations")
    raise_errors: bool = Field(default=False, description="Fail the run on the first failed record or config")
    dataset_version: str | None = Field(
        default=None, description="Ground-truth version tag vYYYYMMDD_HHMMSS; null = latest"
    )
    project_name: str = Field(default=cfg.DEFAULT_PROJECT, description="Datadog LLMObs project")
    ml_app: str = Field(default=cfg.DEFAULT_ML_APP, description="Datadog LLMObs ml_app")
    seed: int = Field(default=cfg.DEFAULT_SEED, description="Seed of the record sample and the bootstrap")
    experiment_name: str = Field(default="vote-extraction", description="Prefix of each experiment's name")

    def to_plan(self) -> cfg.ExperimentPlan:
        """Validated plan; a clear ``dg.Failure`` listing every problem otherwise."""
        try:
            return cfg.validate_plan(self.model_dump())
        except cfg.ExperimentConfigError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None


def _metadata(result: dict[str, Any], run_path, plot_path, markdown: str) -> dict[str, Any]:
    from dataset_platform.experiments.summary import best_config, failures

    best = best_config(result["configs"])
    statuses = {c["config_name"]: c["status"] for c in result["configs"]}
    metadata: dict[str, Any] = {
        "dagster/row_count": result["num_records"],
        "ground_truth_version": result["dataset_version"],
        "comparison": dg.MetadataValue.md(markdown),
        "config_status": dg.MetadataValue.json(statuses),
        "wandb": dg.MetadataValue.json({c["config_name"]: c.get("wandb", "not logged") for c in result["configs"]}),
        "best_config": best["config_name"] if best else "none completed",
        "failures": len(failures(result["configs"])),
        "results_file": dg.MetadataValue.path(str(run_path / "results.json")),
        "plot": dg.MetadataValue.path(str(plot_path)),
        "dagster/uri": dg.MetadataValue.path(str(run_path)),
    }
    if best:
        metadata["best_overall_accuracy"] = dg.MetadataValue.float(float(best["summary"]["overall_accuracy"]))
    for c in result["configs"]:
        if c.get("experiment_url"):
            metadata[f"datadog/{c['config_name']}"] = dg.MetadataValue.url(c["experiment_url"])
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
    datadog: DatadogLLMObs,
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

    def log_to_wandb(config_result: dict[str, Any]) -> dict[str, Any]:
        context.log.info(
            f"{config_result['config_name']}: {config_result['status']}"
            + (f" ({config_result['reason']})" if config_result["reason"] else "")
        )
        return tracking.log_config_result(wandb, config_result, run_info, context.log)

    result = runner.run_experiment(
        plan,
        ground_truth,
        models=models,
        datadog=datadog if datadog.enabled else None,
        datadog_dataset_version=dd_version,
        run_id=context.run.run_id,
        on_config_done=log_to_wandb,
    )
    run_path = history.run_dir(result)
    plot_path, plot_md = plot.write_plot(result["configs"], run_path / "accuracy_vs_cost.png")
    history.append(result)
    markdown = report.render(result, history.read_history(), plot_md)
    return dg.MaterializeResult(metadata=_metadata(result, run_path, plot_path, markdown))
