"""The code location: every asset, check, job, schedule and sensor of both tracks, and their resources.

Importing this module must stay cheap (the webserver and daemon reload it): heavy SDKs are imported
inside the functions that use them.
"""

import dagster as dg

from dataset_platform.defs import experiments, forms, platform, retraining, reviews
from dataset_platform.defs.resources import build_resources

defs = dg.Definitions.merge(
    forms.defs,
    experiments.defs,
    retraining.defs,
    reviews.defs,
    platform.defs,
    dg.Definitions(resources=build_resources()),
)
