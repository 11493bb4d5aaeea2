"""Grievances page: one complaint at a time, labels pre-filled with the model's prediction, Ctrl+Enter saves.

Complaints come in order of need (the cached `review_priorities` ranking: most likely wrong first; oldest
first while no ranking exists). Every `GOLD_EVERY`-th complaint is instead drawn at random for the gold set
and labelled blind: the prediction is hidden and the labels start empty.
"""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from dataset_platform.common.labels import label_names
from dataset_platform.retraining import review_queue
from dataset_platform.review_app import auth, store, ui
from dataset_platform.review_app.validation import ReviewValidationError

CURRENT = "current_complaint"
CURRENT_KIND = "current_complaint_kind"  # "review" | "gold"
SERVED = "complaints_served"
GOLD_RNG = "gold_rng"
SKIPPED = "skipped_complaints"
RECENT = "recent_grievance_reviews"
FLASH = "grievance_flash"


def _index(options: list[str], value: str | None) -> int | None:
    return options.index(value) if value in options else None


def _label_pickers(complaint: store.Complaint, key: str, blind: bool) -> tuple[str | None, str | None]:
    """Department and urgency pickers; ``blind`` (gold labels): no prediction as default or help text."""
    chosen = []
    for column, label in zip(st.columns([3, 2]), ("department", "urgency"), strict=True):
        names = label_names(label)
        predicted = None if blind else getattr(complaint, label)
        chosen.append(
            column.selectbox(
                label.title(),
                names,
                index=_index(names, predicted),
                key=f"{key}{complaint.id}.{label}",
                placeholder=f"choose the {label}" if blind else f"choose the right {label}",
                help=None if blind else f"Model predicted: {predicted or 'nothing'}",
            )
        )
    return chosen[0], chosen[1]


def _skip_button(key: str, complaint_id: int, skipped: list[int]) -> None:
    if st.button("Skip", key=key, shortcut="Alt+S"):
        skipped.append(complaint_id)
        st.session_state.pop(CURRENT, None)
        st.rerun()


def _not_saved(exc: ReviewValidationError) -> None:
    """A refused save: reviewed by someone else meanwhile (or gone) moves on to the next one; else the errors."""
    if "complaint_id" in exc.errors:
        st.session_state.pop(CURRENT, None)
        st.session_state[FLASH] = ("warning", f"Not saved: {exc.errors['complaint_id']}. Here is the next one.")
        st.rerun()
    ui.show_errors(exc.errors)


def main() -> None:
    engine = ui.engine()
    st.title("Grievance review")
    ui.flash(FLASH)
    skipped: list[int] = st.session_state.setdefault(SKIPPED, [])
    remaining = store.count_grievance_queue(engine)
    # The complaint on screen is pinned: a save always applies to what the reviewer saw, even if
    # another reviewer has moved the queue on since.
    complaint = store.get_complaint(engine, st.session_state[CURRENT]) if st.session_state.get(CURRENT) else None
    if complaint is None:
        kind, complaint = _next_complaint(engine, skipped)
        st.session_state[CURRENT] = complaint.id if complaint else None
        st.session_state[CURRENT_KIND] = kind
    st.caption(
        f"{remaining} complaints to review · {store.count_gold_labels(engine)} in the gold set · "
        f"{len(skipped)} skipped this session"
        + ("" if review_queue.ranked_ids() is not None else " · no ranking built yet: oldest first")
    )
    if complaint is None:
        st.success("Nothing left to review." if not skipped else "Only skipped complaints are left.")
        if skipped and st.button("Show skipped complaints again", key="unskip"):
            st.session_state[SKIPPED] = []
            st.rerun()
        _recent()
        return

    if st.session_state.get(CURRENT_KIND) == "gold":
        _gold(engine, complaint, skipped)
        _recent()
        return
    with st.container(border=True):
        st.caption(
            f"Complaint #{complaint.id}" + (f" · {complaint.created_at:%Y-%m-%d %H:%M}" if complaint.created_at else "")
        )
        st.html(ui.literal_html(complaint.message))
        st.caption(
            f"Model predicted: **{ui.escape_md(complaint.department or 'no department')}** · "
            f"**{ui.escape_md(complaint.urgency or 'no urgency')}**"
        )
    with st.form(key=f"grievance-{complaint.id}", border=False):
        department, urgency = _label_pickers(complaint, "g", blind=False)
        submitted = st.form_submit_button(
            "Save & next", type="primary", key="save_grievance", shortcut="Ctrl+Enter", icon=":material/check:"
        )
    st.caption("Keep the prediction and press Ctrl+Enter to confirm it, or change a label first. Alt+S skips.")
    _skip_button("skip_grievance", complaint.id, skipped)
    if submitted:
        _save(engine, complaint, department, urgency)
    _recent()
    _audit(engine)


