"""Forms page: the review queue, one form set's pages beside its editable extraction, live rule checks, save."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dataset_platform.forms.consistency import RULE_FIELDS, RULES, broken_candidates, check_rules
from dataset_platform.forms.schema import (
    CANDIDATE_FIELDS,
    FORM_KINDS,
    SECTION_FIELDS,
    canonical_form_type,
    is_party_list,
    present_fields,
)
from dataset_platform.review_app import form_queue, status, store, ui
from dataset_platform.review_app.validation import ReviewValidationError, normalise_extraction

FIELD_LABELS = {
    "form_type": "แบบ · form type",
    "province": "จังหวัด · province",
    "district": "เขต/อำเภอ · district",
    "sub_district": "แขวง/ตำบล · sub-district",
    "constituency_number": "เขตเลือกตั้งที่ · constituency",
    "polling_station_number": "หน่วยเลือกตั้งที่ · polling station",
    "election_date": "วันที่เลือกตั้ง · election date",
    "eligible_voters": "ผู้มีสิทธิเลือกตั้ง · eligible voters",
    "voters_present": "ผู้มาแสดงตน · voters present",
    "ballots_allocated": "บัตรที่ได้รับจัดสรร · ballots allocated",
    "ballots_used": "บัตรที่ใช้ · ballots used",
    "good_ballots": "บัตรดี · good ballots",
    "bad_ballots": "บัตรเสีย · bad ballots",
    "no_vote_ballots": "บัตรไม่เลือกผู้สมัครผู้ใด · no-vote ballots",
    "ballots_remaining": "บัตรที่เหลือ · ballots remaining",
    "candidate_number": "เลข · no.",
    "candidate_name": "ชื่อ · name",
    "party_name": "พรรค · party",
    "vote_count": "คะแนน · votes",
    "vote_count_text": "ตัวอักษร · in words",
    "vote_results.vote_count": "candidates' votes",
    "vote_results.vote_count_text": "candidates' votes in words",
}
# Plain symbols: emoji fonts are often missing on reviewers' machines.
STATUS_ICONS = {"uncertain": "◆", "inconsistent": "▲", "failed": "●", "unreviewed": "○", "reviewed": "✓"}
UNCERTAIN = "⚠ "
PARTY_LIST_LABELS = {"candidate_number": "เลขพรรค · list no.", "party_name": "พรรค · party"}
CURRENT = "current_form_set"
FLASH = "forms_flash"


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _fmt(value: Any) -> str:
    return "?" if value is None else f"{value:,}"


def explain_rule(rule: str, extraction: dict[str, Any]) -> str:
    """The rule with the reviewer's current numbers, so a broken one says which figures disagree."""
    b = extraction["ballot_statistics"]
    votes = [c["vote_count"] for c in extraction["vote_results"]]
    total = lambda *xs: None if any(x is None for x in xs) else sum(xs)  # noqa: E731
    if rule == "ballot_sum":
        s = total(b["good_ballots"], b["bad_ballots"], b["no_vote_ballots"])
        return (
            f"good {_fmt(b['good_ballots'])} + bad {_fmt(b['bad_ballots'])} + no-vote {_fmt(b['no_vote_ballots'])}"
            f" = {_fmt(s)} · ballots used {_fmt(b['ballots_used'])}"
        )
    if rule == "vote_sum":
        return f"Σ candidate votes {_fmt(total(*votes) if votes else 0)} · good ballots {_fmt(b['good_ballots'])}"
    if rule == "ballot_balance":
        s = total(b["ballots_used"], b["ballots_remaining"])
        return (
            f"used {_fmt(b['ballots_used'])} + remaining {_fmt(b['ballots_remaining'])} = {_fmt(s)}"
            f" · allocated {_fmt(b['ballots_allocated'])}"
        )
    bad = broken_candidates(extraction)
    return f"words ≠ digits for candidate no. {', '.join(map(str, bad))}" if bad else "words match digits"


