"""Inputs for the shipped pipelines' tests: a reviewed ground-truth version, published grievance versions, runs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

from dataset_platform.common import settings
from dataset_platform.forms import ground_truth
from dataset_platform_tests.forms.helpers import make_form_set, sample_extraction


def write_reviewed_ground_truth(n: int = 6) -> str:
    """n form sets with page images; every second one human-reviewed, the others model-extracted."""
    forms = settings.form_sets_dir()
    ids = [f"station_{i:02d}" for i in range(n)]
    for i, fid in enumerate(ids):
        make_form_set(forms, fid, pages=1 + i % 2, seed=i)
    extractions = {
        fid: {"model": "offline", "extraction": sample_extraction(good_ballots=300 + i)} for i, fid in enumerate(ids)
    }
    reviews = {
        fid: {
            "id": i,
            "corrected_extraction": sample_extraction(good_ballots=380 + i),
            "reviewer": "alice",
            "reviewed_at": "2026-03-01T10:00:00",
        }
        for i, fid in enumerate(ids)
        if i % 2 == 0
    }
    return ground_truth.write_ground_truth(ground_truth.build_records(ids, extractions, reviews, forms))


def publish_grievance_versions(n: int = 60) -> None:
    from dataset_platform.retraining import splitting
    from dataset_platform.retraining.publishing import LocalHub, publish_version

    for label, classes in (("department", 4), ("urgency", 3)):
        df = pd.DataFrame(
            {
                "complaint_id": np.arange(n, dtype="int64"),
                "grievance": [f"ถนนหน้าบ้านเลขที่ {i} ชำรุด {label}" for i in range(n)],
                "label": (np.arange(n) % classes).astype("int64"),
                "source": ["misclassified" if i % 3 else "correct" for i in range(n)],
            }
        )
        splits, _ = splitting.stratified_split(df, label)
        directory = settings.platform_home() / "splits_tmp" / label
        splitting.write_splits(splits, directory, label)
        publish_version(LocalHub(settings.hub_dir(), f"local/{label}-dataset"), label=label, splits_dir=directory)


def pipeline_keys(defs: dg.Definitions, name: str) -> list[dg.AssetKey]:
    from dataset_platform.components.dataset_pipeline import PIPELINE_TAG

    return [s.key for s in defs.resolve_all_asset_specs() if s.tags.get(PIPELINE_TAG) == name]


def materialize_pipeline(defs: dg.Definitions, name: str, instance: Any = None) -> dg.ExecuteInProcessResult:
    """Every asset of the pipeline (and its checks) in one run, the way the demo runs it."""
    from dataset_platform.demo_run import QUIET

    job_name = f"run_{name}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = dg.define_asset_job(job_name, pipeline_keys(defs, name))
        job = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
        return job.resolve_job_def(job_name).execute_in_process(
            instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False, run_config=QUIET
        )


def materialized(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def step_failures(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    return {e.step_key: e.event_specific_data.error.message for e in result.all_events if e.is_step_failure}


def pipeline_file(name: str, step: str) -> Path:
    return settings.platform_home() / "pipelines" / name / f"{step}.parquet"


def load_project(root: Path, pipelines: dict[str, str]) -> dg.Definitions:
    """A throwaway dg project (pyproject [tool.dg], a defs package) holding ``pipelines`` (name → defs.yaml)."""
    import sys
    import uuid

    module = f"tmp_pipelines_{uuid.uuid4().hex[:8]}"
    (root / module / "defs").mkdir(parents=True)
    (root / module / "__init__.py").write_text("")
    (root / module / "defs" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        f'[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{module}"\n'
    )
    for name, text in pipelines.items():
        (root / module / "defs" / name).mkdir()
        (root / module / "defs" / name / "defs.yaml").write_text(text)
    sys.path.insert(0, str(root))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dg.load_from_defs_folder(path_within_project=root)
    finally:
        sys.path.remove(str(root))


def with_resources(defs: dg.Definitions) -> dg.Definitions:
    from dataset_platform.defs.resources import build_resources

    return dg.Definitions.merge(defs, dg.Definitions(resources=build_resources()))