def _next_complaint(engine, skipped: list[int]) -> tuple[str, store.Complaint | None]:
    """Every GOLD_EVERY-th complaint served to an admin (gold labels are theirs): a random one for the gold set;
    else the most needed review."""
    position = st.session_state.get(SERVED, 0)
    st.session_state[SERVED] = position + 1
    who = ui.identity()
    may_label_gold = who is not None and who.can(auth.ADMIN)
    if may_label_gold and position % review_queue.GOLD_EVERY == review_queue.GOLD_EVERY - 1:
        rng = st.session_state.setdefault(GOLD_RNG, random.Random())
        gold_id = review_queue.next_gold(engine, rng, exclude=skipped)
        if gold_id is not None:
            return "gold", store.get_complaint(engine, gold_id)
    ranked = review_queue.next_ranked(engine, exclude=skipped)
    if ranked is not None:
        return "review", store.get_complaint(engine, ranked)
    queue = store.grievance_queue(engine, limit=1, exclude_ids=skipped)
    return "review", queue[0] if queue else None


def _gold(engine, complaint: store.Complaint, skipped: list[int]) -> None:
    """Blind labelling: no prediction shown anywhere (not in captions, defaults or help texts)."""
    with st.container(border=True):
        st.caption(f"Complaint #{complaint.id} · random sample for the gold set: label it from the text alone")
        st.html(ui.literal_html(complaint.message))
    with st.form(key=f"gold-{complaint.id}", border=False):
        department, urgency = _label_pickers(complaint, "gold", blind=True)
        submitted = st.form_submit_button(
            "Save & next", type="primary", key="save_gold", shortcut="Ctrl+Enter", icon=":material/check:"
        )
    _skip_button("skip_gold", complaint.id, skipped)
    if not submitted:
        return
    reviewer = ui.reviewer_for_save(auth.ADMIN)
    if reviewer is None:
        return
    try:
        store.save_gold_label(engine, complaint.id, department, urgency, reviewer)
    except ReviewValidationError as exc:
        _not_saved(exc)
        return
    st.session_state.pop(CURRENT, None)
    st.session_state[FLASH] = ("success", f"Complaint #{complaint.id}: gold label saved.")
    st.rerun()


def _save(engine, complaint: store.Complaint, department: str | None, urgency: str | None) -> None:
    reviewer = ui.reviewer_for_save()
    if reviewer is None:
        return
    try:
        saved = store.save_grievance_review(engine, complaint.id, department, urgency, reviewer)
    except ReviewValidationError as exc:
        _not_saved(exc)
        return
    st.session_state.pop(CURRENT, None)
    verdict = "prediction confirmed" if saved.confirmed else f"corrected to {department} / {urgency}"
    st.session_state[FLASH] = ("success", f"Complaint #{complaint.id}: {verdict}.")
    recent = st.session_state.setdefault(RECENT, [])
    recent.insert(
        0,
        {
            "complaint": complaint.id,
            "department": department,
            "urgency": urgency,
            "confirmed": saved.confirmed,
            "reviewed at (UTC)": saved.reviewed_at,
        },
    )
    del recent[10:]
    st.rerun()


def _audit(engine) -> None:
    """Who labelled a complaint and when: every reviewed row is kept, newest first."""
    with st.expander("Audit a complaint", icon=":material/history:"):
        complaint_id = st.number_input("Complaint id", min_value=1, step=1, value=None, key="audit_complaint")
        if complaint_id is None:
            return
        history = store.grievance_history(engine, int(complaint_id))
        if not history:
            st.caption(f"Complaint #{int(complaint_id)} has no saved review.")
            return
        rows = [
            {
                "review": r.id,
                "reviewer": r.reviewer,
                "reviewed at (UTC)": r.reviewed_at,
                "predicted": f"{r.model_predicted_department} / {r.model_predicted_urgency}",
                "labelled": f"{r.correct_department} / {r.correct_urgency}",
            }
            for r in history
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _recent() -> None:
    recent = st.session_state.get(RECENT)
    if recent:
        st.caption("Your latest reviews this session")
        st.dataframe(pd.DataFrame(recent), hide_index=True, width="stretch")


main()
