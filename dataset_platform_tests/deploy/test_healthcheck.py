"""The `platform_healthcheck` job and its helpers, in-process on SQLite and a real PostgreSQL.

Touches no Dagster daemon/webserver (see test_production.py) and no external service.
"""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from dataset_platform.defs.platform import defs as platform_defs
from dataset_platform.platform.status import NotWritableError, check_writable, service_modes
from dataset_platform.resources.review_db import ReviewDatabase


def test_healthcheck_job_reports_masked_url_and_creates_the_review_schema(db_url, platform_home):
    secret_url = db_url.replace("postgres@", "postgres:hunter2@") if db_url.startswith("postgres") else db_url
    job = dg.Definitions.merge(
        platform_defs, dg.Definitions(resources={"review_db": ReviewDatabase(url=secret_url)})
    ).resolve_job_def("platform_healthcheck")

    result = job.execute_in_process()

    assert result.success
    report = result.output_for_node("check_platform")
    assert report["connect_attempts"] == 1
    assert report["platform_home"] == str(platform_home)
    assert report["review_db"] == ("embedded: SQLite" if db_url.startswith("sqlite") else "real: PostgreSQL")
    assert "hunter2" not in repr(report)
    metadata = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT").event_specific_data.metadata
    assert "hunter2" not in repr(metadata)
    assert "| review_db |" in metadata["services"].value
    assert set(sa.inspect(sa.create_engine(db_url)).get_table_names()) >= {"complaints", "extraction_reviews"}


@pytest.mark.parametrize(
    ("environ", "service", "mode"),
    [
        ({}, "review_db", "embedded"),
        ({"POSTGRES_URL": "postgresql://u:p@h/db"}, "review_db", "real"),
        ({"POSTGRES_URL": "sqlite:///x.db"}, "review_db", "embedded"),
        ({}, "models", "embedded"),
        ({"GOOGLE_API_KEY": "k"}, "models", "real"),
        ({"GOOGLE_GENAI_USE_VERTEXAI": "true"}, "models", "real"),
        ({"HF_TOKEN": ""}, "hub", "embedded"),
        ({"HF_TOKEN": "hf_x"}, "hub", "real"),
        ({"DD_API_KEY": "k"}, "datadog", "embedded"),
        ({"DD_API_KEY": "k", "DD_APP_KEY": "a"}, "datadog", "real"),
        ({"WANDB_API_KEY": "k"}, "wandb", "real"),
        ({"WANDB_API_KEY": "k", "WANDB_MODE": "offline"}, "wandb", "embedded"),
        ({"WANDB_API_KEY": "k", "WANDB_MODE": "disabled"}, "wandb", "embedded"),
        ({"WANDB_MODE": "online"}, "wandb", "embedded"),
    ],
)
def test_service_modes_follow_the_configuration_table(environ, service, mode):
    assert service_modes(environ)[service].startswith(mode)


def test_models_mode_names_the_offline_reader_and_an_openai_server():
    assert "offline handwriting reader" in service_modes({})["models"]
    assert service_modes({"OPENAI_BASE_URL": "http://gpu:8000/v1"})["models"].endswith("+ OpenAI-compatible server")


def test_service_modes_never_contain_secret_values():
    environ = {"POSTGRES_URL": "postgresql://u:topsecret@h/db", "HF_TOKEN": "hf_topsecret", "DD_API_KEY": "topsecret"}
    assert "topsecret" not in repr(service_modes(environ))


def test_check_writable_creates_the_directory_and_leaves_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_writable(target) == target
    assert list(target.iterdir()) == []


def test_check_writable_explains_an_unusable_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(NotWritableError, match="is not writable"):
        check_writable(blocker / "home")
