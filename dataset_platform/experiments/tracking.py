"""Weights & Biases: one run per experiment (model config), with its config, summary and per-record table."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dataset_platform.experiments.evaluators import RECORD_EVALUATOR_NAMES
from dataset_platform.experiments.runner import USAGE_FIELDS

TABLE_COLUMNS = ["id", *RECORD_EVALUATOR_NAMES, "error", *USAGE_FIELDS]


def log_config_result(
    wandb_resource: Any,
    config_result: Mapping[str, Any],
    run_info: Mapping[str, Any],
    logger: logging.Logger | logging.LoggerAdapter,
) -> dict[str, Any]:
    """Log one config's experiment as a W&B run (``WandbResource.log_run``: a failure is a warning on ``logger``).

    Returns the fields kept with the config's result: ``wandb`` (the status) and, once logged, the run id and mode.
    """
    config = {
        **{k: config_result[k] for k in ("model", "temperature", "thinking_budget", "name_suffix", "metadata")},
        "config_name": config_result["config_name"],
        "mode": config_result["mode"],
        **run_info,
    }
    tags = ["experiment", config_result["model"], config_result["status"]]
    metrics: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    tables = {}
    if config_result["status"] == "completed":
        summary = {k: v for k, v in config_result["summary"].items() if isinstance(v, (int, float)) and v is not None}
        metrics = {f"summary/{k}": v for k, v in summary.items()}
        rows = [[record.get(c) for c in TABLE_COLUMNS] for record in config_result["records"]]
        tables = {"per_record_scores": (TABLE_COLUMNS, rows)}
    else:
        summary = {"status": config_result["status"], "reason": config_result["reason"]}
    if config_result.get("experiment_url"):
        summary["datadog_experiment_url"] = config_result["experiment_url"]
    outcome = wandb_resource.log_run(
        logger,
        config_result["experiment_name"],
        "experiment",
        config,
        tags,
        metrics=metrics,
        summary=summary,
        tables=tables,
    )
    kept: dict[str, Any] = {"wandb": outcome.status}
    if outcome.logged:
        kept.update(wandb_run_id=outcome.run_id, wandb_mode=outcome.mode)
    return kept
