"""The dg defs folder: one sub-folder per declared pipeline (defs.yaml, type dataset_platform.components.DatasetPipeline)."""
