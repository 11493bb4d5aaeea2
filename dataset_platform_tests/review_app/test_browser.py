"""End to end: the review app as a real server driven by headless Debian Chromium (Playwright, no browser
download); a reviewer corrects a demo form, the row lands in the review DB (SQLite and Postgres) and
the new-reviews sensor would request a ground-truth rebuild. Stores screenshots."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa

from dataset_platform.common import db
from dataset_platform.resources.review_db import ReviewDatabase
from dataset_platform.review_app import store
from dataset_platform.review_app.launch import streamlit_command
from dataset_platform_tests.review_app.conftest import write_extraction

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "review_app.png"
REVIEWER = f"local:{getpass.getuser()}"  # the single-user local mode on 127.0.0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_forms(platform_home):
    """Three rendered demo form sets; the first one's model extraction misread the district and a vote count."""
    from dataset_platform.forms.demo import render_demo_form_sets

    made = render_demo_form_sets(platform_home / "forms", 3, 1)
    for n, (form_set_id, truth) in enumerate(made):
        extraction, error = truth.model_dump(mode="json"), None
        if n == 0:
            extraction["form_info"]["district"] = "เมืองขอนแกน"
            extraction["vote_results"][0]["vote_count"] += 10
        elif n == 1:
            extraction, error = None, "ResourceExhausted: quota"
        write_extraction(platform_home, form_set_id, extraction, error)
    form_set_id, truth = made[0]
    return form_set_id, truth.model_dump(mode="json"), made[2]


@contextmanager
def review_server(db_url: str, home: Path, log: Path, *, port: int | None = None, secrets: Path | None = None):
    port = port or _free_port()
    env = {**os.environ, "DATASET_PLATFORM_HOME": str(home), "POSTGRES_URL": db_url}
    with log.open("w") as out:
        proc = subprocess.Popen(
            streamlit_command("127.0.0.1", port, secrets=secrets), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"review app did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def settle(page, sync_api) -> None:
    """Wait until Streamlit has started, then finished, rerunning the script after an interaction."""
    running = page.locator('[data-testid="stStatusWidget"]')
    try:
        running.wait_for(state="visible", timeout=2_000)
    except sync_api.TimeoutError:
        pass  # the rerun finished before we looked
    running.wait_for(state="hidden", timeout=60_000)


def evaluate_sensor(instance, db_url: str, cursor: str | None):
    from dataset_platform.defs.reviews.automation import new_reviews_sensor

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"review_db": ReviewDatabase(url=db_url)}
    )
    return new_reviews_sensor(context)


def test_reviewer_corrects_a_form_in_chromium(demo_forms, db_url, platform_home, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (scripts/system-deps.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    form_set_id, truth, (earlier_id, earlier_truth) = demo_forms
    engine = store.get_engine(db_url)
    store.save_extraction_review(engine, earlier_id, earlier_truth, "demo-reviewer")  # reviewed before this session

    with dg.instance_for_test() as instance:
        before = evaluate_sensor(instance, db_url, None)  # the sensor's high-water mark before the session

        with review_server(db_url, platform_home, tmp_path / "server.log") as url, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            try:
                page.goto(url)
                page.get_by_role("button", name="Save review").wait_for(timeout=60_000)
                settle(page, sync_api)
                page.get_by_role("combobox", name="Form set").click()
                page.keyboard.type(form_set_id)
                page.keyboard.press("Enter")
                settle(page, sync_api)
                district = page.get_by_role("textbox", name="เขต/อำเภอ · district", exact=True)
                sync_api.expect(district).to_have_value("เมืองขอนแกน", timeout=30_000)  # the model's misreading
                district.fill(truth["form_info"]["district"])
                district.press("Enter")
                settle(page, sync_api)
                page.get_by_role("button", name="Save review").click()
                page.get_by_text("Saved review").wait_for(timeout=30_000)
                settle(page, sync_api)
                page.screenshot(path=str(tmp_path / "review_app.png"))
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"))
                print(f"failure screenshot: {tmp_path / 'failure.png'}, server log: {tmp_path / 'server.log'}")
                raise
            finally:
                browser.close()

        with engine.connect() as conn:
            row = conn.execute(sa.select(db.extraction_reviews).order_by(db.extraction_reviews.c.id.desc())).first()
        assert (row.form_set_id, row.reviewer) == (form_set_id, REVIEWER)
        assert row.corrected_extraction["form_info"] == truth["form_info"]

        after = evaluate_sensor(instance, db_url, before.cursor)
        assert [r.job_name for r in after.run_requests] == ["ground_truth_refresh_job"]
        assert [r.run_key for r in after.run_requests] != [r.run_key for r in before.run_requests]

    assert (tmp_path / "review_app.png").stat().st_size > 10_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):  # refresh the README's picture on purpose only
        shutil.copyfile(tmp_path / "review_app.png", DOCS_SCREENSHOT)
