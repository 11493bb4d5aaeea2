"""Both pages of the review app driven headlessly by Streamlit's AppTest, on SQLite and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

import dataset_platform.review_app as review_app
from dataset_platform.common import db
from dataset_platform.review_app import store
from dataset_platform_tests.review_app.conftest import GOOD

APP = Path(review_app.__file__).parent / "app.py"
FORM = "bkk-d01-s001"  # the inconsistent fixture form: district and candidate 1's votes are wrong


@pytest.fixture
def engine(db_url, seeded_engine, form_sets, monkeypatch):
    monkeypatch.setenv("POSTGRES_URL", db_url)
    return seeded_engine


# OIDC mode as st.login leaves it: Streamlit's [auth] settings plus the platform's role allow-list.
SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-0123456789abcdef",
        "client_id": "review-app",
        "client_secret": "s3cret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    },
    "review_app": {"reviewers": ["*@example.org"], "viewers": ["viewer@elsewhere.org"], "admins": ["boss@example.org"]},
}


def email(reviewer: str) -> str:
    return f"{reviewer.lower()}@example.org"


def open_app(reviewer: str | None = "Somchai", user: dict | None = None) -> AppTest:
    """The app for a signed-in user: ``reviewer`` names one with the reviewer role; None a viewer."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets.update(SECRETS)
    if user is None:
        address = email(reviewer) if reviewer else "viewer@elsewhere.org"
        user = {"is_logged_in": True, "sub": f"sub-{address}", "email": address, "email_verified": True}
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_form(at: AppTest, form_set_id: str = FORM) -> AppTest:
    select = next(s for s in at.selectbox if s.label == "Form set")
    select.set_value(form_set_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def correct(at: AppTest, district: str = "สันทราย", votes: str = "๒๑๑") -> AppTest:
    at.text_input(key=f"{FORM}:form_info.district").set_value(district)
    at.session_state[f"{FORM}:candidates"] = {
        "edited_rows": {0: {"vote_count": votes}},
        "added_rows": [],
        "deleted_rows": [],
    }
    return at.run()


def rules_markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith((":green[", ":red["))]


def reviews(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(db.extraction_reviews).order_by(db.extraction_reviews.c.id)).all()


def test_queue_starts_with_the_form_needing_review_and_shows_the_status_strip(engine, monkeypatch):
    monkeypatch.setenv("DAGSTER_UI_URL", "http://dagster.internal:3000")
    store.save_extraction_review(engine, "cnx-d03-s012", GOOD, "Somchai")
    at = open_app()
    assert next(s for s in at.selectbox if s.label == "Form set").value == FORM  # needs review (broken rules)
    open_form(at, "kkc-d02-s007")
    assert any("Model extraction failed: ResourceExhausted" in w.value for w in at.warning)
    assert any("Ground truth** not built yet" in c.value and "**1** form reviews since" in c.value for c in at.caption)
    [link] = at.get("link_button")
    assert link.proto.url == "http://dagster.internal:3000/assets/ground_truth_dataset"


def test_page_images_zoom(engine):
    at = open_app()
    assert len(at.image) == 2  # the page and its full-size version
    at.select_slider(key="zoom").set_value(3.0).run()
    at.slider(key="pan_y").set_value(50).run()
    assert not at.exception and len(at.image) == 2


def test_pages_are_shown_in_natural_order_and_pdf_pages_render(engine, platform_home):
    from dataset_platform.review_app import form_queue
    from dataset_platform_tests.forms.test_pages import write_pdf
    from dataset_platform_tests.review_app.conftest import write_page

    for n in (10, 3):
        write_page(platform_home / "forms" / FORM / f"page_{n:d}.png", f"page {n}")
    form_queue._ITEMS.clear()
    at = open_form(open_app())
    assert at.radio(key=f"{FORM}:page").options == ["page_01.png", "page_02.png", "page_3.png", "page_10.png"]
    for name in ("page_01.png", "page_02.png", "page_3.png", "page_10.png"):
        (platform_home / "forms" / FORM / name).unlink()
    write_pdf(platform_home / "forms" / FORM / "scan.pdf", [(255, 0, 0), (0, 0, 255)])
    at = open_form(open_app())
    pages = at.radio(key=f"{FORM}:page")
    assert pages.options == ["scan.pdf#1", "scan.pdf#2"]
    pages.set_value("scan.pdf#2").run()
    assert not at.exception and len(at.image) == 2 and not at.warning


