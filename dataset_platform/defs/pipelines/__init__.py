"""The dg defs folder: one sub-folder per declared pipeline (a defs.yaml of type
dataset_platform.components.DatasetPipeline)."""
