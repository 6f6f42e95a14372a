"""Counter displays: a QR code whose stamp changes every few minutes, and the copied-link
evidence of answers that come without a fresh one."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from flask import render_template
from sqlalchemy import select

from analysis.quality import COPIED_LINK
from survey.db import get_engine
from survey.keys import display_key, stamp_key
from survey.model import AuditEntry, CollectionLink, Response, Wave
from survey.ops import integrity
from survey.ops.counter import (
    current_step,
    display_token,
    read_stamp,
    sign_stamp,
    stamp_note,
)
from survey.ops.link_lookup import fetch_target
from survey.ops.links import qr_data_uri, rotate_link
from survey.web.i18n import current_locale
from survey.web.questionnaire import questions_html
from tests.conftest import csrf_and_key
from tests.test_console import PASSWORD, csrf, login, make_user  # noqa: F401
from tests.test_survey import full_answers

ACTION = re.compile(r'<form method="post" action="([^"]+)"')
DISPLAY = re.compile(r'href="http://survey\.test(/d/[A-Za-z0-9_-]+)"')


class Clock:
    """A hand-moved clock for the app (``CLOCK_NOW``)."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


@pytest.fixture
def app_clock(app):
    """The app on a test clock, 10:02 district time today (two minutes into a stamp)."""
    start = dt.datetime.combine(dt.date.today(), dt.time(10, 2), dt.timezone(dt.timedelta(hours=8)))
    app.config["CLOCK_NOW"] = clock = Clock(start.astimezone(dt.UTC))
    return clock


@pytest.fixture
def counter_link(make_link, db_session):
    """Factory: a link in counter-display mode."""

    def make(**kwargs) -> CollectionLink:
        link = make_link(**kwargs)
        link.counter_display = True
        db_session.commit()
        return link

    return make


def stamp_now(app, link, clock) -> str:
    return sign_stamp(stamp_key(app.config), link.id, link.generation,
                      current_step(clock.now, app.config["COUNTER_STAMP_MINUTES"])[0])


def answer(app, path: str, clock, minutes: float = 3.0, post_path: str | None = None):
    """Open the questionnaire at `path`, answer for `minutes`, submit to its form action
    (or to `post_path`); returns the reply, with a fresh device each time."""
    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    action = html.unescape(ACTION.search(text).group(1))
    clock.advance(minutes)
    return client.post(post_path or action, data={**csrf_and_key(text), **full_answers()})


def screened(app, db_session, link) -> Response:
    """The link's one response after the wave's integrity screening."""
    db_session.expire_all()
    with app.app_context():
        integrity.refresh(db_session, db_session.get(Wave, link.wave_id))
    db_session.commit()
    return db_session.scalars(select(Response).where(Response.link_id == link.id)).one()


def test_fresh_stamp_is_stored_valid_and_not_flagged(app, app_clock, counter_link, db_session):
    link = counter_link()
    stamp = stamp_now(app, link, app_clock)
    reply = answer(app, f"/s/{link.token}?k={stamp}", app_clock)
    assert reply.status_code == 303 and "/thanks" in reply.location
    response = screened(app, db_session, link)
    assert response.stamp_valid is True
    issued = dt.datetime.combine(dt.date.today(), dt.time(2, 0), dt.UTC)
    assert response.stamp_issued_at.replace(tzinfo=dt.UTC) == issued  # the step's start
    assert COPIED_LINK not in response.flags and not response.quarantined


@pytest.mark.parametrize(("case", "query", "minutes", "valid"), [
    ("expired", "stamp", 31, True),  # scanned at the counter, answered half an hour later
    ("missing", "", 3, False),  # the bare survey URL, passed on without the display
    ("forged", "AAAAAAAAAAAAAAAA", 3, False),
    ("other link's", "other", 3, False),
])
def test_counter_link_without_a_fresh_stamp_is_stored_and_flagged_copied_link(
        app, app_clock, counter_link, db_session, case, query, minutes, valid):
    link, other = counter_link(), counter_link()
    stamp = {"stamp": stamp_now(app, link, app_clock),
             "other": stamp_now(app, other, app_clock)}.get(query, query)
    path = f"/s/{link.token}" + (f"?k={stamp}" if stamp else "")
    # Straight to the POST with the stamp, as a script would send it.
    reply = answer(app, path, app_clock, minutes, post_path=path)
    assert reply.status_code == 303, case  # evidence, not refusal: the answer is kept
    response = screened(app, db_session, link)
    assert response.stamp_valid is valid
    assert COPIED_LINK in response.flags and response.quarantined


def test_a_refused_stamp_is_not_carried_to_the_form(app, app_clock, counter_link):
    link = counter_link()
    page = app.test_client().get(f"/s/{link.token}?k=AAAAAAAAAAAAAAAA")
    assert f'action="/s/{link.token}"' in page.get_data(as_text=True)


def test_links_not_on_a_counter_display_are_unaffected(app, app_clock, make_link, db_session):
    link = make_link()
    page = app.test_client().get(f"/s/{link.token}?k=AAAAAAAAAAAAAAAA")
    assert f'action="/s/{link.token}"' in page.get_data(as_text=True)
    path = f"/s/{link.token}?k=AAAAAAAAAAAAAAAA"
    assert answer(app, path, app_clock, post_path=path).status_code == 303
    response = screened(app, db_session, link)
    assert response.stamp_valid is None and response.stamp_issued_at is None
    assert COPIED_LINK not in response.flags and not response.quarantined


