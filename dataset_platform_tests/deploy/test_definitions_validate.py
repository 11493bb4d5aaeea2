"""`dagster definitions validate` accepts the code location, as the CLI a deployer runs it.

Runs the real CLI in a subprocess with a throw-away DAGSTER_HOME; touches no service.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def test_dagster_definitions_validate(tmp_path):
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "dataset_platform.definitions"],
        # Outside the repo and with its own DAGSTER_HOME, so the production dagster.yaml is not read.
        cwd=tmp_path,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr
