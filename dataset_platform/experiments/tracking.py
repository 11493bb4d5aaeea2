"""Weights & Biases: one run per experiment (model config), with its config, summary and per-record table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataset_platform.experiments.evaluators import RECORD_EVALUATOR_NAMES
from dataset_platform.experiments.runner import USAGE_FIELDS

TABLE_COLUMNS = ["id", *RECORD_EVALUATOR_NAMES, "error", *USAGE_FIELDS]


def log_config_result(
    wandb_resource: Any, config_result: Mapping[str, Any], run_info: Mapping[str, Any]
) -> dict[str, Any]:
    """Log one config's experiment as a W&B run; returns fields to keep with the result (run id, mode)."""
    import wandb

    config = {
        **{k: config_result[k] for k in ("model", "temperature", "thinking_budget", "name_suffix", "metadata")},
        "config_name": config_result["config_name"],
        "mode": config_result["mode"],
        **run_info,
    }
    tags = ["experiment", config_result["model"], config_result["status"]]
    with wandb_resource.run(
        name=config_result["experiment_name"], job_type="experiment", config=config, tags=tags
    ) as run:
        if config_result["status"] == "completed":
            summary = {
                k: v for k, v in config_result["summary"].items() if isinstance(v, (int, float)) and v is not None
            }
            run.log({f"summary/{k}": v for k, v in summary.items()})
            run.summary.update(summary)
            table = wandb.Table(columns=[*TABLE_COLUMNS])
            for record in config_result["records"]:
                table.add_data(*[record.get(c) for c in TABLE_COLUMNS])
            run.log({"per_record_scores": table})
        else:
            run.summary.update({"status": config_result["status"], "reason": config_result["reason"]})
        if config_result.get("experiment_url"):
            run.summary["datadog_experiment_url"] = config_result["experiment_url"]
        return {"wandb_run_id": run.id, "wandb_mode": wandb_resource.effective_mode()}
