"""`dataset-platform review`: start the Streamlit app on localhost (by default) as a child process.

Without an ``[auth]`` section in the app's secrets the app runs in the single-user local mode, which is only
allowed on a loopback address: the launcher refuses to serve it to the network (the app itself refuses too).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

from dataset_platform.review_app.auth import is_loopback

APP = Path(__file__).with_name("app.py")
SECRETS_ENV = "REVIEW_APP_SECRETS"


def default_secrets_files() -> list[Path]:
    """Where Streamlit looks for secrets.toml by default (later files win)."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def sign_in_configured(secrets_files: list[Path]) -> bool:
    for path in secrets_files:
        try:
            if tomllib.loads(path.read_text(encoding="utf-8")).get("auth"):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def streamlit_command(
    host: str = "127.0.0.1", port: int = 8501, *, secrets: Path | None = None, base_url_path: str = ""
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]
    if secrets is not None:
        cmd += ["--secrets.files", str(secrets)]
    if base_url_path:
        cmd += ["--server.baseUrlPath", base_url_path.strip("/")]
    return cmd


def launch(*, host: str = "127.0.0.1", port: int = 8501, secrets: Path | None = None, base_url_path: str = "") -> int:
    if not 0 < port < 65536:
        print(f"invalid port {port}", file=sys.stderr)
        return 2
    if secrets is None and os.environ.get(SECRETS_ENV):
        secrets = Path(os.environ[SECRETS_ENV])
    if secrets is not None and not secrets.is_file():
        print(f"secrets file {secrets} not found", file=sys.stderr)
        return 2
    signed = sign_in_configured([secrets] if secrets else default_secrets_files())
    if not is_loopback(host) and not signed:
        # Local mode trusts whoever reaches the port: never on an address others can reach.
        print(
            f"refusing to serve the review app on {host} without sign-in: add an [auth] section to the secrets "
            "(README, 'Reviewers sign in') or serve it on 127.0.0.1",
            file=sys.stderr,
        )
        return 2
    signed = sign_in_configured([secrets] if secrets else default_secrets_files())
    mode = "sign-in (OIDC)" if signed else "local single-user mode"
    print(f"review app on http://{host}:{port}/{base_url_path.strip('/')} ({mode})", file=sys.stderr)
    proc = subprocess.Popen(streamlit_command(host, port, secrets=secrets, base_url_path=base_url_path))
    # A service manager stops us with SIGTERM: pass it on so no orphaned server keeps the port.
    forwarded = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda signum, _frame: proc.send_signal(signum)) for sig in forwarded}
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:  # Ctrl+C reached the server too; wait for it to stop
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code
