"""A real phone browser (Debian's chromium via Playwright) answers the survey end to end."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

import instruments
from survey.model import Response

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "device_scale_factor": 2}
ARTIFACTS = Path(os.environ.get("MANYI_ARTIFACTS", Path(__file__).resolve().parent.parent
                                / "artifacts"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@contextlib.contextmanager
def serving(app):
    """Serve `app` with werkzeug on a free loopback port in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


def watch_csp(page) -> list[str]:
    """Collect the console messages in which Chromium reports a CSP violation."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return seen


@pytest.fixture
def live_server(app):
    """The real app on a loopback port."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _answer_everything(page, instrument_code: str) -> None:
    for item in instruments.get(instrument_code).items:
        value = "8" if item.scale.kind == "rating" else "0"
        # Tap the visible box (the span), as a thumb would; the radio itself is hidden.
        page.locator(f'input[name="{item.code}"][value="{value}"] + span').tap()
    page.locator('input[name="age_band"][value="30_44"] + span').tap()
    page.fill("#comment", "服务不错,环境也干净。")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_phone_respondent_answers_and_reaches_thanks(
    browser, live_server, make_link, db_session, javascript
):
    link = make_link("catering", location="一楼")
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/s/{link.token}")
    assert "顾客满意度调查" in page.title()
    box = page.locator('input[name="sat_overall"][value="10"] + span').bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    _answer_everything(page, "catering")
    if javascript:
        assert page.locator("#bar").evaluate("e => e.style.width") == "100%"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"survey-phone-{'js' if javascript else 'nojs'}.png"),
                    full_page=False)
    page.locator("button.go").tap()
    page.wait_for_url(f"**/s/{link.token}/thanks")
    assert "感谢您的参与" in page.content()
    page.screenshot(path=str(ARTIFACTS / f"thanks-phone-{'js' if javascript else 'nojs'}.png"))
    context.close()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Response)) == 1
    stored = db_session.scalars(select(Response)).one()
    assert stored.age_band == "30_44" and "环境也干净" in stored.comment


def test_missing_required_answer_is_marked_in_the_browser(browser, live_server, make_link):
    link = make_link("retail")
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/s/{link.token}")
    page.locator('input[name="sat_ideal"][value="7"] + span').tap()
    with page.expect_navigation():
        page.locator("button.go").tap()
    assert page.locator("#q-sat_overall.bad .err").is_visible()
    assert page.locator('input[name="sat_ideal"][value="7"]').is_checked()
    context.close()
