"""Declared pipelines (DatasetPipeline component), chat formats, convert CLI."""
