"""Sign-in end to end: the review app with st.login against a local OpenID Connect provider (Authlib), driven by
headless Debian Chromium. A reviewer signs in and saves a correction that records their identity; a browser
that is not signed in, and a signed-in user without a role, see no form and save nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.review_app import store
from dataset_platform_tests.review_app.test_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    _free_port,
    demo_forms,  # noqa: F401  (fixture)
    review_server,
    settle,
)
from dataset_platform_tests.support.oidc_provider import Client, OIDCProvider, User

pytestmark = pytest.mark.slow


@pytest.fixture
def provider_and_app(demo_forms, db_url, platform_home, tmp_path):  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (scripts/system-deps.sh installs it)")
    port = _free_port()
    provider = OIDCProvider(
        users={
            "somchai": User("pw-somchai", {"sub": "u-1", "email": "somchai@example.org", "email_verified": True}),
            "stranger": User("pw-stranger", {"sub": "u-2", "email": "stranger@nowhere.org", "email_verified": True}),
        },
        clients={"review-app": Client("client-secret-1", [f"http://127.0.0.1:{port}/oauth2callback"])},
    )
    secrets = tmp_path / "secrets.toml"
    with provider:
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-long-random-cookie-secret-for-the-test-0123456789"\n'
            'client_id = "review-app"\n'
            'client_secret = "client-secret-1"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
            "[review_app]\n"
            'reviewers = ["somchai@example.org"]\n'
        )
        with review_server(db_url, platform_home, tmp_path / "server.log", port=port, secrets=secrets) as url:
            yield provider, url, demo_forms


def _sign_in(page, sync_api, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Username").fill(username)  # the provider's own page
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/**", timeout=30_000)


def test_reviewer_signs_in_and_the_saved_review_records_the_identity(provider_and_app, db_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    provider, url, (form_set_id, truth, _) = provider_and_app
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            anonymous = browser.new_page()
            anonymous.goto(url)
            anonymous.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            settle(anonymous, sync_api)
            assert anonymous.get_by_role("button", name="Save review").count() == 0

            stranger = browser.new_context().new_page()
            _sign_in(stranger, sync_api, url, "stranger", "pw-stranger")
            stranger.get_by_text("no role is granted").wait_for(timeout=60_000)
            assert stranger.get_by_role("button", name="Save review").count() == 0

            page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            _sign_in(page, sync_api, url, "somchai", "pw-somchai")
            page.get_by_role("button", name="Save review").wait_for(timeout=60_000)
            settle(page, sync_api)
            page.get_by_text("somchai@example.org").first.wait_for()
            page.get_by_role("combobox", name="Form set").click()
            page.keyboard.type(form_set_id)
            page.keyboard.press("Enter")
            settle(page, sync_api)
            district = page.get_by_role("textbox", name="เขต/อำเภอ · district", exact=True)
            district.fill(truth["form_info"]["district"])
            district.press("Enter")
            settle(page, sync_api)
            page.get_by_role("button", name="Save review").click()
            page.get_by_text("Saved review").wait_for(timeout=30_000)
        except Exception:
            for n, ctx in enumerate(browser.contexts):
                for m, pg in enumerate(ctx.pages):
                    pg.screenshot(path=str(tmp_path / f"failure-{n}-{m}.png"))
            print(f"failure screenshots and server log in {tmp_path}")
            raise
        finally:
            browser.close()

    assert {r["grant_type"] for r in provider.token_requests} == {"authorization_code"}
    with store.get_engine(db_url).connect() as conn:
        rows = conn.execute(sa.select(db.extraction_reviews.c.form_set_id, db.extraction_reviews.c.reviewer)).all()
    assert rows == [(form_set_id, "somchai@example.org")]
