"""Review-app identities and roles: the pure role policy, and the sign-in gate of the app driven by AppTest
(OIDC mode with a seeded ``st.user``, local mode, a non-loopback server without sign-in). The real OIDC
round trip through a browser is in test_oidc_browser.py."""

from __future__ import annotations

import getpass

import pytest
import sqlalchemy as sa
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from dataset_platform.common import db
from dataset_platform.review_app import auth
from dataset_platform_tests.review_app.test_app import APP, SECRETS, grievances, misclassified, open_app, open_form

POLICY = auth.RolePolicy.from_settings(
    {
        "admins": ["boss@example.org"],
        "reviewers": ["*@example.org", "sub-123"],
        "viewers": ["guest@other.org"],
        "groups_claim": "groups",
        "group_roles": {"labellers": "reviewer", "election-admins": "admin"},
    }
)


@pytest.mark.parametrize(
    "claims, role",
    [
        ({"sub": "a", "email": "boss@example.org"}, "admin"),
        ({"sub": "a", "email": "Somchai@Example.org"}, "reviewer"),  # e-mails compare case-insensitively
        ({"sub": "sub-123"}, "reviewer"),  # by subject, no e-mail
        ({"sub": "a", "email": "guest@other.org"}, "viewer"),
        ({"sub": "a", "email": "guest@other.org", "groups": ["labellers"]}, "reviewer"),  # the highest grant wins
        ({"sub": "a", "email": "x@other.org", "groups": "election-admins"}, "admin"),
        ({"sub": "a", "email": "x@other.org", "groups": ["unknown"]}, None),
        ({"sub": "a", "email": "boss@example.org", "email_verified": False}, None),  # unverified names no one
        ({"sub": "a", "email": "evil@example.org.attacker.net"}, None),  # not the domain
    ],
)
def test_role_policy(claims, role):
    assert POLICY.role_for(claims) == role


def test_identity_records_the_verified_email_else_the_subject():
    assert auth.oidc_identity({"sub": "s1", "email": "a@example.org"}, POLICY).reviewer == "a@example.org"
    assert auth.oidc_identity({"sub": "s1", "email": "a@example.org", "email_verified": False}, POLICY).reviewer == "s1"
    assert auth.local_identity("nok").reviewer == "local:nok"
    assert auth.local_identity("nok").can("admin")
    with pytest.raises(auth.AuthConfigError, match="sub"):
        auth.oidc_identity({"email": "a@example.org"}, POLICY)
    with pytest.raises(auth.AuthConfigError, match="unknown role"):
        auth.RolePolicy.from_settings({"group_roles": {"g": "superuser"}})


def test_roles_are_ordered():
    viewer = auth.Identity("s", None, None, "viewer", "oidc")
    assert viewer.can("viewer") and not viewer.can("reviewer") and not viewer.can("admin")
    assert not auth.Identity("s", None, None, None, "oidc").can("viewer")


@pytest.fixture
def engine(db_url, seeded_engine, form_sets, monkeypatch):
    monkeypatch.setenv("POSTGRES_URL", db_url)
    return seeded_engine


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.title])


def test_signed_out_visitor_sees_only_the_sign_in_button(engine):
    at = open_app(user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.selectbox and not at.text_input  # no form, no data


def test_signed_in_user_without_a_role_sees_a_message_and_nothing_else(engine):
    at = open_app(user={"is_logged_in": True, "sub": "x", "email": "stranger@nowhere.org"})
    assert any("no role is granted" in e.value and "stranger@nowhere.org" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.selectbox


def test_a_forged_reviewer_in_session_state_changes_nothing(engine):
    at = open_app("Somchai")
    at.session_state["reviewer"] = "Someone Else"  # what the old text box used to set
    open_form(at)
    at.button(key="save_review").click().run()
    with engine.connect() as conn:
        assert conn.execute(sa.select(db.extraction_reviews.c.reviewer)).scalars().all() == ["somchai@example.org"]


def test_grievance_reviews_record_the_signed_in_identity(engine):
    at = grievances("Nok")
    at.button(key="save_grievance").click().run()
    [row] = misclassified(engine)
    assert row.reviewer == "nok@example.org"
    at.number_input(key="audit_complaint").set_value(row.complaint_id).run()
    audit = [df.value for df in at.dataframe if "reviewer" in df.value.columns]
    assert audit and audit[-1]["reviewer"].tolist() == ["nok@example.org"]


@pytest.fixture
def server_address():
    before = st_config.get_option("server.address")
    yield lambda value: st_config.set_option("server.address", value)
    st_config.set_option("server.address", before)


def test_local_mode_on_loopback_saves_as_the_os_user(engine, server_address):
    server_address("127.0.0.1")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    open_form(at)
    at.button(key="save_review").click().run()
    with engine.connect() as conn:
        reviewers = conn.execute(sa.select(db.extraction_reviews.c.reviewer)).scalars().all()
    assert reviewers == [f"local:{getpass.getuser()}"]


def test_without_sign_in_a_server_reachable_from_the_network_refuses(engine, server_address):
    server_address("0.0.0.0")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert any("no sign-in configured" in e.value for e in at.error)
    assert not at.selectbox and not at.button


def test_secrets_make_the_same_network_server_require_sign_in(engine, server_address):
    server_address("0.0.0.0")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets.update(SECRETS)
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
