"""The cached blank questionnaire is the page the template renders, token for token."""

from __future__ import annotations

import re

import pytest
from flask import render_template

from survey.db import get_engine
from survey.ops.link_lookup import fetch_target
from survey.web.i18n import current_locale
from survey.web.questionnaire import questions_html
from tests.conftest import csrf_and_key

HIDDEN = re.compile(r'(<input type="hidden" name="(?:csrf_token|k)" value=")[^"]+(")')


def rendered(app, token: str, path: str, csrf: str, key: str, script_root: str = "") -> bytes:
    """The questionnaire as the template renders it for `path`, with these two tokens."""
    with app.test_request_context(path, base_url=f"http://localhost{script_root}"):
        target = fetch_target(get_engine(), token)
        instrument = target.instrument()
        html = render_template("survey/form.html", target=target, instrument=instrument,
                               locale=current_locale(),
                               body=questions_html(instrument, current_locale()),
                               csrf=csrf, key=key, problems=())
    return html.encode()


@pytest.mark.parametrize(("query", "location"), [("", ""), ("?lang=en", "二楼收银台"),
                                                 ("?lang=zh_CN", "")])
def test_cached_page_is_the_rendered_page(app, client, make_link, query, location):
    link = make_link(location=location)
    for _ in range(2):  # the first GET fills the cache, the second is served from it
        page = client.get(f"/s/{link.token}{query}")
        assert page.status_code == 200
        tokens = csrf_and_key(page.get_data(as_text=True))
        expected = rendered(app, link.token, f"/s/{link.token}{query}", tokens["csrf_token"],
                            tokens["k"])
        assert page.data == expected


def test_each_view_gets_its_own_tokens(client, make_link):
    link = make_link()
    first = client.get(f"/s/{link.token}").get_data(as_text=True)
    second = client.get(f"/s/{link.token}").get_data(as_text=True)
    assert csrf_and_key(first)["k"] != csrf_and_key(second)["k"]
    assert HIDDEN.sub(r"\1\2", first) == HIDDEN.sub(r"\1\2", second)


def test_cached_page_follows_the_mount_point(app, make_link):
    link = make_link()
    client = app.test_client()
    for root in ("", "/survey", ""):
        page = client.get(f"/s/{link.token}", base_url=f"http://localhost{root}")
        tokens = csrf_and_key(page.get_data(as_text=True))
        assert f'action="{root}/s/{link.token}"' in page.get_data(as_text=True)
        assert page.data == rendered(app, link.token, f"/s/{link.token}", tokens["csrf_token"],
                                     tokens["k"], root)


def test_renamed_enterprise_shows_on_the_next_page(client, make_link, db_session):
    link = make_link()
    assert link.enterprise.name in client.get(f"/s/{link.token}").get_data(as_text=True)
    link.enterprise.name = "改名后的企业"
    db_session.commit()
    assert "改名后的企业" in client.get(f"/s/{link.token}").get_data(as_text=True)


def test_retired_link_stops_answering_though_its_page_is_cached(client, make_link, db_session):
    link = make_link()
    assert client.get(f"/s/{link.token}").status_code == 200
    link.active = False
    db_session.commit()
    assert client.get(f"/s/{link.token}").status_code == 404


def test_first_view_carries_each_header_once(client, make_link):
    link = make_link()
    page = client.get(f"/s/{link.token}")
    names = [name.lower() for name, _value in page.headers]
    for name in ("content-security-policy", "x-frame-options", "x-content-type-options",
                 "referrer-policy", "cross-origin-opener-policy", "vary", "content-type"):
        assert names.count(name) == 1, name
    assert page.headers["Vary"] == "Cookie"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert [v for k, v in page.headers if k == "Set-Cookie" and v.startswith("session=")]
