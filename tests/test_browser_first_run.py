"""What a new user sees in a real browser: the landing page, both bulletin editions and a
job's progress bar. Screenshots go to artifacts/; with MANYI_SCREENSHOTS_TO_DOCS=1 they
refresh the README's quick-start pictures in docs/ instead (a test run leaves the tree clean)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_browser import ARTIFACTS, browser, pytestmark, watch_csp  # noqa: F401
from tests.test_browser_console import PASSWORD, demo_server  # noqa: F401

DOCS = (Path(__file__).resolve().parent.parent / "docs"
        if os.environ.get("MANYI_SCREENSHOTS_TO_DOCS") == "1" else ARTIFACTS)


@pytest.fixture
def published_server(demo_app, demo_server):  # noqa: F811
    """The demo served with its closed wave's bulletin published (both editions)."""
    result = demo_app.test_cli_runner().invoke(args=["publish", "--wave", "2026Q3"])
    assert result.exit_code == 0, result.output
    return demo_server


def test_landing_page_and_both_bulletin_editions(browser, published_server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)
    page.goto(f"{published_server}/")
    assert page.locator("table.glance:not(.families) tbody tr").count() == 3
    assert page.locator("table.glance.families tbody tr").count() == 2  # products, construction
    assert page.locator("text=生产性服务业").count() >= 1
    assert page.locator(".glance-chart svg circle").count() == 3
    page.screenshot(path=str(DOCS / "landing.png"), full_page=True)
    page.click("text=阅读公报")
    page.frame_locator("iframe.bulletin").locator("text=2026年第3期").first.wait_for()
    page.screenshot(path=str(DOCS / "bulletin-zh.png"))
    page.goto(f"{published_server}/bulletins/2026Q3?lang=en")
    frame = page.frame_locator("iframe.bulletin")
    frame.locator("text=1. Main results").first.wait_for()
    assert frame.locator("text=producer-services index").count() >= 1
    href = page.locator("a.pdf-link").get_attribute("href")
    assert "lang=en" in href
    pdf = page.request.get(f"{published_server}{href}")
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    page.screenshot(path=str(DOCS / "bulletin-en.png"))
    page.goto(f"{published_server}/?lang=en")
    assert page.locator("text=Producer services").count() >= 1
    context.close()
    assert violations == []


def test_a_job_shows_a_progress_bar_with_its_step(browser, demo_server):  # noqa: F811
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)
    page.goto(f"{demo_server}/console/")
    page.fill('input[name="email"]', "chief@bureau.test")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.click("text=调查期次")
    page.locator("tr", has_text="2026Q4").locator("text=结果").click()
    page.click("text=立即计算")
    bar = page.locator("progress.job-bar")
    bar.wait_for()
    assert 0 <= int(bar.get_attribute("value")) <= 100
    try:  # the page refreshes itself every 2 s: catch it while the job runs
        page.wait_for_selector(".status-running", timeout=60_000)
    except PlaywrightTimeout:
        pass  # finished between two refreshes
    else:
        assert page.locator(".job-step").inner_text().strip()
        assert page.locator(".job-eta").inner_text().strip()
        page.screenshot(path=str(DOCS / "job-progress.png"))
    page.wait_for_selector(".status-done, .status-failed", timeout=180_000)
    assert page.locator(".status-done").count() == 1, page.content()
    assert page.locator("progress.job-bar").get_attribute("value") == "100"
    context.close()
    assert violations == []
