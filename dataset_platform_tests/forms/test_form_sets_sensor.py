"""new_form_sets_sensor decides from what raw_form_images recorded (after real materializations on small PNG form
sets, Gemini = the local test server): nothing after a full run, new sets and changed pages exactly once.
"""

from __future__ import annotations

import json
import os
import shutil

import dagster as dg

from dataset_platform.defs.forms.assets import llm_extractions, raw_form_images
from dataset_platform.defs.forms.automation import new_form_sets_sensor
from dataset_platform.defs.forms.partitions import RANGE_END_TAG, RANGE_START_TAG, range_tags
from dataset_platform.resources.models import ExtractionModels
from dataset_platform_tests.forms.helpers import make_form_set


def _materialize(instance, server, keys):
    tags = range_tags(keys) if len(keys) > 1 else {}
    result = dg.materialize(
        [raw_form_images, llm_extractions],
        instance=instance,
        resources={"models": ExtractionModels(gemini_api_key="k", gemini_base_url=server.url, timeout_s=10)},
        partition_key=keys[0] if len(keys) == 1 else None,
        tags=tags,
        run_config={"ops": {"llm_extractions": {"config": {"model": "gemini-2.5-flash"}}}},
    )
    assert result.success
    return result


def _tick(instance, cursor=None):
    result = new_form_sets_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    if isinstance(result, dg.SkipReason):
        return result, [], cursor
    return result, list(result.run_requests), result.cursor


def _launch(instance, server, result):
    """What the daemon does with a tick: add the partitions, run each request once."""
    for add in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(add.partitions_def_name, list(add.partition_keys))
    for request in result.run_requests:
        if request.partition_key:
            _materialize(instance, server, [request.partition_key])
        else:
            keys = instance.get_dynamic_partitions("form_sets")
            start, end = request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]
            _materialize(instance, server, keys[keys.index(start) : keys.index(end) + 1])


def test_nothing_after_a_full_materialization_then_exactly_what_changed(gemini_server, platform_home):
    forms = platform_home / "forms"
    for i in range(4):
        make_form_set(forms, f"set-{i}", pages=2)
    with dg.instance_for_test() as instance:
        # First tick: every folder is new → one partitions request and one run over their range.
        result, requests, cursor = _tick(instance)
        assert [list(a.partition_keys) for a in result.dynamic_partitions_requests] == [[f"set-{i}" for i in range(4)]]
        [batch] = requests
        assert (batch.tags[RANGE_START_TAG], batch.tags[RANGE_END_TAG]) == ("set-0", "set-3")
        # The same tick again, before the run recorded anything: nothing requested twice.
        _, again, _ = _tick(instance, cursor)
        assert again == []
        _launch(instance, gemini_server, result)

        # Right after the full materialization (and with no cursor at all): nothing to do, and why.
        for state in (cursor, None):
            skip, requests, _ = _tick(instance, state)
            assert requests == []
            message = skip.skip_reason.skip_message if isinstance(skip, dg.SensorResult) else skip.skip_message
            assert "4 unchanged" in message and "raw_form_images" in message

        # touch without changing bytes: no run.
        page = forms / "set-1" / "page_01.png"
        os.utime(page, ns=(page.stat().st_mtime_ns + 5 * 10**9,) * 2)
        _, requests, cursor = _tick(instance, None)
        assert requests == []

        # A changed page (same name, other bytes) and a new set: exactly one run each, on the next tick only.
        make_form_set(forms, "set-2", pages=2, seed=7)
        make_form_set(forms, "set-9", pages=1)
        result, requests, cursor = _tick(instance, cursor)
        assert sorted(r.partition_key for r in requests) == ["set-2", "set-9"]
        assert [list(a.partition_keys) for a in result.dynamic_partitions_requests] == [["set-9"]]
        _, duplicate, _ = _tick(instance, cursor)
        assert duplicate == []
        _launch(instance, gemini_server, result)
        _, requests, _ = _tick(instance, cursor)
        assert requests == []

        # A removed page is a change too.
        (forms / "set-3" / "page_02.png").unlink()
        _, requests, _ = _tick(instance, None)
        assert [r.partition_key for r in requests] == ["set-3"]


def test_materializations_without_fingerprints_fall_back_to_the_manifest(gemini_server, platform_home):
    forms = platform_home / "forms"
    make_form_set(forms, "old", pages=2)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("form_sets", ["old"])
        # An instance upgraded from before fingerprints: the materialization has none, the manifest is on disk.
        instance.report_runless_asset_event(dg.AssetMaterialization("raw_form_images", partition="old"))
        _materialize_manifest_only(forms / "old", platform_home)
        _, requests, _ = _tick(instance)
        assert requests == []
        shutil.rmtree(forms / "old")
        make_form_set(forms, "old", pages=2, seed=3)
        _, requests, _ = _tick(instance)
        assert [r.partition_key for r in requests] == ["old"]


def _materialize_manifest_only(folder, platform_home):
    from dataset_platform.common import atomic
    from dataset_platform.forms.pages import form_set_manifest

    atomic.write_json(platform_home / "manifests" / f"{folder.name}.json", form_set_manifest(folder).to_dict())
    assert json.loads((platform_home / "manifests" / f"{folder.name}.json").read_text())["num_pages"] == 2
