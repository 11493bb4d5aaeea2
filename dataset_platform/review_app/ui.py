"""Streamlit pieces shared by both pages: the database engine, the signed-in identity, the status strip."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from dataset_platform.common import db, settings
from dataset_platform.review_app import auth, status, store

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return store.get_engine(url)


def engine() -> sa.Engine:
    """The review database of `POSTGRES_URL` (or the SQLite default); stops the page with a clear error if down."""
    url = settings.database_url()
    try:
        return _engine(url)
    except sa.exc.SQLAlchemyError as exc:
        st.error(f"Review database {db.safe_url(url)} is unreachable ({type(exc).__name__}). Nothing can be saved.")
        st.stop()


def _secrets() -> dict:
    """The app's secrets as a plain dict; none at all (no secrets.toml) means the local mode."""
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, StreamlitSecretNotFoundError):
        return {}


def identity() -> auth.Identity | None:
    """Who this session belongs to, from the server-side state only (``st.user``, the bound address):
    nothing a browser sends as a form field or session value can name another reviewer."""
    secrets = _secrets()
    if not auth.oidc_configured(secrets):
        host = st.get_option("server.address") or ""
        return auth.local_identity() if auth.is_loopback(host) else None
    if not st.user.is_logged_in:
        return None
    return auth.oidc_identity(st.user.to_dict(), auth.RolePolicy.from_settings(secrets.get("review_app")))


def sign_in() -> auth.Identity:
    """Gate of every page: signs the user in, or stops the page with what to do."""
    secrets = _secrets()
    if not auth.oidc_configured(secrets) and not auth.is_loopback(st.get_option("server.address") or ""):
        st.error(
            "This review app is reachable beyond this machine but has no sign-in configured. "
            "Add an [auth] section to .streamlit/secrets.toml (see README, Reviewers sign in) "
            "or serve it on 127.0.0.1."
        )
        st.stop()
    try:
        who = identity()
    except auth.AuthConfigError as exc:
        st.error(f"Sign-in is misconfigured: {exc}")
        st.stop()
    if who is None:
        st.title("Dataset review")
        st.write("Sign in to read and review the platform's datasets.")
        st.button("Sign in", type="primary", key="sign_in", on_click=st.login, icon=":material/login:")
        st.stop()
    if who.role is None:
        st.title("Dataset review")
        st.error(
            f"You are signed in as {who.reviewer}, but no role is granted to this account. "
            "Ask an administrator to add you as a viewer, reviewer or admin."
        )
        st.button("Sign out", key="sign_out", on_click=st.logout)
        st.stop()
    with st.sidebar:
        if who.mode == "local":
            st.caption(f"Local single-user mode · reviews are saved as **{escape_md(who.reviewer)}**")
        else:
            st.caption(f"Signed in as **{escape_md(who.reviewer)}** · {who.role}")
            st.button("Sign out", key="sign_out", on_click=st.logout)
    return who


def reviewer_for_save(role: str = auth.REVIEWER) -> str | None:
    """The identity a save records, or None (with the reason shown) when this session may not save."""
    who = identity()
    if who is None or not who.can(role):
        st.error(
            f"Not saved: saving here needs the {role} role" + (f" ({who.reviewer} is {who.role})." if who else ".")
        )
        return None
    return who.reviewer


def escape_md(text: str) -> str:
    """User text (complaints, names) shown literally, never as markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def literal_html(text: str) -> str:
    """Citizen-written text shown exactly as written: escaped, no markdown, no auto-linked URLs."""
    return f'<div class="complaint" style="font-size:1.15rem;white-space:pre-wrap">{html.escape(text)}</div>'


def _ago(when: dt.datetime | None) -> str:
    if when is None:
        return "never"
    minutes = int((store.utcnow() - when).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def status_strip(eng: sa.Engine) -> None:
    s = status.platform_status(eng)
    gt = s.ground_truth_version
    published = ", ".join(f"{label} {tag or '—'}" for label, tag in s.published.items())
    pending_grievances = max(s.grievance_reviews_pending.values(), default=0)
    cols = st.columns([3, 3, 2, 1.4], vertical_alignment="center")
    cols[0].caption(
        f"**Ground truth** {gt or 'not built yet'} · rebuilt {_ago(s.ground_truth_built_at)} · "
        f"**{s.form_reviews_pending}** form reviews since"
    )
    cols[1].caption(f"**Published** {published} · **{pending_grievances}** grievance reviews since")
    cols[2].caption("Saved reviews are picked up by the `new_reviews_sensor`: no other step needed.")
    cols[3].link_button("Open in Dagster", s.dagster_url, icon=":material/open_in_new:")


def show_errors(errors: dict[str, str], prefix: str = "Not saved") -> None:
    lines = "\n".join(f"- `{field}`: {escape_md(msg)}" for field, msg in errors.items())
    st.error(f"{prefix}: fix these fields.\n{lines}")


def flash(key: str) -> None:
    """Show (once) a message stored before `st.rerun()`."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text = message
        getattr(st, kind)(text)
