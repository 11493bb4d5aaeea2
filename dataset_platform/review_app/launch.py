"""`dataset-platform review`: start the Streamlit app on localhost (by default) as a child process."""

from __future__ import annotations

import ipaddress
import signal
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def streamlit_command(host: str = "127.0.0.1", port: int = 8501) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch(*, host: str = "127.0.0.1", port: int = 8501) -> int:
    if not 0 < port < 65536:
        print(f"invalid port {port}", file=sys.stderr)
        return 2
    if not _is_loopback(host):
        # The app has no login: anyone who can reach the port can write reviews.
        print(f"warning: serving the review app on {host}, reachable beyond this machine; it has no login", file=sys.stderr)
    print(f"review app on http://{host}:{port}", file=sys.stderr)
    proc = subprocess.Popen(streamlit_command(host, port))
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