def test_uncertain_fields_are_marked_and_a_batch_form_shows_only_its_fields(engine, platform_home):
    import json

    path = platform_home / "extractions" / "cnx-d03-s012.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["uncertain_fields"] = ["ballot_statistics.good_ballots", "vote_results[1].vote_count"]
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    at = open_app()
    assert next(s for s in at.selectbox if s.label == "Form set").value == "cnx-d03-s012"  # uncertain comes first
    labels = [t.label for t in at.text_input]
    assert "⚠ บัตรดี · good ballots" in labels and "บัตรเสีย · bad ballots" in labels
    assert any("could not read: no. 2 vote_count" in w.value for w in at.warning)

    at.text_input(key="cnx-d03-s012:form_info.form_type").set_value("ส.ส. ๕/๑๖").run()
    keys = {t.key for t in at.text_input}
    assert "cnx-d03-s012:ballot_statistics.ballots_allocated" not in keys
    assert "cnx-d03-s012:voter_statistics.eligible_voters" not in keys
    assert "cnx-d03-s012:ballot_statistics.good_ballots" in keys and "cnx-d03-s012:form_info.province" in keys
    assert any(c.value.startswith("Not on a ส.ส. 5/16 form") for c in at.caption)
    assert [m for m in rules_markdown(at) if "ballots_allocated" in m] == []  # the balance rule does not apply
    at.text_input(key="cnx-d03-s012:form_info.form_type").set_value("ส.ส. 5/18 (บช)").run()
    assert any(m.value.startswith("**Parties**") for m in at.markdown)


def test_saving_a_correction(engine):
    at = open_form(open_app())
    assert sum(m.startswith(":red[") for m in rules_markdown(at)) == 2  # vote_sum and words_match_digits broken
    correct(at)
    assert all(m.startswith(":green[") for m in rules_markdown(at)), rules_markdown(at)  # re-checked live
    at.button(key="save_review").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("Saved review" in s.value for s in at.success)
    [row] = reviews(engine)
    assert row.form_set_id == FORM and row.reviewer == "somchai@example.org"
    assert row.corrected_extraction == GOOD  # Thai digits normalised, the rest as the model read it
    assert next(s for s in at.selectbox if s.label == "Form set").value == FORM  # stays on the saved form
    assert "Review history (1)" in [e.label for e in at.expander]


def test_candidate_rows_can_be_added_and_removed(engine):
    at = open_form(open_app())
    at.session_state[f"{FORM}:candidates"] = {
        "edited_rows": {},
        "added_rows": [
            {
                "candidate_number": "๓",
                "candidate_name": "นายใหม่ มาก่อน",
                "party_name": "ไทยสร้างไทย",
                "vote_count": "-",
                "vote_count_text": "-",
            }
        ],  # "-" is the forms' zero
        "deleted_rows": [1],
    }
    at.run()
    at.button(key="save_review").click().run()
    assert not at.error, [e.value for e in at.error]
    [row] = reviews(engine)
    assert [
        (c["candidate_number"], c["vote_count"], c["vote_count_text"]) for c in row.corrected_extraction["vote_results"]
    ] == [
        (1, 210, "สองร้อยสิบเอ็ด"),
        (3, 0, None),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ballot_statistics.good_ballots", "-400", "must not be negative"),
        ("voter_statistics.voters_present", "สี่ร้อย", "not a number"),
        ("form_info.province", "ก" * 5000, "too long"),
        ("form_info.election_date", "last Sunday", "not a date"),
    ],
)
def test_invalid_input_writes_nothing(engine, field, value, message):
    at = open_form(open_app())
    at.text_input(key=f"{FORM}:{field}").set_value(value).run()
    assert any(field in e.value and message in e.value for e in at.error)  # shown live, before saving
    at.button(key="save_review").click().run()
    assert any(e.value.startswith("Not saved") and field in e.value for e in at.error)
    assert reviews(engine) == []


