"""Signed links and their reprint, one response per device, and the rate limits."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app import create_app
from survey import db as survey_db
from survey.keys import link_key
from survey.model import AuditEntry, CollectionLink, Response
from survey.ops.link_lookup import close_readers
from survey.ops.links import resign_unsigned
from survey.ops.tokens import sign_token, verify_token
from tests.conftest import csrf_and_key
from tests.test_console import PASSWORD, csrf, login, make_user  # noqa: F401
from tests.test_survey import count, full_answers, open_form

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
                       "AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.44",
         "Accept-Language": "zh-CN,zh;q=0.9"}


def _tampered(token: str) -> list[str]:
    raw = bytearray(base64.urlsafe_b64decode(token))
    other_link = bytes([raw[0], raw[1], raw[2], raw[3] ^ 1]) + bytes(raw[4:])
    last_bit = bytes(raw[:-1]) + bytes([raw[-1] ^ 1])
    return [base64.urlsafe_b64encode(b).decode() for b in (other_link, last_bit)]


def test_tampered_and_forged_tokens_get_the_unknown_link_page(client, make_link):
    link = make_link()
    unknown = client.get("/s/" + "A" * 28)
    assert unknown.status_code == 404
    forged = sign_token(b"not the key", link.id, link.generation)
    # An edited first character: every one of its bits is part of the payload (the last
    # character's low bits may be padding, so editing it can leave the token as it was).
    edited = ("B" if link.token[0] != "B" else "C") + link.token[1:]
    for token in [*_tampered(link.token), forged, edited]:
        reply = client.get(f"/s/{token}")
        assert reply.status_code == 404 and reply.data == unknown.data
        assert client.post(f"/s/{token}", data=full_answers()).status_code == 404
    assert client.get(f"/s/{link.token}").status_code == 200


def test_token_names_its_link_and_print_generation(app, make_link):
    link = make_link()
    assert verify_token(link_key(app.config), link.token) == (link.id, 1)
    other = create_app({"SECRET_KEY": "another", "DATABASE_URL": app.config["DATABASE_URL"]})
    assert verify_token(link_key(other.config), link.token) is None
    pinned = create_app({"SECRET_KEY": "another", "LINK_KEY": "printed-codes",
                         "DATABASE_URL": app.config["DATABASE_URL"]})
    assert link_key(pinned.config) != link_key(other.config)


def test_reprint_from_the_console_retires_the_old_code(client, make_link, make_user,  # noqa: F811
                                                       db_session):
    link = make_link()
    old = link.token
    login(client, make_user("admin").email)
    page = f"/console/waves/{link.wave_id}/links"
    reply = client.post(f"/console/links/{link.id}/rotate", data={"csrf_token": csrf(client, page)})
    assert reply.status_code == 303
    db_session.expire_all()
    fresh = db_session.get(CollectionLink, link.id)
    assert fresh.generation == 2 and fresh.token != old
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{fresh.token}").status_code == 200
    assert fresh.token in client.get(page).get_data(as_text=True)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "rotate")).one()
    assert entry.before["generation"] == 1 and entry.after["generation"] == 2


def test_flask_links_rotate_and_resign(app, runner, make_link, db_session):
    link, other = make_link(), make_link()
    result = runner.invoke(args=["links", "rotate", str(link.id)])
    assert result.exit_code == 0 and "generation 2" in result.output
    assert runner.invoke(args=["links", "rotate", "999999"]).exit_code != 0
    # A link from before signing: `links resign` gives it a signed token.
    db_session.expire_all()
    db_session.get(CollectionLink, other.id).token = "legacyRandomToken22chr"
    db_session.commit()
    result = runner.invoke(args=["links", "resign"])
    assert result.exit_code == 0 and "1 link(s) re-issued" in result.output
    db_session.expire_all()
    tokens = {x.id: x.token for x in db_session.scalars(select(CollectionLink))}
    assert verify_token(link_key(app.config), tokens[other.id]) == (other.id, 2)
    assert resign_unsigned(db_session, link_key(app.config)) == 0


def test_demo_command_reissues_unsigned_links_and_prints_a_working_url(app, runner, client,
                                                                        make_link, db_session):
    link = make_link()
    db_session.get(CollectionLink, link.id).token = "legacyRandomToken22chr"
    db_session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "1 unsigned link(s) re-issued" in result.output
    url = result.output.strip().splitlines()[-1].split("demo survey: ")[1]
    assert client.get(url.replace("http://survey.test", "")).status_code == 200


def test_one_response_per_device_per_enterprise(client, make_link, db_session):
    link, competitor = make_link(), make_link()
    data = open_form(client, link.token) | full_answers(value="7")
    assert client.post(f"/s/{link.token}", data=data, headers=PHONE).status_code == 303
    again = open_form(client, link.token) | full_answers(value="9")
    reply = client.post(f"/s/{link.token}", data=again, headers=PHONE)
    assert reply.status_code == 200
    assert "已经" in reply.get_data(as_text=True) and count(db_session) == 1
    # The same phone may still answer about another enterprise...
    other = open_form(client, competitor.token) | full_answers(value="7")
    assert client.post(f"/s/{competitor.token}", data=other, headers=PHONE).status_code == 303
    # ...and a second phone about the first one.
    client.delete_cookie("manyi_device", path="/s/")
    second = open_form(client, link.token) | full_answers(value="7")
    assert client.post(f"/s/{link.token}", data=second, headers=PHONE).status_code == 303
    assert count(db_session) == 3
    hashes = db_session.scalars(select(Response.client_hash)).all()
    assert all(h and len(h) == 32 for h in hashes)
    assert client.get_cookie("manyi_device", path="/s/").value not in hashes


def test_without_its_cookie_a_repeat_is_kept_but_quarantined(client, make_link, db_session):
    link = make_link()
    for _ in range(2):
        client.delete_cookie("manyi_device", path="/s/")
        fields = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
        client.delete_cookie("manyi_device", path="/s/")  # cookies refused
        data = fields | full_answers(value="7") | {"img_reputation": "8"}
        assert client.post(f"/s/{link.token}", data=data, headers=PHONE).status_code == 303
    db_session.rollback()
    rows = db_session.scalars(select(Response).order_by(Response.id)).all()
    assert "duplicate" not in rows[0].flags
    assert "duplicate" in rows[1].flags and rows[1].quarantined


@pytest.fixture
def limited(app):
    """Factory: another app on the test database with some limits changed."""
    made = []

    def make(**limits):
        made.append(create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                                "SECRET_KEY": "test-secret", **limits}))
        return made[-1]

    yield make
    for other in made:
        engine = survey_db.get_engine(other)
        close_readers(engine)
        engine.dispose()


def test_survey_posts_are_limited_per_network(limited, make_link, db_session):
    link = make_link()
    client = limited(RATELIMIT_SURVEY_POST="3 per minute").test_client()
    statuses = []
    for _ in range(5):
        client.delete_cookie("manyi_device", path="/s/")
        data = open_form(client, link.token) | full_answers(value="7")
        statuses.append(client.post(f"/s/{link.token}", data=data).status_code)
    assert statuses == [303, 303, 303, 429, 429]
    assert count(db_session) == 3
    # Another network is not affected.
    data = open_form(client, link.token) | full_answers(value="7")
    elsewhere = client.post(f"/s/{link.token}", data=data,
                            environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert elsewhere.status_code == 303


@pytest.mark.parametrize(("lang", "text"), [("zh_CN", "请稍候"), ("en", "Please wait")])
def test_rate_limit_page_is_friendly_in_both_languages(limited, make_link, lang, text):
    link = make_link()
    client = limited(RATELIMIT_SURVEY_GET="1 per minute").test_client()
    client.get(f"/s/{link.token}?lang={lang}")
    reply = client.get(f"/s/{link.token}?lang={lang}")
    assert reply.status_code == 429 and text in reply.get_data(as_text=True)


def test_survey_posts_are_limited_per_link(limited, make_link):
    link = make_link()
    client = limited(RATELIMIT_SURVEY_POST_LINK="2 per minute").test_client()
    statuses = []
    for i in range(3):
        client.delete_cookie("manyi_device", path="/s/")
        data = open_form(client, link.token) | full_answers(value="7")
        statuses.append(client.post(f"/s/{link.token}", data=data,
                                    environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code)
    assert statuses == [303, 303, 429]


def test_logins_are_throttled_per_network_and_per_account(limited, make_user):  # noqa: F811
    user = make_user("admin")
    client = limited(RATELIMIT_LOGIN="4 per minute",
                     RATELIMIT_LOGIN_ACCOUNT="2 per minute").test_client()

    def attempt(email, addr):
        return client.post("/console/login", environ_base={"REMOTE_ADDR": addr}, data={
            "email": email, "password": "wrong-password-1", "csrf_token": csrf(client)}).status_code

    assert [attempt(user.email, "10.0.0.1") for _ in range(3)] == [401, 401, 429]
    # Another account from the same network still gets its own attempts ...
    assert attempt("other@bureau.test", "10.0.0.1") == 401
    # ... until the network's limit is used up (4 per minute).
    assert attempt("third@bureau.test", "10.0.0.1") == 429
    assert attempt("third@bureau.test", "10.0.0.2") == 401
    assert client.get("/console/login").status_code == 200  # only POSTs count


def test_limits_can_be_turned_off_for_benchmarks(limited, make_link):
    link = make_link()
    client = limited(RATELIMIT_ENABLED=False, RATELIMIT_SURVEY_GET="1 per minute").test_client()
    assert all(client.get(f"/s/{link.token}").status_code == 200 for _ in range(3))


def test_portal_logins_are_throttled_like_the_console(limited):  # noqa: F811
    client = limited(RATELIMIT_LOGIN="3 per minute",
                     RATELIMIT_LOGIN_ACCOUNT="2 per minute").test_client()

    def attempt(email, addr):
        return client.post("/portal/login", environ_base={"REMOTE_ADDR": addr}, data={
            "email": email, "password": "wrong-password-1", "csrf_token": csrf(client)}).status_code

    first = attempt("shop@example.test", "10.0.0.7")
    assert first in (200, 401)  # refused, not limited
    assert attempt("shop@example.test", "10.0.0.7") == first
    assert attempt("shop@example.test", "10.0.0.7") == 429  # the account's limit
    assert attempt("other@example.test", "10.0.0.7") == 429  # the network's limit
    assert attempt("other@example.test", "10.0.0.8") == first
