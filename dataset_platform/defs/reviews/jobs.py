"""Jobs started by review activity. Assets are named by key: they are defined in the forms domain."""

import dagster as dg

ground_truth_refresh_job = dg.define_asset_job(
    "ground_truth_refresh_job",
    selection=dg.AssetSelection.assets("ground_truth_dataset", "datadog_dataset"),
    description="Rebuild the ground-truth dataset and its Datadog export after new extraction reviews.",
)
