"""`docker-compose config` accepts docker-compose.yml and resolves it as the deployment expects; the Dockerfile
copies files that exist and that .dockerignore lets into the build context.

Only parses files (no Docker engine is needed or touched, no image is built).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SIGN_IN = {
    "PUBLIC_URL": "https://labelling.example.org",
    "OIDC_METADATA_URL": "https://idp.example.org/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "dataset-platform",
    "OIDC_CLIENT_SECRET": "example",
    "OIDC_CRYPTO_PASSPHRASE": "example-passphrase",
    "REVIEW_APP_SECRETS_FILE": str(REPO / "deploy" / "review-app-secrets.example.toml"),
}


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def _compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    compose = _compose_command()
    if compose is None:
        pytest.skip(
            "neither docker-compose nor the docker compose plugin is installed (scripts/system-deps.sh installs it)"
        )
    # An empty --env-file: a developer's .env must not change what is being tested.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.touch()
    return subprocess.run(
        [*compose, "--env-file", str(empty_env_file), "-f", str(REPO / "docker-compose.yml"), "config"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_docker_compose_config_accepts_the_file(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POSTGRES_", "GEMINI_", "HF_", "WANDB_", "DD_", "PUBLISH_HOST"))
    }
    result = _compose_config({**env, **SIGN_IN, "POSTGRES_PASSWORD": "example", "HF_TOKEN": "hf_example"}, tmp_path)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "user_code", "daemon", "webserver", "review_app", "proxy"}
    assert services["user_code"]["command"][:3] == ["dagster", "code-server", "start"]
    assert services["webserver"]["environment"]["DAGSTER_CODE_SERVER_HOST"] == "user_code"
    assert services["webserver"]["depends_on"]["user_code"]["condition"] == "service_healthy"
    assert services["daemon"]["environment"]["DAGSTER_INSTANCE_INIT"] == "1"
    # Credentials are passed through when set; unset ones stay unset in the container (null = pass-through),
    # never empty strings, so each service keeps its embedded default.
    user_code_env = services["user_code"]["environment"]
    assert user_code_env["HF_TOKEN"] == "hf_example"
    assert user_code_env.get("GEMINI_API_KEY") is None and user_code_env.get("WANDB_MODE") is None
    assert "HF_TOKEN" not in services["webserver"]["environment"]
    # Only the authenticating proxy is published; the UI and the review app are reachable through it alone.
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert services["proxy"]["environment"]["DAGSTER_UI_REQUIRE"] == "groups:dagster-admins"
    review = services["review_app"]["command"]
    assert review[review.index("--secrets") + 1] == "/run/secrets/review_app_secrets"
    assert review[review.index("--base-url-path") + 1] == "review"
    assert services["user_code"]["environment"]["POSTGRES_URL"].endswith("@postgres:5432/reviews")


def test_docker_compose_refuses_to_start_without_a_database_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    result = _compose_config({**env, **SIGN_IN}, tmp_path)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_docker_compose_refuses_to_start_without_the_sign_in_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "PUBLIC_URL"))}
    result = _compose_config({**env, "POSTGRES_PASSWORD": "example"}, tmp_path)
    assert result.returncode != 0
    assert "OIDC_" in result.stderr or "PUBLIC_URL" in result.stderr


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.removeprefix("**/")) for pat in patterns)


def test_dockerfile_copies_files_that_exist_and_are_in_the_build_context():
    patterns = [
        line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and line[0] != "#"
    ]
    sources = [
        src
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for src in line.split()[1:-1]
    ]
    assert "uv.lock" in sources and "dataset_platform" in sources
    for src in sources:
        assert (REPO / src).exists(), f"Dockerfile copies {src}, which does not exist"
        assert not _ignored(src, patterns), f"Dockerfile copies {src}, which .dockerignore excludes"
    assert os.access(REPO / "deploy" / "entrypoint.sh", os.X_OK)
    assert (REPO / "deploy" / "postgres-init.sql").exists()
