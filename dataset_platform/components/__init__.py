"""Dagster components of the platform: ``dataset_platform.components.DatasetPipeline`` (declared pipelines)."""

from dataset_platform.components.dataset_pipeline import DatasetPipeline

__all__ = ["DatasetPipeline"]
