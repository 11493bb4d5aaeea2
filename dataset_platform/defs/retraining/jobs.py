"""Jobs of the retraining domain."""

import dagster as dg

from dataset_platform.defs.retraining.partitions import label_partitions

retraining_job = dg.define_asset_job(
    "retraining_job",
    selection=dg.AssetSelection.groups("retraining"),
    partitions_def=label_partitions,
    description="Pull, clean, split, check and publish the dataset of one label.",
)