@st.cache_data(max_entries=64, show_spinner=False)
def _page_view(path: str, page_index: int | None, mtime: float, zoom: float, x: int, y: int) -> bytes:
    """The page (or, zoomed in, the part of it at x%/y%) as JPEG bytes; PDF pages rendered as the model reads them."""
    from dataset_platform.forms.pages import PageRef, open_page

    img = open_page(PageRef(path, Path(path).name, page_index))
    if zoom > 1:
        w, h = img.size
        cw, ch = int(w / zoom), int(h / zoom)
        left, top = int((w - cw) * x / 100), int((h - ch) * y / 100)
        img = img.crop((left, top, left + cw, top + ch))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def show_pages(form_set_id: str, pages: list[Any]) -> None:
    """Pages in the natural order the model reads them (``page_2`` before ``page_10``, a PDF's pages in order)."""
    from dataset_platform.forms.pages import UnreadableFormSet

    if not pages:
        st.info("No page images or PDFs for this form set.")
        return
    names = [p.name for p in pages]
    page = st.radio("Page", names, horizontal=True, key=f"{form_set_id}:page", label_visibility="collapsed")
    zoom = st.select_slider(
        "Zoom", options=[1.0, 1.5, 2.0, 3.0, 4.0], value=1.0, key="zoom", format_func=lambda z: f"{z:g}×"
    )
    x = y = 0
    if zoom > 1:
        c1, c2 = st.columns(2)
        x = c1.slider("Across", 0, 100, 0, 5, key="pan_x")
        y = c2.slider("Down", 0, 100, 0, 5, key="pan_y")
    ref = pages[names.index(page)]
    try:
        mtime = Path(ref.path).stat().st_mtime
        st.image(
            _page_view(ref.path, ref.page_index, mtime, zoom, x, y), caption=f"{form_set_id} · {page}", width="stretch"
        )
        with st.expander("Full-size page"):
            st.image(_page_view(ref.path, ref.page_index, mtime, 1.0, 0, 0), width="content")
    except (OSError, UnreadableFormSet) as exc:
        st.warning(f"Cannot show {ui.escape_md(page)}: {ui.escape_md(str(exc))}")


def _load_base(form_set_id: str, history: list[store.ExtractionReview]) -> dict[str, Any]:
    """What the editor starts from: the latest review, else the model's extraction, else an empty form."""
    record = form_queue.load_extraction_record(form_set_id) or {}
    if history:
        latest = history[0]
        return {
            "extraction": latest.extraction,
            "review_id": latest.id,
            "source": f"latest review by {latest.reviewer} at {latest.reviewed_at:%Y-%m-%d %H:%M} UTC",
        }
    if record.get("extraction") is not None:
        return {
            "extraction": record["extraction"],
            "review_id": None,
            "source": f"model extraction ({record.get('model')})",
        }
    reason = record.get("error") or "no model extraction yet"
    return {"extraction": {}, "review_id": None, "source": f"empty form: {reason}"}


def _uncertain_rows(uncertain: tuple[str, ...], rows: list[dict[str, Any]]) -> list[str]:
    """``vote_results[i].field`` paths as "no. <candidate_number> <field>" for the reviewer."""
    out = []
    for path in uncertain:
        if not path.startswith("vote_results["):
            continue
        index, _, field = path[len("vote_results[") :].partition("].")
        number = rows[int(index)].get("candidate_number") if index.isdigit() and int(index) < len(rows) else index
        out.append(f"no. {number} {field or 'row'}")
    return out