def test_cached_page_carries_each_requests_stamp(app, app_clock, counter_link):
    link = counter_link()
    client = app.test_client()
    for minutes in (0, 5, 5):  # a new stamp, then the same page from the cache
        app_clock.advance(minutes)
        query = f"?k={stamp_now(app, link, app_clock)}"
        page = client.get(f"/s/{link.token}{query}")
        tokens = csrf_and_key(page.get_data(as_text=True))
        with app.test_request_context(f"/s/{link.token}{query}"):
            target = fetch_target(get_engine(), link.token)
            instrument = target.instrument()
            expected = render_template(
                "survey/form.html", target=target, instrument=instrument,
                locale=current_locale(), body=questions_html(instrument, current_locale()),
                csrf=tokens["csrf_token"], key=tokens["k"], problems=(), action_query=query)
        assert page.data == expected.encode()


def test_form_with_problems_keeps_the_stamp(app, app_clock, counter_link):
    link = counter_link()
    stamp = stamp_now(app, link, app_clock)
    client = app.test_client()
    tokens = csrf_and_key(client.get(f"/s/{link.token}?k={stamp}").get_data(as_text=True))
    reply = client.post(f"/s/{link.token}?k={stamp}", data=tokens)  # nothing answered
    assert reply.status_code == 400
    assert f'action="/s/{link.token}?k={stamp}"' in reply.get_data(as_text=True)


def switch_on(client, link) -> str:
    """Switch the link's counter display on from the console; the display URL's path."""
    token = csrf(client, f"/console/waves/{link.wave_id}/links")
    reply = client.post(f"/console/links/{link.id}/counter", data={"on": "1", "csrf_token": token})
    assert reply.status_code == 303
    page = client.get(f"/console/waves/{link.wave_id}/links").get_data(as_text=True)
    return DISPLAY.search(page).group(1)


def test_console_switches_the_display_on_and_its_qr_code_verifies(
        app, app_clock, make_link, make_user, db_session):  # noqa: F811
    link = make_link()
    console = app.test_client()
    login(console, make_user("admin").email)
    path = switch_on(console, link)
    db_session.refresh(link)
    assert link.counter_display
    assert db_session.scalars(select(AuditEntry.action)).all()[-1] == "counter_display"
    assert path != f"/d/{link.token}" and link.token not in path

    screen = app.test_client()
    page = screen.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    # 10:05 is the next stamp: three minutes and a second from now.
    assert '<meta http-equiv="refresh" content="181">' in text
    stamp = stamp_now(app, link, app_clock)
    url = f"http://survey.test/s/{link.token}?k={stamp}"
    assert f'src="{qr_data_uri(url)}"' in html.unescape(text)
    issued = read_stamp(stamp_key(app.config), link.id, link.generation, stamp)
    assert issued == current_step(app_clock.now, 5)[0]

    app_clock.advance(5)  # the screen reloads: a new stamp, a new QR code
    assert qr_data_uri(url) not in html.unescape(screen.get(path).get_data(as_text=True))


def test_display_url_is_secret_and_revoked_by_a_reprint_or_switching_off(
        app, app_clock, counter_link, db_session):
    link = counter_link()
    client = app.test_client()
    key = display_key(app.config)
    path = f"/d/{display_token(key, link)}"
    assert client.get(path).status_code == 200
    for bad in (f"/d/{link.token}", f"/d/{display_token(stamp_key(app.config), link)}",
                "/d/" + "A" * 28, "/d/short", "/d/" + "x" * 200, "/d/%00"):
        assert client.get(bad).status_code == 404, bad
    with app.app_context():
        rotate_link(link)
    db_session.commit()
    assert client.get(path).status_code == 404
    assert client.get(f"/d/{display_token(key, link)}").status_code == 200
    link.counter_display = False
    db_session.commit()
    assert client.get(f"/d/{display_token(key, link)}").status_code == 404


def test_display_of_a_closed_wave_shows_no_code(app, app_clock, counter_link, db_session):
    link = counter_link()
    db_session.get(Wave, link.wave_id).status = "closed"
    db_session.commit()
    page = app.test_client().get(f"/d/{display_token(display_key(app.config), link)}")
    assert page.status_code == 200 and "data:image" not in page.get_data(as_text=True)


@pytest.mark.parametrize(("valid", "issued_minutes_ago", "note"), [
    (None, None, None),
    (False, None, ("invalid", 0)),
    (True, 10, None),
    (True, 45, ("stale", 45)),
])
def test_stamp_note_names_what_counts_against_the_answer(valid, issued_minutes_ago, note):
    at = dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC)
    issued = None if issued_minutes_ago is None else at - dt.timedelta(minutes=issued_minutes_ago)
    assert stamp_note(valid, issued, at, 30) == note


def test_quarantine_page_names_the_missing_stamp(app, app_clock, counter_link, db_session,
                                                 make_user):  # noqa: F811
    link = counter_link()
    answer(app, f"/s/{link.token}", app_clock)
    screened(app, db_session, link)
    console = app.test_client()
    login(console, make_user("analyst").email)
    for lang, text in (("en", "No valid stamp from the counter display"),
                       ("zh_CN", "没有柜台屏幕二维码的有效标记")):
        page = console.get(f"/console/quarantine?wave={link.wave_id}&lang={lang}")
        assert text in page.get_data(as_text=True)
