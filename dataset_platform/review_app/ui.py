"""Streamlit pieces shared by both pages: the database engine, the reviewer's name, the status strip."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa
import streamlit as st

from dataset_platform.common import db, settings
from dataset_platform.review_app import status, store

REVIEWER_KEY = "reviewer"
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


def reviewer_input() -> None:
    st.sidebar.text_input(
        "Your name (reviewer)",
        key=REVIEWER_KEY,
        max_chars=100,
        placeholder="required to save",
        help="Stored with every review you save. Remembered for this browser session.",
    )


def reviewer() -> str:
    return (st.session_state.get(REVIEWER_KEY) or "").strip()


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