def edit_extraction(form_set_id: str, base: dict[str, Any], uncertain: tuple[str, ...] = ()) -> dict[str, Any]:
    """The editor widgets for the fields of the form's kind; returns the raw (not yet validated) extraction.

    The kind is read from the form type as typed: fields a 5/16 or 5/17 batch does not carry are not shown
    (and saved empty); party-list (บช) forms show party rows without a candidate name. Fields the model
    could not read confidently are marked ⚠."""
    raw: dict[str, Any] = {}
    layout = {"form_info": 4, "voter_statistics": 2, "ballot_statistics": 3}
    titles = {"form_info": "Form", "voter_statistics": "Voters", "ballot_statistics": "Ballots"}
    form_type = None  # form_type is the first field: the fields after it follow its kind
    hidden: list[str] = []
    for section, fields in SECTION_FIELDS.items():
        values = base.get(section) or {}
        raw[section] = {}
        cols = None
        position = 0
        for name in fields:
            if name != "form_type" and name not in present_fields(form_type)[section]:
                hidden.append(name)
                raw[section][name] = None
                continue
            if cols is None:
                st.markdown(f"**{titles[section]}**")
                cols = st.columns(layout[section])
            label = (UNCERTAIN if f"{section}.{name}" in uncertain else "") + FIELD_LABELS[name]
            raw[section][name] = cols[position % layout[section]].text_input(
                label,
                value=_str(values.get(name)),
                key=f"{form_set_id}:{section}.{name}",
                max_chars=400,
                help=f"one of: {', '.join(FORM_KINDS)}" if name == "form_type" else None,
            )
            position += 1
            if name == "form_type":
                form_type = raw[section][name]
    kind = canonical_form_type(form_type)
    if hidden and kind:
        st.caption(f"Not on a {kind} form (left empty): " + ", ".join(FIELD_LABELS[f].split(" · ")[-1] for f in hidden))
    party_list = is_party_list(form_type)
    rows_in = base.get("vote_results") or []
    flagged = _uncertain_rows(uncertain, rows_in)
    st.markdown(
        "**Parties** (party-list form; add or delete rows at the table's edge)"
        if party_list
        else "**Candidates** (add or delete rows at the table's edge)"
    )
    if flagged:
        st.warning(UNCERTAIN + "The model could not read: " + ", ".join(flagged))
    columns: tuple[str, ...] = ("candidate_number", *CANDIDATE_FIELDS)
    if party_list:
        columns = tuple(c for c in columns if c != "candidate_name")
    narrow = ("candidate_number", "vote_count")
    rows = [{c: _str(r.get(c)) or None for c in columns} for r in rows_in]
    table = pd.DataFrame(rows, columns=list(columns), dtype=object)
    labels = {**FIELD_LABELS, **(PARTY_LIST_LABELS if party_list else {})}
    edited = st.data_editor(
        table,
        key=f"{form_set_id}:candidates",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.TextColumn(labels[c], max_chars=400, width="small" if c in narrow else "medium")
            for c in columns
        },
    )
    raw["vote_results"] = [
        {c: (None if pd.isna(v) else v) for c, v in row.items()} for row in edited.to_dict("records")
    ]
    return raw


def show_checks(cleaned: dict[str, Any], errors: dict[str, str]) -> None:
    rules = check_rules(cleaned)
    for rule, ok in rules.items():
        fields = ", ".join(FIELD_LABELS.get(f, f).split(" · ")[-1] for f in RULE_FIELDS[rule])
        text = f"**{RULES[rule]}** — {explain_rule(rule, cleaned)}"
        if ok:
            st.markdown(f":green[✔] {text}")
        else:
            st.markdown(f":red[✘] {text}  \n&nbsp;&nbsp;&nbsp;&nbsp;check: _{fields}_")
    if errors:
        ui.show_errors(errors, prefix="Input problems")


def _rules_ok(extraction: dict[str, Any]) -> str:
    rules = check_rules(extraction)
    return f"{sum(rules.values())}/{len(rules)}"


def show_history(history: list[store.ExtractionReview]) -> None:
    with st.expander(f"Review history ({len(history)})", expanded=False):
        if not history:
            st.caption("No reviews yet.")
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "review": r.id,
                        "reviewer": r.reviewer,
                        "reviewed at (UTC)": r.reviewed_at,
                        "rules ok": _rules_ok(r.extraction),
                        "latest": i == 0,
                    }
                    for i, r in enumerate(history)
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def show_export(engine) -> None:
    with st.expander("Export"):
        name, data, description = status.ground_truth_download(engine)
        st.download_button(f"Ground truth ({description})", data, file_name=name, mime="application/jsonl", key="dl_gt")
        live_name, live_data = status.live_ground_truth_download(engine)
        st.download_button(
            "Ground truth as of now (latest reviews)",
            live_data,
            file_name=live_name,
            mime="application/jsonl",
            key="dl_live",
        )
        export = status.latest_datadog_export()
        if export is None:
            st.caption("No Datadog export yet: materialise `datadog_dataset`.")
        else:
            st.download_button(
                f"Datadog export ({export.name})",
                export.read_bytes(),
                file_name=export.name,
                mime="application/json",
                key="dl_dd",
            )


