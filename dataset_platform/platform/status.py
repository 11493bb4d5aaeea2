"""What a deployment is connected to, decided from the same environment variables as the resources.

Only the presence of a variable is read, never its value, so the report is safe to show anywhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path


def _set(environ: Mapping[str, str], *names: str) -> bool:
    return any(environ.get(n) for n in names)


def review_db_mode(url: str | None) -> str:
    if url and url.startswith("postgres"):
        return "real: PostgreSQL"
    return "embedded: SQLite" if not url or url.startswith("sqlite") else "real: " + url.split(":", 1)[0]


def datadog_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Datadog needs both keys (the API key sends, the application key reads datasets back); one alone is local."""
    env = os.environ if environ is None else environ
    return _set(env, "DD_API_KEY") and _set(env, "DD_APP_KEY")


def _models_mode(env: Mapping[str, str]) -> str:
    if env.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true", "yes"):
        gemini = "real: Gemini on Vertex AI"
    elif _set(env, "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        gemini = "real: Gemini Developer API"
    else:
        gemini = "embedded: the offline handwriting reader (Gemini configs unavailable)"
    return gemini + (" + OpenAI-compatible server" if _set(env, "OPENAI_BASE_URL") else "")


def service_modes(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Service name → "real: ..." or "embedded: ..." following DESIGN.md's configuration table."""
    env = os.environ if environ is None else environ
    wandb_online = _set(env, "WANDB_API_KEY") and (env.get("WANDB_MODE") or "online") == "online"
    return {
        "review_db": review_db_mode(env.get("POSTGRES_URL")),
        "models": _models_mode(env),
        "hub": "real: Hugging Face Hub" if _set(env, "HF_TOKEN") else "embedded: local hub directory",
        "datadog": "real: Datadog LLM Observability"
        if datadog_configured(env)
        else "embedded: local experiment and dataset store",
        "wandb": "real: W&B online" if wandb_online else "embedded: W&B offline runs",
    }


class NotWritableError(OSError):
    pass


def check_writable(directory: Path) -> Path:
    """Create ``directory`` if needed and prove a file can be written and removed there.

    A container running as a non-root user on a volume owned by root fails here, before any asset
    half-writes its output.
    """
    probe = directory / f".write-probe-{uuid.uuid4().hex}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise NotWritableError(f"{directory} is not writable by uid {os.getuid()}: {exc.strerror or exc}") from None
    return directory
