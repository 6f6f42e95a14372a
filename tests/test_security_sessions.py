"""Keys, redirects after login, sessions after logout, forwarded addresses, login delays."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from survey import keys
from survey.model import LoginThrottle
from survey.ops import accounts
from tests.portal_support import make_enterprise_user, portal_login  # noqa: F401
from tests.test_console import PASSWORD, csrf, make_user  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ATTACKER, OWNER = "198.51.100.66", "203.0.113.5"


def login_from(client, email, password=PASSWORD, ip="127.0.0.1", next_url=None):
    """A console login from address `ip`, optionally with ?next=."""
    token = csrf(client)
    url = "/console/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


# ---- 1. keys ----------------------------------------------------------------------------------


def test_keys_file_is_random_private_and_kept(tmp_path):
    path = tmp_path / "instance" / "keys.json"
    assert keys.ensure_keys_file(path) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = json.loads(path.read_text())
    assert set(first) == {"SECRET_KEY", "LINK_KEY", "HASH_KEY"}
    assert len(set(first.values())) == 3 and keys.DEFAULT_SECRET not in first.values()
    assert keys.ensure_keys_file(path) is False and json.loads(path.read_text()) == first
    other = tmp_path / "other.json"
    keys.ensure_keys_file(other)
    assert json.loads(other.read_text()) != first


def test_app_refuses_the_public_default_secret_outside_debug_and_testing(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": url})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": ""})
    assert create_app({"DATABASE_URL": url, "DEBUG": True}).debug
    assert create_app({"DATABASE_URL": url, "SECRET_KEY": "a-real-secret"}).secret_key


def test_keys_file_fills_every_key_not_set(tmp_path):
    path = tmp_path / "keys.json"
    keys.ensure_keys_file(path)
    stored = json.loads(path.read_text())
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "KEYS_FILE": str(path)})
    assert [app.config[k] for k in keys.KEY_NAMES] == [stored[k] for k in keys.KEY_NAMES]
    chosen = create_app({"DATABASE_URL": url, "KEYS_FILE": str(path), "SECRET_KEY": "mine"})
    assert chosen.config["SECRET_KEY"] == "mine" and chosen.config["LINK_KEY"] == stored["LINK_KEY"]


@pytest.mark.parametrize(("content", "says"), [(None, "does not exist"),
                                                ("{not json", "cannot be read"),
                                                ('["a list"]', "JSON object")])
def test_a_missing_or_broken_keys_file_is_a_clear_error(tmp_path, content, says):
    path = tmp_path / "keys.json"
    if content is not None:
        path.write_text(content)
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(RuntimeError, match=says):
        create_app({"DATABASE_URL": url, "KEYS_FILE": str(path)})


def test_derived_keys_are_announced(tmp_path, caplog):
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "s"})
    assert "LINK_KEY is empty: derived from SECRET_KEY" in caplog.text
    assert "HASH_KEY is empty" in caplog.text


def test_make_run_generates_keys_under_instance():
    makefile = (ROOT / "Makefile").read_text()
    assert "run: export FLASK_KEYS_FILE := $(CURDIR)/instance/keys.json" in makefile
    assert '$(PY) -m survey.keys "$(FLASK_KEYS_FILE)"' in makefile


def test_keys_command_line(tmp_path, capsys):
    assert keys.main([str(tmp_path / "k.json")]) == 0
    out = capsys.readouterr().out
    assert "created" in out and json.loads((tmp_path / "k.json").read_text())["SECRET_KEY"] \
        not in out


# ---- 2, 3. redirects after login --------------------------------------------------------------


@pytest.mark.parametrize("target", ["/%09/evil.example/", "//evil.example/", "/\\evil.example",
                                    "https://evil.example/", "javascript:alert(1)",
                                    "/%0d%0aSet-Cookie:x=1", "/console/%0a", "%2F%2Fevil.example",
                                    "/%E3%80%80/x/../../evil"])
def test_console_login_never_redirects_off_site(client, make_user, target):  # noqa: F811
    reply = login_from(client, make_user("admin").email, next_url=target)
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location and "evil.example" not in location.split("?")[0][:2]


def test_console_login_keeps_a_same_site_next(client, make_user):  # noqa: F811
    reply = login_from(client, make_user("admin").email, next_url="/console/waves?x=1")
    assert reply.headers["Location"] == "/console/waves?x=1"


@pytest.mark.parametrize("target", ["/%09/evil.example/", "/portal/%0d%0a", "//evil.example"])
def test_portal_login_never_redirects_off_site(client, make_link, make_enterprise_user,  # noqa: F811
                                               target):
    user = make_enterprise_user(make_link())
    token = csrf(client, "/portal/login")
    reply = client.post(f"/portal/login?next={target}", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert reply.status_code == 302 and reply.headers["Location"] == "/portal/"


# ---- 4. sessions ------------------------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_opens_the_console(app, client, make_user):  # noqa: F811
    login_from(client, make_user("admin").email)
    saved = client.get_cookie("session").value
    assert client.get("/console/").status_code == 200
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    thief = app.test_client()
    thief.set_cookie("session", saved)
    reply = thief.get("/console/")
    assert reply.status_code == 302 and "/console/login" in reply.headers["Location"]


def test_a_stolen_cookie_does_not_work_from_elsewhere_with_a_forged_forwarded_for(
        app, client, make_user):  # noqa: F811
    login_from(client, make_user("admin").email, ip=OWNER)
    saved = client.get_cookie("session").value
    assert client.get("/console/", environ_base={"REMOTE_ADDR": OWNER}).status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", saved)
    reply = thief.get("/console/", headers={"X-Forwarded-For": OWNER},
                      environ_base={"REMOTE_ADDR": ATTACKER})
    assert reply.status_code == 302


def test_forwarded_headers_count_only_with_proxy_fix(database_url):
    plain = create_app({"TESTING": True, "DATABASE_URL": database_url})
    assert not isinstance(plain.wsgi_app, ProxyFix)
    proxied = create_app({"TESTING": True, "DATABASE_URL": database_url, "PROXY_FIX": 1})
    assert isinstance(proxied.wsgi_app, ProxyFix) and proxied.wsgi_app.x_for == 1


# ---- 5. login delays --------------------------------------------------------------------------


def test_an_outsider_cannot_lock_the_owner_out(client, make_user):  # noqa: F811
    user = make_user("admin")
    for _ in range(8):
        assert login_from(client, user.email, "wrong-password-1", ip=ATTACKER).status_code == 401
    assert login_from(client, user.email, ip=ATTACKER).status_code == 401  # attacker waits
    assert login_from(client, user.email, ip=OWNER).status_code == 302  # owner does not


def test_known_and_unknown_emails_get_the_same_messages(client, make_user):  # noqa: F811
    make_user("admin")
    pages = {}
    for email in ("admin@bureau.test", "nobody@bureau.test"):
        replies = [login_from(client, email, "wrong-password-1", ip=ATTACKER)
                   for _ in range(6)]
        pages[email] = [re.findall(r'class="flash[^>]*>([^<]*)<', r.get_data(as_text=True))
                        for r in replies]
    assert pages["admin@bureau.test"] == pages["nobody@bureau.test"]
    assert "错误" in pages["nobody@bureau.test"][0][0]
    assert "分钟" in pages["nobody@bureau.test"][-1][0]


def test_the_delay_grows_with_each_failure_and_ends(db_session, make_user):  # noqa: F811
    user = make_user("admin")
    assert [accounts.delay_after(n).total_seconds() for n in (1, 4, 5, 6, 7, 30)] == [
        0, 0, 30, 60, 120, 900]
    t0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    pair = ("acct", "net")
    for _k in range(5):
        assert accounts.authenticate(db_session, user.email, "bad", t0, pair)[1] == "bad"
    assert accounts.authenticate(db_session, user.email, PASSWORD, t0, pair)[1] == "wait"
    later = t0 + dt.timedelta(seconds=31)
    assert accounts.authenticate(db_session, user.email, PASSWORD, later, pair)[1] == "ok"
    assert db_session.scalars(select(LoginThrottle)).all() == []


def test_an_admin_lifts_the_delays(client, app, make_user, make_link, make_enterprise_user,  # noqa: F811
                                   db_session):
    member = make_enterprise_user(make_link())
    for _ in range(6):
        portal_login(client, member.email, "wrong-password-1")
    assert db_session.scalars(select(LoginThrottle)).one().failures == 5  # the 6th waited
    admin = app.test_client()
    login_from(admin, make_user("admin").email)
    page = f"/console/enterprises/{member.enterprise_id}/users"
    token = csrf(admin, page)
    reply = admin.post(f"{page}/{member.id}/unlock", data={"csrf_token": token})
    assert reply.status_code == 200
    db_session.commit()
    assert db_session.scalars(select(LoginThrottle)).all() == []
    assert portal_login(client, member.email).status_code == 302


def test_unlock_login_command(runner, client, make_user, db_session):  # noqa: F811
    user = make_user("analyst")
    for _ in range(5):
        login_from(client, user.email, "wrong-password-1")
    result = runner.invoke(args=["unlock-login", "--email", user.email.upper()])
    assert result.exit_code == 0 and "1 network" in result.output
    db_session.commit()
    assert db_session.scalars(select(LoginThrottle)).all() == []
