"""The bureau console: login, throttling, deny-by-default roles, audited edits."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey.model import AuditEntry, Category, Enterprise, LoginThrottle, Sector, User
from survey.ops.accounts import hash_password
from survey.ops.passwords import password_problem
from survey.ops.uscc import make_code
from survey.web.access import rule_for

PASSWORD = "correct horse 42"


@pytest.fixture
def make_user(db_session):
    def make(role="admin", email=None, enterprise_id=None):
        user = User(email=email or f"{role}@bureau.test", name=role, role=role,
                    password_hash=hash_password(PASSWORD), enterprise_id=enterprise_id)
        db_session.add(user)
        db_session.commit()
        return user

    return make


def csrf(client, path="/console/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, email, password=PASSWORD):
    return client.post("/console/login", data={"email": email, "password": password,
                                               "csrf_token": csrf(client)})


@pytest.fixture
def enterprise_user(make_user, make_sector, db_session):
    sector = make_sector()
    ent = Enterprise(name="某餐厅", uscc=make_code("210213", "MA0ABCD1"), sector=sector)
    db_session.add(ent)
    db_session.commit()
    return make_user("enterprise", enterprise_id=ent.id)


def console_urls(db_session):
    cat = db_session.scalars(select(Category)).first()
    sector = db_session.scalars(select(Sector)).first()
    return ["/console/", "/console/categories", f"/console/categories/{cat.id}",
            f"/console/sectors/{sector.id}", "/console/audit"]


ADMIN_ONLY = {"/console/audit"}


def test_anonymous_is_sent_to_login_everywhere(client, make_sector, db_session):
    make_sector()
    for url in console_urls(db_session):
        reply = client.get(url)
        assert reply.status_code == 302 and "/console/login" in reply.headers["Location"], url


def test_enterprise_user_is_refused_everywhere(client, enterprise_user, db_session):
    assert login(client, enterprise_user.email).status_code == 302
    for url in console_urls(db_session):
        assert client.get(url).status_code == 403, url


def test_analyst_reads_but_does_not_edit_or_see_audit(client, make_user, make_sector, db_session):
    make_sector()
    login(client, make_user("analyst").email)
    for url in console_urls(db_session):
        expected = 200 if url in ("/console/", "/console/categories") else 403
        assert client.get(url).status_code == expected, url


def test_admin_reaches_every_page(client, make_user, make_sector, db_session):
    make_sector()
    login(client, make_user("admin").email)
    for url in console_urls(db_session):
        assert client.get(url).status_code == 200, url


def test_every_console_endpoint_declares_its_roles(app):
    endpoints = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]
    assert endpoints and all(rule_for(e, app) is not None for e in endpoints)


def test_wrong_passwords_then_a_delay_on_that_network(client, make_user, db_session):
    user = make_user("admin")
    for _ in range(5):
        assert login(client, user.email, "wrong-password-1").status_code == 401
    reply = login(client, user.email)  # right password, but this network must wait now
    assert reply.status_code == 401 and "1" in reply.get_data(as_text=True)
    assert db_session.scalars(select(LoginThrottle)).one().failures == 5


def test_unknown_email_and_wrong_password_look_the_same(client, make_user):
    make_user("admin")
    a = login(client, "nobody@bureau.test").get_data(as_text=True)
    b = login(client, "admin@bureau.test", "wrong-password-1").get_data(as_text=True)
    assert "错误" in a and "错误" in b


def test_login_without_csrf_is_refused(client, make_user):
    user = make_user("admin")
    reply = client.post("/console/login", data={"email": user.email, "password": PASSWORD})
    assert reply.status_code in (400, 401)
    assert client.get("/console/").status_code == 302


def test_logout(client, make_user):
    login(client, make_user("admin").email)
    assert client.get("/console/").status_code == 200
    token = csrf(client, "/console/")
    client.post("/console/logout", data={"csrf_token": token})
    assert client.get("/console/").status_code == 302


def test_next_parameter_cannot_leave_the_site(client, make_user):
    user = make_user("admin")
    reply = client.post("/console/login?next=//evil.example/x",
                        data={"email": user.email, "password": PASSWORD,
                              "csrf_token": csrf(client)})
    assert reply.headers["Location"] == "/console/"


def test_admin_edit_is_audited(client, make_user, make_sector, db_session):
    sector = make_sector()
    admin = make_user("admin")
    login(client, admin.email)
    url = f"/console/categories/{sector.category_id}"
    reply = client.post(url, data={"target": "82.5", "target_source": "规划", "weight": "0.4",
                                   "weight_source": "统计公报", "csrf_token": csrf(client, url)})
    assert reply.status_code == 302
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Category, sector.category_id).target == 82.5
    entry = db_session.scalars(select(AuditEntry)).one()
    assert (entry.user_id, entry.action, entry.entity) == (admin.id, "update", "category")
    assert entry.before["target"] == 80.0 and entry.after["target"] == 82.5
    assert "82.5" in client.get("/console/audit").get_data(as_text=True)


@pytest.mark.parametrize("target", ["101", "-1", "abc", ""])
def test_bad_target_changes_nothing(client, make_user, make_sector, db_session, target):
    sector = make_sector()
    login(client, make_user("admin").email)
    url = f"/console/categories/{sector.category_id}"
    reply = client.post(url, data={"target": target, "weight": "1", "weight_source": "x",
                                   "csrf_token": csrf(client, url)})
    assert reply.status_code == 200
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Category, sector.category_id).target == 80.0
    assert db_session.scalars(select(AuditEntry)).first() is None


def test_sector_with_unknown_instrument_is_refused(client, make_user, make_sector, db_session):
    sector = make_sector()
    login(client, make_user("admin").email)
    url = f"/console/sectors/{sector.id}"
    reply = client.post(url, data={"weight": "1", "weight_source": "x",
                                   "instrument_code": "nope", "csrf_token": csrf(client, url)})
    assert reply.status_code == 400
    db_session.rollback()
    db_session.expire_all()
    assert db_session.get(Sector, sector.id).instrument_code == "catering"


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short1", False), ("longenoughbutnodigits", False), ("1234567890123", False),
     ("admin@bureau.test", False), (PASSWORD, True)],
)
def test_password_policy(app, password, ok):
    with app.test_request_context():
        assert (password_problem(password, "admin@bureau.test") is None) is ok


def test_create_admin_command(runner, db_session):
    result = runner.invoke(args=["create-admin", "--email", "chief@bureau.test"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = db_session.scalars(select(User)).one()
    assert user.role == "admin" and user.password_hash.startswith("scrypt:")
    again = runner.invoke(args=["create-admin", "--email", "chief@bureau.test"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code != 0
    weak = runner.invoke(args=["create-admin", "--email", "x@bureau.test"], input="weak\nweak\n")
    assert weak.exit_code != 0
