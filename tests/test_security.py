"""Security headers, cookies, password policy, retention and what a response stores."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from survey.model import AuditEntry, Base, Response, User
from survey.ops.passwords import password_problem
from tests.test_console import PASSWORD, login
from tests.test_survey import full_answers, open_form

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def submit(client, token, comment="", agent="Mozilla/5.0 Test", ip="203.0.113.7"):
    """A complete answer from a phone with the given User-Agent and address."""
    form = open_form(client, token)
    data = form | full_answers() | {"comment": comment}
    return client.post(f"/s/{token}", data=data, headers={"User-Agent": agent},
                       environ_base={"REMOTE_ADDR": ip})


@pytest.mark.parametrize("path", ["/privacy", "/s/nope-nope-nope", "/console/login",
                                  "/bulletins/", "/static/survey.css"])
def test_every_response_carries_the_security_headers(client, path):
    with client.get(path) as reply:
        pass
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    for name, value in HEADERS.items():
        assert reply.headers[name] == value
    assert "Strict-Transport-Security" not in reply.headers


def test_hsts_and_secure_cookies_only_over_https(client, make_link):
    link = make_link()
    plain = client.get(f"/s/{link.token}")
    assert plain.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Secure" not in plain.headers["Set-Cookie"]
    secure = client.get(f"/s/{link.token}?lang=en", base_url="https://survey.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = secure.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_only_setting_forces_hsts_and_secure_cookie(app, make_link):
    app.config["HTTPS_ONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = True
    link = make_link()
    reply = app.test_client().get(f"/s/{link.token}")
    assert "Strict-Transport-Security" in reply.headers
    assert "Secure" in reply.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short1", False), ("12345678901234", False), ("onlylettersherebutlong", False),
     ("admin@bureau.test", False), ("admin2026admin", False), ("password1234", False),
     ("Password2024", False), ("1q2w3e4r5t", False), ("qwerty123456", False),
     (PASSWORD, True), ("蓝色港湾2026年春", True), ("tide-7-lantern-9", True)],
)
def test_password_policy(app, password, ok):
    with app.test_request_context():
        assert (password_problem(password, "admin@bureau.test") is None) is ok


def test_create_admin_refuses_a_common_password(runner, db_session):
    result = runner.invoke(args=["create-admin", "--email", "chief@bureau.test"],
                           input="password1234\npassword1234\n")
    assert result.exit_code == 1 and "常见" in result.output
    assert db_session.scalars(select(User)).all() == []


def test_no_raw_address_or_device_signal_is_stored(client, make_link, db_session, app):
    link = make_link()
    agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) UniqueAgent/4242"
    assert submit(client, link.token, agent=agent, ip="198.51.100.23").status_code == 303
    db_session.rollback()
    row = db_session.scalars(select(Response)).one()
    # Every column of every table, not just the response's.
    stored = " ".join(str(value) for table in Base.metadata.sorted_tables
                      for record in db_session.execute(select(table)) for value in record)
    for raw in ("198.51.100.23", "198.51.100", "UniqueAgent", "iPhone"):
        assert raw not in stored
    assert row.ip_hash and row.device_hash and len(row.ip_hash) == 32


def test_retention_erases_only_old_comments_and_records_it(runner, client, make_link,
                                                            db_session):
    link = make_link()
    for comment, agent in (("电话13800000000，服务差", "phone-a"), ("很好", "phone-b"),
                           ("", "phone-c")):
        client.delete_cookie("manyi_device", path="/s/")  # another phone
        assert submit(client, link.token, comment=comment, agent=agent).status_code == 303
    db_session.rollback()
    old, recent, empty = db_session.scalars(select(Response).order_by(Response.id)).all()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=800)
    db_session.execute(update(Response).where(Response.id.in_([old.id, empty.id]))
                       .values(submitted_at=long_ago))
    db_session.commit()
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0 and "would erase 1 " in dry.output
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0 and "erased 1 " in result.output
    db_session.expire_all()
    comments = [r.comment for r in db_session.scalars(select(Response).order_by(Response.id))]
    assert comments == ["", "很好", ""]
    entry = db_session.scalars(select(AuditEntry)).one()
    assert entry.action == "erase_comments" and entry.after["ids"] == [old.id]
    # The answers behind the indices stay.
    assert len(db_session.get(Response, old.id).answers) == len(full_answers())
    assert runner.invoke(args=["retention", "apply", "--days", "-1"]).exit_code != 0


def test_privacy_page_states_retention(client, app):
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    days = app.config["COMMENT_RETENTION_DAYS"]
    assert f"{days} days" in page and "keyed hash" in page.lower()
    assert "730" in client.get("/privacy?lang=zh_CN").get_data(as_text=True)


def test_login_page_is_not_frameable_and_logs_in(client, db_session):
    from survey.ops.accounts import hash_password

    db_session.add(User(email="a@bureau.test", name="a", role="admin",
                        password_hash=hash_password(PASSWORD)))
    db_session.commit()
    reply = login(client, "a@bureau.test")
    assert reply.status_code == 302 and reply.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("method", "path", "data", "status"), [
    ("GET", "/bulletins/%00", None, 404),
    ("GET", "/console/enterprises/import%00", None, 404),
    ("GET", "/console/login?next=%00", None, 400),
    ("POST", "/console/login", {"email": "a\x00@b.test", "password": "x"}, 400),
    ("POST", "/s/aaaaaaaaaaaaaaaa", {"comment": "\x00"}, 400),
])
def test_nul_characters_are_refused_before_any_view(client, method, path, data, status):
    reply = client.open(path, method=method, data=data)
    assert reply.status_code == status


def test_markup_in_names_is_printed_literally_on_posters(app):
    import subprocess

    from survey.ops.posters import posters_pdf

    poster = {"name": "<b>粗体</b>&amp;<script>x()</script>", "location": "<i>一楼</i>",
              "url": "http://survey.test/s/abc", "wave": "2026Q4",
              "qr": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAw"
                    "MC9zdmciLz4="}
    with app.test_request_context():
        pdf = posters_pdf([poster])
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    flat = text.replace("\n", "")  # the long name wraps
    assert "<b>粗体</b>&amp;<script>x()</script>" in flat and "<i>一楼</i>" in flat
