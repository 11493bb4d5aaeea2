"""Fixtures of the forms tests: a running Gemini-compatible test server."""

from __future__ import annotations

import pytest

from dataset_platform_tests.forms.helpers import sample_extraction
from dataset_platform_tests.support.gemini_server import GeminiTestServer


@pytest.fixture
def gemini_server():
    with GeminiTestServer() as server:
        server.extraction = sample_extraction()
        yield server
