"""Dagster definitions of the forms domain: assets, checks; when they run in automation.py."""

import dagster as dg

from dataset_platform.defs.forms.assets import ground_truth_dataset, llm_extractions, raw_form_images
from dataset_platform.defs.forms.automation import new_form_sets_sensor
from dataset_platform.defs.forms.checks import consistency_checks

defs = dg.Definitions(
    assets=[raw_form_images, llm_extractions, ground_truth_dataset],
    asset_checks=consistency_checks,
    sensors=[new_form_sets_sensor],
)
