"""A bureau admin in a real browser: log in, open a wave, compute it, publish its bulletin."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from survey import db as survey_db
from survey.model import Bulletin, User, Wave
from survey.ops.accounts import hash_password
from tests.test_browser import ARTIFACTS, browser, pytestmark, serving, watch_csp  # noqa: F401

PASSWORD = "correct horse 42"


@pytest.fixture
def demo_server(demo_app):
    """The demo app served on a free loopback port, with an admin account."""
    session = survey_db.session_scope(demo_app, write=True)
    if session.scalar(select(User).where(User.email == "chief@bureau.test")) is None:
        session.add(User(email="chief@bureau.test", name="局长", role="admin",
                         password_hash=hash_password(PASSWORD)))
    # End the writer's transaction (BEGIN IMMEDIATE): held open it would lock out the app.
    session.commit()
    with serving(demo_app) as url:
        yield url
    session.execute(delete(Bulletin))
    session.execute(update(Wave).where(Wave.code == "2026Q3").values(status="closed"))
    session.commit()
    session.close()


def _wait_for_job(page) -> None:
    # The job page refreshes itself every 2 seconds until the job is done.
    page.wait_for_selector(".status-done, .status-failed", timeout=180_000)
    assert page.locator(".status-done").count() == 1, page.content()


def test_admin_computes_and_publishes_a_bulletin(browser, demo_server):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)  # the results' charts and the bulletin frame included
    page.goto(f"{demo_server}/console/")
    page.fill('input[name="email"]', "chief@bureau.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.click("text=调查期次")
    page.screenshot(path=str(ARTIFACTS / "console-waves.png"), full_page=True)
    row = page.locator("tr", has_text="2026Q3")
    row.locator("text=结果").click()
    page.click("text=立即计算")
    _wait_for_job(page)
    page.click("text=查看结果")
    assert page.locator("text=与目标无显著差异").count() + page.locator("text=达标").count() > 0
    page.screenshot(path=str(ARTIFACTS / "console-results.png"), full_page=True)
    page.click("text=发布公报")
    _wait_for_job(page)
    page.click("text=查看已发布的公报")
    frame = page.frame_locator("iframe.bulletin")
    frame.locator("text=2026年第3期").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "bulletin-page.png"), full_page=True)
    context.close()
    assert violations == []
