"""DatasetPipeline loads from defs.yaml through dg.load_from_defs_folder: asset keys, groups, checks, and the
errors a bad file gets (file, step, field; unknown kinds listed). Nothing is materialised here."""

from __future__ import annotations

import pytest

import dataset_platform.definitions as project
from dataset_platform_tests.pipelines.helpers import load_project, with_resources
from dataset_platform_tests.test_automation_inventory import DOMAIN_ASSETS

GOOD = """
type: dataset_platform.components.DatasetPipeline
attributes:
  source: {type: files, path: data.csv}
  steps:
    - {id: keep, kind: filter, where: "x > 1"}
    - {id: gate, kind: quality, required: [x], min_quality_score: 80}
  outputs:
    - {type: export, format: parquet}
"""


def test_component_builds_one_asset_per_step_in_its_group_with_a_blocking_check(tmp_path):
    defs = with_resources(load_project(tmp_path, {"tiny": GOOD}))
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert sorted(specs) == ["tiny/export_parquet", "tiny/gate", "tiny/keep", "tiny/source"]
    assert {s.group_name for s in specs.values()} == {"tiny"}
    assert [d.asset_key.to_user_string() for d in specs["tiny/gate"].deps] == ["tiny/keep"]
    assert [d.asset_key.to_user_string() for d in specs["tiny/export_parquet"].deps] == ["tiny/gate"]
    (check,) = [spec for checks in defs.asset_checks for spec in checks.check_specs]
    assert check.name == "min_quality_score" and check.blocking and check.asset_key.to_user_string() == "tiny/gate"


def test_project_definitions_keep_domain_assets_and_add_the_shipped_pipelines():
    keys = {k.to_user_string() for k in project.defs.resolve_asset_graph().get_all_asset_keys()}
    assert DOMAIN_ASSETS <= keys  # the domain assets are all still there (listed once, in the inventory test)
    for name in ("vote_extraction_sft", "grievance_instructions", "customer_orders"):
        assert f"{name}/source" in keys and f"{name}/quality" in keys


def _error(tmp_path, text: str) -> str:
    with pytest.raises(Exception) as info:
        load_project(tmp_path, {"broken": text})
    chain, exc = [], info.value
    while exc is not None:  # dagster wraps the component's error; the message is in the chain
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return "\n".join(chain)


def test_missing_field_names_file_step_and_field(tmp_path):
    message = _error(tmp_path, GOOD.replace('where: "x > 1"', 'wher: "x > 1"'))
    assert "broken/defs.yaml" in message
    assert "step #1 'keep': field 'where': Field required" in message
    assert "field 'wher': Extra inputs are not permitted" in message


def test_unknown_step_kind_lists_the_known_kinds(tmp_path):
    message = _error(tmp_path, GOOD.replace("kind: filter", "kind: fliter"))
    assert "step #1 'keep': field 'kind': unknown step kind 'fliter'" in message
    assert "known: filter, select, join, sql, clean, dedupe, pii, llm, chat, quality" in message


def test_bad_value_in_a_nested_field_and_in_the_source(tmp_path):
    text = GOOD.replace("min_quality_score: 80", "min_quality_score: 180").replace("type: files", "type: ftp")
    message = _error(tmp_path, text)
    assert "step #2 'gate': field 'min_quality_score': Input should be less than or equal to 100" in message
    assert "source: field 'type': unknown type 'ftp'" in message


def test_duplicate_step_ids_are_refused(tmp_path):
    message = _error(tmp_path, GOOD.replace("id: gate", "id: keep"))
    assert "ids must be unique: keep" in message
