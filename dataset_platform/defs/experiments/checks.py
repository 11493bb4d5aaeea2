"""Regression alert on `experiment_results` (WARN): the reference config must not fall below last run's CI."""

import dagster as dg

from dataset_platform.defs.experiments.assets import experiment_results


@dg.asset_check(
    asset=experiment_results,
    name="accuracy_not_regressed",
    description=(
        "The run's reference config (the first listed config that completed, normally the default model) keeps "
        "its overall_accuracy at or above the previous run's 95% CI lower bound for the same config."
    ),
)
def accuracy_not_regressed(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from dataset_platform.experiments import history, summary

    entry = history.find_run(context.run.run_id)
    if not entry:  # this run stored none: the latest stored run
        stored = history.read_history()
        entry = stored[-1] if stored else None
    if entry is None:
        return dg.AssetCheckResult(passed=True, metadata={"reason": "no experiment stored yet"})
    reference = summary.primary_config(entry.configs)
    if reference is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="no config completed in this run",
            metadata={"run_at": entry.run_at},
        )
    previous = history.previous_config_result(reference.config_name, entry)
    verdict = summary.regression(reference, previous)
    return dg.AssetCheckResult(
        passed=not verdict.regressed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{reference.config_name}: overall accuracy {verdict.overall_accuracy:.3f} below the previous "
            f"run's CI lower bound {verdict.previous_ci_low:.3f}"
            if verdict.regressed
            else None
        ),
        metadata={"config": reference.config_name, **verdict.metadata()},
    )
