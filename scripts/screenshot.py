"""Render the README's screenshot of the respondent page (phone size, top of the page).

Usage: .venv/bin/python scripts/screenshot.py docs/survey-phone.png
Uses a throwaway SQLite database with the demo district; needs Debian's chromium.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from survey import db  # noqa: E402
from survey.demo import district  # noqa: E402
from survey.keys import link_key  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/shot.sqlite3",
                          "SECRET_KEY": secrets.token_urlsafe(32)})
        db.upgrade(app)
        session = db.session_scope(app, write=True)
        district.load(session, app.config["DEMO_SEED"], date.today(), link_key(app.config))
        session.commit()
        token = district.first_open_link(session).token
        session.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                    has_touch=True, locale="zh-CN", device_scale_factor=2)
            page.goto(f"http://127.0.0.1:{server.port}/s/{token}")
            page.locator('input[name="img_reputation"][value="8"] + span').tap()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=out)
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/survey-phone.png")
