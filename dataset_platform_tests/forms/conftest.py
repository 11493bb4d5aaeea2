"""Fixtures of the forms tests: running Gemini- and OpenAI-compatible test servers."""

from __future__ import annotations

import pytest

from dataset_platform_tests.forms.helpers import sample_extraction
from dataset_platform_tests.support.gemini_server import GeminiTestServer
from dataset_platform_tests.support.openai_server import OpenAITestServer


@pytest.fixture
def gemini_server():
    with GeminiTestServer() as server:
        server.extraction = sample_extraction()
        yield server


@pytest.fixture
def openai_server():
    with OpenAITestServer() as server:
        server.extraction = sample_extraction()
        yield server