def main() -> None:
    engine = ui.engine()
    st.title("Form review")
    ui.flash(FLASH)
    items = form_queue.build_queue(store.latest_reviews(engine))
    if not items:
        st.info(
            "No form sets yet. Put page images under `$DATASET_PLATFORM_HOME/forms/<id>/`"
            " or run `dataset-platform demo-data`."
        )
        show_export(engine)
        return

    f1, f2 = st.columns([3, 2])
    wanted = f1.multiselect("Status", form_queue.STATUSES, default=list(form_queue.STATUSES), key="status_filter")
    district = f2.selectbox("District", ["All", *form_queue.districts(items)], key="district_filter")
    shown = form_queue.filter_queue(items, wanted, None if district == "All" else district)
    counts = {s: sum(i.status == s for i in items) for s in form_queue.STATUSES}
    st.caption(" · ".join(f"{STATUS_ICONS[s]} {s} {n}" for s, n in counts.items()))
    with st.expander(f"Queue ({len(shown)} of {len(items)})", expanded=False):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "": STATUS_ICONS[i.status],
                        "form set": i.form_set_id,
                        "status": i.status,
                        "district": i.district,
                        "rules ok": i.rules_ok,
                        "reviewer": i.reviewer,
                        "problem": i.error
                        or ", ".join([*(f"{UNCERTAIN}{f}" for f in i.uncertain_fields), *i.broken_rules]),
                    }
                    for i in shown
                ]
            ),
            hide_index=True,
            width="stretch",
            height=240,
        )
    if not shown:
        st.info("Nothing matches the filters.")
        return
    ids = [i.form_set_id for i in shown]
    current = st.session_state.get(CURRENT)
    by_id = {i.form_set_id: i for i in shown}
    chosen = st.selectbox(
        "Form set",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=lambda i: f"{STATUS_ICONS[by_id[i].status]} {i} · {by_id[i].status}",
    )
    st.session_state[CURRENT] = chosen
    item = by_id[chosen]
    form_set_id = item.form_set_id

    history = store.review_history(engine, form_set_id)
    base_key = f"base:{form_set_id}"
    if base_key not in st.session_state or f"{form_set_id}:form_info.province" not in st.session_state:
        st.session_state[base_key] = _load_base(form_set_id, history)

    left, right = st.columns([5, 6], gap="medium")
    with left:
        show_pages(form_set_id, form_queue.page_images(form_set_id))
    with right:
        todo = [i for i in ids if by_id[i].status != "reviewed" and i != form_set_id]
        next_id = todo[0] if todo else ids[(ids.index(form_set_id) + 1) % len(ids)]
        editor_panel(engine, item, base_key, next_id)
        show_history(history)
    show_export(engine)


@st.fragment
def editor_panel(engine, item: form_queue.QueueItem, base_key: str, next_id: str) -> None:
    """The editor reruns on its own while the reviewer types, so the queue is not rebuilt per keystroke."""
    form_set_id = item.form_set_id
    base = st.session_state[base_key]
    st.caption(f"Editing from: {ui.escape_md(base['source'])}")
    if item.error:
        st.warning(f"Model extraction failed: {ui.escape_md(item.error)}")
    uncertain = item.uncertain_fields if base.get("review_id") is None else ()
    if uncertain:
        st.warning(f"{UNCERTAIN}Needs review: the model could not read {len(uncertain)} field(s), marked ⚠ below.")
    raw = edit_extraction(form_set_id, base["extraction"], uncertain)
    cleaned, errors = normalise_extraction(raw)
    st.markdown("**Consistency rules** (re-checked as you type)")
    show_checks(cleaned, errors)

    c1, c2, c3 = st.columns([2, 2, 2])
    save = c1.button("Save review", type="primary", key="save_review", icon=":material/save:")
    if c2.button("Next in queue", key="next_form"):
        st.session_state[CURRENT] = next_id
        st.rerun()
    if c3.button("Discard edits", key="reload_form"):
        for key in [k for k in st.session_state if str(k).startswith(f"{form_set_id}:") or k == base_key]:
            del st.session_state[key]
        st.rerun()
    if save:
        _save(engine, form_set_id, raw, base)


def _save(engine, form_set_id: str, raw: dict[str, Any], base: dict[str, Any]) -> None:
    reviewer = ui.reviewer_for_save()
    if reviewer is None:
        return
    history = store.review_history(engine, form_set_id)
    try:
        saved = store.save_extraction_review(engine, form_set_id, raw, reviewer)
    except ReviewValidationError as exc:
        ui.show_errors(exc.errors)
        return
    message = (
        f"Saved review #{saved.id} of {form_set_id} by {saved.reviewer}."
        " The ground truth rebuilds on the sensor's next tick."
    )
    latest_before = history[0] if history else None
    if latest_before is not None and latest_before.id != base["review_id"]:
        message += (
            f"\n\nNote: {latest_before.reviewer} saved this form at {latest_before.reviewed_at:%H:%M} UTC"
            " after you opened it;"
            " yours is now the latest, theirs stays in the history."
        )
    base["review_id"] = saved.id
    base["source"] = f"your review #{saved.id} ({reviewer}), edited from {base['source']}"
    st.session_state[FLASH] = ("success", message)
    st.rerun()


main()
