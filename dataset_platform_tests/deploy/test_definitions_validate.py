"""`dagster definitions validate` in the repository root of a fresh clone with no environment, and the two instance
configs (local at the root, production under deploy/) — runs the real CLI in a subprocess; touches no service.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
ROOT_FILES = ("pyproject.toml", "dagster.yaml", "workspace.yaml")


def _clean_env(home: Path) -> dict[str, str]:
    """What a new user's shell has: no DAGSTER_HOME, no DAGSTER_PG_*, no service credentials."""
    return {"PATH": f"{BIN}{os.pathsep}/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def test_definitions_validate_in_the_repo_root_without_environment(tmp_path):
    root = tmp_path / "clone"
    root.mkdir()
    for name in ROOT_FILES:  # the root files a clone has; the package itself is installed in the venv
        shutil.copy(REPO / name, root / name)
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate"],
        cwd=root,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Validation successful" in output
    assert "DAGSTER_PG" not in output and "Traceback" not in output
    assert "BetaWarning" not in output and "telemetry" not in output.lower()
    # The root dagster.yaml was the instance config: its SQLite storage lives under .data/.
    assert (root / ".data" / "dagster_home").is_dir()


def test_the_root_instance_is_local_and_the_production_one_is_postgres():
    local = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert "sqlite" in local["storage"] and "{'env'" not in str(local)
    assert local["telemetry"] == {"enabled": False}
    production = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    assert production["storage"]["postgres"]["postgres_db"]["hostname"] == {"env": "DAGSTER_PG_HOST"}
    # Both mark runs whose process died as failed.
    for config in (local, production):
        assert config["run_monitoring"]["enabled"] is True
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "COPY deploy/dagster.yaml ${DAGSTER_HOME}/dagster.yaml" in dockerfile
