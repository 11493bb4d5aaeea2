"""The code location: every asset, check, job, schedule and sensor of both tracks, the declared pipelines, and
their resources.

The per-domain definitions are wired by hand (``dataset_platform/defs/<domain>``, whose ``automation.py`` says
when each of its assets runs and what decides whether it publishes); the declared pipelines are
Dagster components found by ``dg.load_from_defs_folder`` in the project's defs folder
(``[tool.dg.project] defs_module`` = ``dataset_platform.defs.pipelines``, one ``<name>/defs.yaml`` each).

Importing this module must stay cheap (the webserver and daemon reload it): heavy SDKs are imported
inside the functions that use them.
"""

import warnings
from pathlib import Path

import dagster as dg

from dataset_platform.defs import experiments, forms, platform, retraining, reviews
from dataset_platform.defs.resources import build_resources

# Dagster's own check definitions pass this beta parameter when the repository is resolved; the warning names
# no code of ours and would print on every run, so it is silenced here, once.
warnings.filterwarnings("ignore", message="Parameter `execution_type`", category=dg.BetaWarning)

defs = dg.Definitions.merge(
    forms.defs,
    experiments.defs,
    retraining.defs,
    reviews.defs,
    platform.defs,
    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
    dg.Definitions(resources=build_resources()),
)
