"""Jobs of the retraining domain."""

import dagster as dg

retraining_job = dg.define_asset_job(
    "retraining_job",
    selection=dg.AssetSelection.groups("retraining"),
    description="Pull, clean, split, check and publish the dataset of one label.",
)
