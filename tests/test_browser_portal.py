"""An enterprise user in a real browser, on a phone and a desktop: log in, read the
dashboard, reply to a complaint. Screenshots go to artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey import db as survey_db
from survey.model import ComplaintReply
from tests.portal_support import PASSWORD, demo_portal  # noqa: F401
from tests.test_browser import (  # noqa: F401
    ARGS,
    ARTIFACTS,
    PHONE,
    browser,
    pytestmark,
    serving,
    watch_csp,
)

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def portal_server(demo_app):
    with serving(demo_app) as url:
        yield url


@pytest.mark.parametrize(("size", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_enterprise_user_reads_dashboard_and_replies(browser, portal_server, demo_portal,  # noqa: F811
                                                     demo_app, size, options):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(**options)
    page = context.new_page()
    violations = watch_csp(page)
    page.goto(f"{portal_server}/portal/")
    page.fill('input[name="email"]', demo_portal["email"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.select_option('select[name="wave"]', str(demo_portal["waves"]["2026Q3"]))
    page.click("text=显示")
    page.wait_for_selector("#index")
    assert page.locator("#index .big").inner_text().replace(".", "").isdigit()
    assert page.locator("figure svg").count() >= 4
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= options["viewport"]["width"], width  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / f"portal-dashboard-{size}.png"), full_page=True)
    page.click("header >> text=投诉")
    page.select_option('select[name="wave"]', str(demo_portal["waves"]["2026Q3"]))
    page.click("text=显示")
    page.locator("text=查看并回复").first.click()
    reply = f"已联系顾客并改进（{size}）"
    page.fill('textarea[name="body"]', reply)
    page.check('input[name="handled"]')
    page.click("text=保存回复")
    page.wait_for_selector(f"text={reply}")
    assert page.locator("text=已标记为办结").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"portal-complaint-{size}.png"), full_page=True)
    context.close()
    assert violations == []  # the portal loads under the Content-Security-Policy
    session = survey_db.session_scope(demo_app)
    try:
        stored = session.scalars(select(ComplaintReply).where(ComplaintReply.body == reply)).all()
        assert len(stored) == 1 and stored[0].marks_handled
        assert stored[0].enterprise_id == demo_portal["enterprise_id"]
    finally:
        session.close()
