"""Fixtures of the experiments tests: a tiny rendered ground truth, a Gemini test server that reads it, OCR cache."""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from dataset_platform_tests.support.gemini_server import GeminiTestServer

N_FORM_SETS = 3


@pytest.fixture(scope="session")
def demo_forms(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """Three demo form sets rendered once per session: (folder, {form_set_id: ground truth dict})."""
    from dataset_platform.forms.demo import render_demo_form_sets

    root = tmp_path_factory.mktemp("demo_forms")
    # printed: these tests score the Tesseract baseline, which reads the printed look only
    made = render_demo_form_sets(root, N_FORM_SETS, seed=11, printed=True)
    return root, {fid: gt.model_dump(mode="json") for fid, gt in made}


def _ground_truth_records(forms_dir: Path, truths: dict[str, dict]) -> list[dict]:
    records = []
    for fid, truth in sorted(truths.items()):
        pages = sorted(str(p) for p in (forms_dir / fid).glob("page_*"))
        records.append(
            {
                "id": fid,
                "input": {"form_set_name": fid, "image_paths": pages, "num_pages": len(pages)},
                "expected_output": truth,
                "metadata": {
                    "status": "human-reviewed",
                    "model": "tesseract",
                    "reviewer": "tester",
                    "reviewed_at": "2026-01-05T10:00:00+00:00",
                    "error": None,
                },
            }
        )
    return records


@pytest.fixture
def tiny_ground_truth(platform_home, demo_forms) -> tuple[str, dict[str, dict]]:
    """The demo form sets copied under this test's home and frozen as a ground-truth version."""
    from dataset_platform.common import settings
    from dataset_platform.forms.ground_truth import write_ground_truth

    source, truths = demo_forms
    shutil.copytree(source, settings.form_sets_dir(), dirs_exist_ok=True)
    version = write_ground_truth(_ground_truth_records(settings.form_sets_dir(), truths))
    return version, truths


def _page_hash_to_id(forms_dir: Path) -> dict[str, str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p.parent.name for p in forms_dir.glob("*/page_01.*")}


def degrade(truth: dict, model: str) -> dict:
    """What the fake Gemini answers: exact for gemini-2.5-flash, one misread vote count for the lite model."""
    answer = copy.deepcopy(truth)
    if "lite" in model and answer["vote_results"]:
        answer["vote_results"][0]["vote_count"] = (answer["vote_results"][0]["vote_count"] or 0) + 1
    return answer


@pytest.fixture
def gemini(demo_forms):
    """A Gemini-compatible server answering each form set with its ground truth (degraded per model)."""
    root, truths = demo_forms
    by_hash = _page_hash_to_id(root)

    def respond(request):
        data = request.images[0]["data"]
        first_page = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        fid = by_hash[hashlib.sha256(first_page).hexdigest()]
        return degrade(truths[fid], request.model)

    with GeminiTestServer() as server:
        server.responder = respond
        yield server


@pytest.fixture
def models(gemini):
    from dataset_platform.resources.models import ExtractionModels

    return ExtractionModels(gemini_api_key="test-gemini-key", gemini_base_url=gemini.url, retry_initial_delay_s=0.0)


@pytest.fixture(scope="session")
def ocr_cache(demo_forms, tmp_path_factory) -> Path:
    """Tesseract run once per session over the demo forms; tests copy its extraction cache (content-addressed)."""
    from dataset_platform.common import settings
    from dataset_platform.forms.model_config import ModelConfig
    from dataset_platform.resources.models import ExtractionModels

    root, truths = demo_forms
    home = tmp_path_factory.mktemp("ocr_home")
    previous = os.environ.get("DATASET_PLATFORM_HOME")
    os.environ["DATASET_PLATFORM_HOME"] = str(home)
    try:
        records = ExtractionModels().extract(
            sorted(root / fid for fid in truths), ModelConfig(model="tesseract"), max_concurrency=2
        )
        assert all(r.error is None for r in records), [r.error for r in records]
        return settings.cache_dir()
    finally:
        if previous is None:
            os.environ.pop("DATASET_PLATFORM_HOME", None)
        else:
            os.environ["DATASET_PLATFORM_HOME"] = previous


@pytest.fixture
def warm_ocr_cache(platform_home, ocr_cache):
    from dataset_platform.common import settings

    shutil.copytree(ocr_cache, settings.cache_dir(), dirs_exist_ok=True)
