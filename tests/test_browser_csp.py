"""Every page the app serves loads under its Content-Security-Policy in a real browser.

Chromium reports each blocked inline style, inline script or foreign resource as a console
error; the pages must produce none and must still look styled (their CSS lives in /static).
"""

from __future__ import annotations

import pytest

from survey import db as survey_db
from survey.demo.district import first_open_link
from tests.test_browser import PHONE, browser, pytestmark, watch_csp  # noqa: F401
from tests.test_browser_console import PASSWORD, demo_server  # noqa: F401


@pytest.fixture
def open_token(demo_app):
    session = survey_db.session_scope(demo_app)
    try:
        return first_open_link(session).token
    finally:
        session.close()


def test_respondent_pages_load_without_csp_violations(browser, demo_server,  # noqa: F811
                                                      open_token):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    violations = watch_csp(page)
    page.goto(f"{demo_server}/s/{open_token}")
    # survey.js runs (it draws the progress bar) and survey.css applies.
    page.locator("input[type=radio] + span").first.tap()
    assert page.locator("#bar").evaluate("e => e.style.width") not in ("", "0%")
    for path in ("/privacy", "/s/no-such-link-here", "/bulletins/"):
        page.goto(f"{demo_server}{path}")
    assert page.locator("footer.foot").evaluate("e => getComputedStyle(e).display") != "inline"
    context.close()
    assert violations == []


def test_console_pages_load_without_csp_violations(browser, demo_server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)
    page.goto(f"{demo_server}/console/login")
    page.fill('input[name="email"]', "chief@bureau.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/console/")
    for path in ("/console/", "/console/categories", "/console/waves", "/console/instruments",
                 "/console/audit", "/console/enterprises/new", "/console/enterprises"):
        page.goto(f"{demo_server}{path}")
    # The search form's layout came from an inline style; it now comes from console.css.
    assert page.locator("form.filters").evaluate("e => getComputedStyle(e).display") == "flex"
    page.goto(f"{demo_server}/console/enterprises/import")
    page.set_input_files('input[type="file"]', files=[{
        "name": "e.csv", "mimeType": "text/csv",
        "buffer": "名称,统一社会信用代码,行业\n某店,BAD,餐饮\n".encode("gbk")}])
    page.click('main button[type="submit"]')
    page.wait_for_selector("button.secondary")
    grey = page.locator("button.secondary").evaluate("e => getComputedStyle(e).backgroundColor")
    assert grey == "rgb(82, 96, 109)"
    context.close()
    assert violations == []
