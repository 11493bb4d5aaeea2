"""Weights & Biases: one run per experiment (model config), with its config, summary and per-record table."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dataset_platform.experiments.evaluators import RECORD_EVALUATOR_NAMES
from dataset_platform.experiments.results import ConfigResult
from dataset_platform.experiments.runner import USAGE_FIELDS

if TYPE_CHECKING:
    from dataset_platform.resources.wandb import WandbResource

TABLE_COLUMNS = ["id", *RECORD_EVALUATOR_NAMES, "error", *USAGE_FIELDS]


def log_config_result(
    wandb_resource: WandbResource,
    result: ConfigResult,
    run_info: Mapping[str, Any],
    logger: logging.Logger | logging.LoggerAdapter,
) -> ConfigResult:
    """Log one config's experiment as a W&B run (``WandbResource.log_run``: a failure is a warning on ``logger``).

    Returns the result with its W&B status and, once logged, the run id and mode.
    """
    config = {**result.config.model_dump(), "config_name": result.config_name, "mode": result.mode, **run_info}
    tags = ["experiment", result.config.model, result.status]
    metrics: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    tables = {}
    if result.completed:
        summary = {k: v for k, v in result.summary.items() if isinstance(v, (int, float)) and v is not None}
        metrics = {f"summary/{k}": v for k, v in summary.items()}
        rows = [[record.get(c) for c in TABLE_COLUMNS] for record in result.records]
        tables = {"per_record_scores": (TABLE_COLUMNS, rows)}
    else:
        summary = {"status": result.status, "reason": result.reason}
    if result.experiment_url:
        summary["datadog_experiment_url"] = result.experiment_url
    outcome = wandb_resource.log_run(
        logger, result.experiment_name, "experiment", config, tags, metrics=metrics, summary=summary, tables=tables
    )
    if not outcome.logged:
        return result.with_changes(wandb=outcome.status)
    return result.with_changes(wandb=outcome.status, wandb_run_id=outcome.run_id, wandb_mode=outcome.mode)
