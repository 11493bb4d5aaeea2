"""Loading the code location stays cheap: no heavy SDK is imported by `dataset_platform.definitions`.

Runs the import in a fresh interpreter (this test process has imported everything already); touches no service.
"""

from __future__ import annotations

import json
import subprocess
import sys

# The SDKs that cost seconds to import; each must be imported inside the function that uses it.
HEAVY_MODULES = (
    "google.genai",
    "openai",
    "ddtrace",
    "datasets",
    "huggingface_hub",
    "wandb",
    "sklearn",
    "matplotlib",
    "pythainlp",
    "pytesseract",
    "streamlit",
    "torch",
    "pypdfium2",
    "duckdb",
    "polars",
    "openpyxl",
    "sentence_transformers",
)

PROBE = """
import json, sys
import dataset_platform.definitions as d
d.defs.get_repository_def()  # builds every asset, job, schedule and sensor definition
print(json.dumps(sorted(m for m in sys.argv[1:] if m in sys.modules)))
"""


def imported_heavy_modules(modules=HEAVY_MODULES) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_probe_detects_a_module_that_dagster_itself_imports():
    # Guards the probe: if it could never report anything, the real assertion below would be empty.
    assert imported_heavy_modules(("dagster", "sqlalchemy")) == ["dagster", "sqlalchemy"]


def test_loading_definitions_imports_no_heavy_sdk():
    assert imported_heavy_modules() == []