def test_a_viewer_reads_but_cannot_save(engine):
    at = open_form(open_app(reviewer=None))
    at.button(key="save_review").click().run()
    assert any("needs the reviewer role" in e.value for e in at.error)
    assert reviews(engine) == []


def test_concurrent_saves_keep_both_and_latest_wins(engine):
    first, second = open_form(open_app("Somchai")), open_form(open_app("Malee"))
    correct(first, district="สันทราย")
    correct(second, district="เมืองเชียงใหม่")
    first.button(key="save_review").click().run()
    second.button(key="save_review").click().run()
    assert [r.reviewer for r in reviews(engine)] == ["somchai@example.org", "malee@example.org"]
    assert store.latest_reviews(engine)[FORM].extraction["form_info"]["district"] == "เมืองเชียงใหม่"
    note = next(s.value for s in second.success if "Saved review" in s.value)
    assert "somchai@example.org saved this form" in note  # the second reviewer learns someone saved in between
    assert "Review history (2)" in [e.label for e in second.expander]


def test_export_buttons(engine, platform_home):
    (platform_home / "exports").mkdir()
    (platform_home / "exports" / "vote-extraction.json").write_text("{}")
    at = open_app()
    labels = [b.label for b in at.get("download_button")]
    assert any(label.startswith("Ground truth") for label in labels)
    assert "Datadog export (vote-extraction.json)" in labels


def grievances(reviewer: str | None = "Nok") -> AppTest:
    at = open_app(reviewer)
    at.switch_page("views/grievances.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def misclassified(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(db.misclassified_complaints).order_by(db.misclassified_complaints.c.id)).all()


def test_grievances_confirm_correct_and_move_on(engine):
    at = grievances()
    [message] = [h.value for h in at.get("html") if "ไฟถนนดับมาสามวัน" in h.value]
    assert "**ด่วน** &lt;script&gt;" in message and "<script>" not in message  # shown literally, never run
    assert at.selectbox(key="g1.department").value == "Infrastructure, Utilities & Natural Resources"  # pre-filled
    assert at.selectbox(key="g1.urgency").value == "URGENT"
    at.button(key="save_grievance").click().run()  # confirm as predicted
    assert any("prediction confirmed" in s.value for s in at.success)
    assert any("โรงเรียนไม่มีครู" in h.value for h in at.get("html"))  # next complaint loaded by itself
    at.selectbox(key="g2.department").set_value("Education, Health & Social Welfare")
    at.button(key="save_grievance").click().run()
    assert any("corrected to Education" in s.value for s in at.success)

    rows = misclassified(engine)
    assert [(r.complaint_id, r.model_predicted_department, r.correct_department, r.reviewed) for r in rows] == [
        (1, "Infrastructure, Utilities & Natural Resources", "Infrastructure, Utilities & Natural Resources", True),
        (2, "Security & Law Enforcement", "Education, Health & Social Welfare", True),
    ]
    assert at.selectbox(key="g3.department").value is None  # no prediction: the reviewer must choose
    at.button(key="save_grievance").click().run()
    assert any("choose a department" in e.value for e in at.error)
    assert len(misclassified(engine)) == 2


def test_grievances_skip_and_role_required(engine):
    at = grievances(reviewer=None)
    at.button(key="save_grievance").click().run()
    assert any("needs the reviewer role" in e.value for e in at.error)
    at.button(key="skip_grievance").click().run()
    assert any("โรงเรียนไม่มีครู" in h.value for h in at.get("html"))
    assert misclassified(engine) == []


def test_grievance_queue_is_shared_between_reviewers(engine):
    a, b = grievances("A"), grievances("B")
    a.button(key="save_grievance").click().run()
    b.button(key="save_grievance").click().run()  # B still had complaint 1 on screen
    assert any("already reviewed" in w.value for w in b.warning)
    assert [r.complaint_id for r in misclassified(engine)] == [1]
    b.run()
    assert any("โรงเรียนไม่มีครู" in h.value for h in b.get("html"))
