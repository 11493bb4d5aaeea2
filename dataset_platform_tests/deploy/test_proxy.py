"""The production front door as processes (no Docker): Apache httpd + mod_auth_openidc with deploy/proxy/httpd.conf
in front of a real Dagster webserver and the review app, signing in against a local OpenID Connect provider.
Anonymous requests are sent to the provider, a user outside DAGSTER_UI_REQUIRE is refused, an allowed one reaches
the UI, GraphQL and the review app; a forged identity header does not let an anonymous request through."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from dataset_platform.review_app.launch import streamlit_command
from dataset_platform_tests.support.oidc_provider import Client, OIDCProvider, User
from dataset_platform_tests.support.postgres import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "deploy" / "proxy" / "httpd.conf"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
OIDC_MODULE = Path("/usr/lib/apache2/modules/mod_auth_openidc.so")
BIN = Path(sys.executable).parent


def _wait(url: str, procs: dict[str, subprocess.Popen], logs: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = {n: p.returncode for n, p in procs.items() if p.poll() is not None}
        assert not dead, f"exited: {dead}\n" + "\n".join(f.read_text()[-2000:] for f in logs.glob("*.log"))
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not up after {timeout}s")


@pytest.fixture(scope="module")
def front_door(tmp_path_factory):
    if not (Path(APACHE).exists() and OIDC_MODULE.exists()):
        pytest.skip("apache2 + libapache2-mod-auth-openidc not installed (scripts/system-deps.sh installs them)")
    work = tmp_path_factory.mktemp("proxy")
    proxy_port, web_port, review_port = free_port(), free_port(), free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    provider = OIDCProvider(
        users={
            "admin": User("pw-admin", {"sub": "u-admin", "email": "admin@example.org", "email_verified": True}),
            "viewer": User("pw-viewer", {"sub": "u-viewer", "email": "viewer@example.org", "email_verified": True}),
        },
        clients={"front-door": Client("proxy-secret", [f"{public}/oidc/callback"])},
    )
    procs: dict[str, subprocess.Popen] = {}
    run_dir = work / "run"
    run_dir.mkdir()
    shutil.chown(run_dir, "www-data", "www-data")
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "DATASET_PLATFORM_HOME": str(work / "data")}
    env.pop("POSTGRES_URL", None)

    def start(name: str, cmd: list[str], extra: dict[str, str] | None = None) -> None:
        with open(work / f"{name}.log", "wb") as log:
            procs[name] = subprocess.Popen(
                cmd, env={**env, **(extra or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    with provider:
        start(
            "webserver",
            [
                str(BIN / "dagster-webserver"),
                "-h",
                "127.0.0.1",
                "-p",
                str(web_port),
                "-m",
                "dataset_platform.definitions",
            ],
        )
        start("review", streamlit_command("127.0.0.1", review_port, base_url_path="review"))
        start(
            "proxy",
            [APACHE, "-f", str(CONF), "-DFOREGROUND"],
            {
                "PROXY_PORT": str(proxy_port),
                "PROXY_PUBLIC_URL": public,
                "PROXY_RUN_DIR": str(run_dir),
                "PROXY_SERVER_NAME": "127.0.0.1",
                "PROXY_USER": "www-data",
                "PROXY_GROUP": "www-data",
                "OIDC_METADATA_URL": provider.metadata_url,
                "OIDC_CLIENT_ID": "front-door",
                "OIDC_CLIENT_SECRET": "proxy-secret",
                "OIDC_CRYPTO_PASSPHRASE": "a-long-random-passphrase-only-for-this-test-0123456789",
                "DAGSTER_UI_REQUIRE": "email:admin@example.org",
                "DAGSTER_UPSTREAM": f"http://127.0.0.1:{web_port}",
                "REVIEW_UPSTREAM": f"http://127.0.0.1:{review_port}",
            },
        )
        try:
            _wait(f"http://127.0.0.1:{web_port}/server_info", procs, work)
            _wait(f"http://127.0.0.1:{review_port}/review/_stcore/health", procs, work)
            _wait(f"{public}/oidc/callback", procs, work)
            yield public, provider
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


def sign_in(public: str, username: str, password: str) -> httpx.Client:
    """A browser-like client through the provider's login form; returns it holding the proxy's session cookie."""
    client = httpx.Client(timeout=30)
    response = client.get(f"{public}/")
    assert response.status_code == 302 and "/authorize" in response.headers["location"]
    login = client.get(response.headers["location"])
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', login.text))
    answer = client.post(
        urljoin(login.url.__str__(), "/authorize"), data={**fields, "username": username, "password": password}
    )
    assert answer.status_code == 302, answer.text
    response = client.get(answer.headers["location"])  # the proxy's /oidc/callback exchanges the code
    while response.status_code in (302, 303) and response.headers["location"].startswith(public):
        response = client.get(response.headers["location"])
    return client


def test_anonymous_requests_go_to_the_provider_and_never_reach_an_upstream(front_door):
    public, _ = front_door
    for path in ("/", "/graphql", "/review/", "/review/_stcore/health"):
        response = httpx.get(f"{public}{path}", headers={"X-Forwarded-Email": "admin@example.org"}, timeout=30)
        assert response.status_code == 302, path
        assert response.headers["location"].startswith(front_door[1].issuer + "/authorize"), path


def test_an_allowed_user_reaches_the_dagster_ui_graphql_and_the_review_app(front_door):
    public, provider = front_door
    client = sign_in(public, "admin", "pw-admin")
    ui = client.get(f"{public}/")
    assert ui.status_code == 200 and "Dagster" in ui.text
    version = client.post(f"{public}/graphql", json={"query": "{ version }"})
    assert version.status_code == 200 and version.json()["data"]["version"]
    assert client.get(f"{public}/review/_stcore/health").text == "ok"
    assert {r["client_id"] for r in provider.token_requests} == {"front-door"}


def test_a_user_outside_the_dagster_rule_is_refused_the_ui_but_may_open_the_review_app(front_door):
    public, _ = front_door
    client = sign_in(public, "viewer", "pw-viewer")
    assert client.get(f"{public}/").status_code in (401, 403)
    assert client.post(f"{public}/graphql", json={"query": "{ version }"}).status_code in (401, 403)
    assert client.get(f"{public}/review/_stcore/health").text == "ok"  # the app grants its own roles
