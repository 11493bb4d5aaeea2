"""`dataset-platform review` launcher: the Streamlit command line it runs; starts no server."""

from __future__ import annotations

import os
import signal
import subprocess

from dataset_platform.review_app import launch


def test_command_binds_localhost_by_default():
    cmd = launch.streamlit_command()
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("review_app/app.py")
    flags = dict(zip(cmd[5::2], cmd[6::2]))
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--server.port"] == "8501"
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"


class FakeServer:
    def __init__(self, cmd):
        self.cmd, self.signals = cmd, []

    def send_signal(self, signum):
        self.signals.append(signum)

    def wait(self):
        os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stopping `dataset-platform review`
        return -signal.SIGTERM


def test_launch_runs_streamlit_forwards_sigterm_and_refuses_the_network_without_sign_in(monkeypatch, capsys, tmp_path):
    servers, handler = [], signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(subprocess, "Popen", lambda cmd: servers.append(FakeServer(cmd)) or servers[-1])
    monkeypatch.delenv(launch.SECRETS_ENV, raising=False)
    monkeypatch.setattr(launch, "default_secrets_files", lambda: [tmp_path / "none.toml"])
    assert launch.launch(host="127.0.0.1", port=9000) == 0
    assert "local single-user mode" in capsys.readouterr().err
    assert launch.launch(host="0.0.0.0", port=9002) == 2  # local mode never reaches the network
    assert "refusing" in capsys.readouterr().err
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://review.example.org/oauth2callback"\n')
    assert launch.launch(host="0.0.0.0", port=9001, secrets=secrets, base_url_path="/review/") == 0
    assert "sign-in (OIDC)" in capsys.readouterr().err
    flags = dict(zip(servers[-1].cmd[5::2], servers[-1].cmd[6::2]))
    assert flags["--secrets.files"] == str(secrets) and flags["--server.baseUrlPath"] == "review"
    assert [s.cmd[s.cmd.index("--server.port") + 1] for s in servers] == ["9000", "9001"]
    assert [s.signals for s in servers] == [[signal.SIGTERM], [signal.SIGTERM]]
    assert signal.getsignal(signal.SIGTERM) is handler  # restored
    assert launch.launch(port=0) == 2 and len(servers) == 2


def test_cli_dispatches_to_launch(monkeypatch):
    from dataset_platform import cli

    seen = {}
    monkeypatch.setattr(launch, "launch", lambda **kw: seen.update(kw) or 0)
    assert cli.main(["review", "--port", "8600"]) == 0
    assert seen == {"host": "127.0.0.1", "port": 8600, "secrets": None, "base_url_path": ""}
