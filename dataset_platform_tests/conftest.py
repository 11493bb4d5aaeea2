"""Shared fixtures: an isolated DATASET_PLATFORM_HOME and a real PostgreSQL server for the session."""

from __future__ import annotations

import os

import pytest

from dataset_platform_tests.support.postgres import PostgresServer, start_postgres

# Tests never reach the internet, and credentials on the developer's machine must not leak in.
for _var in (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "HF_TOKEN",
    "DD_API_KEY",
    "DD_APP_KEY",
    "DD_SITE",
    "DD_LLMOBS_OVERRIDE_ORIGIN",
    "WANDB_API_KEY",
    "POSTGRES_URL",
):
    os.environ.pop(_var, None)
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("DD_TRACE_ENABLED", "false")
os.environ.setdefault("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")


@pytest.fixture(autouse=True)
def platform_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DATASET_PLATFORM_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, platform_home) -> str:
    """The review database URL, once for SQLite and once for a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{platform_home / 'reviews.db'}"
    return request.getfixturevalue("postgres_url")
