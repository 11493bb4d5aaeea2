"""The one model-config type: kinds, names, range checks, and the Dagster run configs derived from it."""

from __future__ import annotations

import dagster as dg
import pytest

from dataset_platform.defs.run_config import ExperimentConfig, ExtractionConfig, ModelRunConfig
from dataset_platform.experiments.config import DEFAULT_MODEL_CONFIGS
from dataset_platform.forms.model_config import ModelConfig, model_kind


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("offline", "offline"),
        ("tesseract", "tesseract"),
        ("gemini-2.5-flash", "gemini"),
        ("gemini-2.5-flash-lite", "gemini"),
        ("openai/qwen2.5-vl-7b", "openai"),
        ("openai/", None),
        ("gpt-4o", None),
        ("Gemini-2.5-flash", None),
        ("gemini", None),
    ],
)
def test_each_model_name_has_one_kind(model, kind):
    assert model_kind(model) == kind
    assert ModelConfig(model=model).kind == kind


def test_name_tells_configs_apart():
    assert ModelConfig(model="offline", temperature=0).name == "offline-t0.0"
    config = ModelConfig(model="gemini-2.5-pro", temperature=0.7, thinking_budget=512, name_suffix="v2")
    assert config.name == "gemini-2.5-pro-t0.7-think512-v2"


def test_generation_config_only_holds_what_the_kind_uses():
    assert ModelConfig(model="gemini-2.5-flash", temperature=0.5, thinking_budget=0).generation_config() == {
        "temperature": 0.5,
        "thinking_budget": 0,
    }
    assert ModelConfig(model="openai/x", temperature=0.5, thinking_budget=0).generation_config() == {"temperature": 0.5}
    assert ModelConfig(model="offline", temperature=0.5).generation_config() == {}


def test_run_configs_have_the_domain_fields_with_their_defaults_and_descriptions():
    for name, field in ModelConfig.model_fields.items():
        derived = ModelRunConfig.model_fields[name]
        assert (derived.annotation, derived.description) == (field.annotation, field.description)
        assert derived.get_default(call_default_factory=True) == field.get_default(call_default_factory=True)
    assert set(ExtractionConfig.model_fields) == {*ModelConfig.model_fields, "max_concurrency"}
    assert [c.model_dump() for c in ExperimentConfig().model_configs] == [
        ModelConfig.model_validate(c).model_dump() for c in DEFAULT_MODEL_CONFIGS
    ]


def test_extraction_run_config_falls_back_to_the_default_model_and_refuses_bad_settings():
    assert ExtractionConfig().to_model_config("offline") == ModelConfig(model="offline")
    assert ExtractionConfig(model="tesseract", temperature=0.2).to_model_config("offline").name == "tesseract-t0.2"
    with pytest.raises(dg.Failure, match=r"temperature 3.0 is outside \[0, 2\]"):
        ExtractionConfig(temperature=3.0).to_model_config("offline")
    with pytest.raises(dg.Failure, match="thinking_budget -5"):
        ExtractionConfig(thinking_budget=-5).to_model_config("gemini-2.5-flash")
