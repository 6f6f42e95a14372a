"""Invitations: one-time activation links that expire; only a hash is stored."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from survey.model import AuditEntry, Invitation, User
from tests.portal_support import (  # noqa: F401  (fixtures)
    csrf,
    fresh,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)
from tests.test_console import login, make_user  # noqa: F401

NEW_PASSWORD = "portal-pass-2026"


def invite(client, enterprise_id: int, email: str = "boss@shop.test") -> str:
    """Invite through the console as the logged-in admin; returns the link's path."""
    token = csrf(client, f"/console/enterprises/{enterprise_id}/users")
    page = client.post(f"/console/enterprises/{enterprise_id}/users",
                       data={"csrf_token": token, "email": email, "name": "王经理"})
    assert page.status_code == 200
    url = re.search(r"<code>(http[^<]+)</code>", page.get_data(as_text=True)).group(1)
    return url.split("http://survey.test", 1)[1]


def activate(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    token = csrf(client, path)
    return client.post(path, data={"csrf_token": token, "password": password,
                                   "confirm": confirm or password})


def test_admin_invites_and_the_user_activates(client, make_link, make_user,  # noqa: F811
                                              db_session):
    link = make_link()
    login(client, make_user("admin").email)
    path = invite(client, link.enterprise_id)
    stored = db_session.scalar(select(Invitation))
    assert path.rsplit("/", 1)[1] not in (stored.token_hash, stored.email)
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    reply = activate(client, path)
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/portal/")
    fresh(db_session)
    user = db_session.scalar(select(User).where(User.email == "boss@shop.test"))
    assert user.role == "enterprise" and user.enterprise_id == link.enterprise_id
    assert client.get("/portal/").status_code == 200
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"invite", "activate"} <= actions


def test_a_used_link_cannot_be_used_again(client, make_link, make_user, db_session):  # noqa: F811
    link = make_link()
    login(client, make_user("admin").email)
    path = invite(client, link.enterprise_id)
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    assert activate(client, path).status_code == 302
    client.post("/portal/logout", data={"csrf_token": csrf(client, "/portal/")})
    again = client.get(path)
    assert again.status_code == 410 and "已使用" in again.get_data(as_text=True)
    assert activate_post_refused(client, path)
    assert db_session.scalar(select(User).where(User.role == "enterprise")) is not None


def activate_post_refused(client, path) -> bool:
    reply = client.post(path, data={"password": "another-pass-99", "confirm": "another-pass-99"})
    return reply.status_code in (400, 410)


def test_an_expired_link_gives_a_clear_message(app, client, make_link, make_user,  # noqa: F811
                                               db_session):
    link = make_link()
    login(client, make_user("admin").email)
    path = invite(client, link.enterprise_id)
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    stored = db_session.scalar(select(Invitation))
    fresh(db_session)
    expires = stored.expires_at.replace(tzinfo=dt.UTC)
    assert expires - dt.datetime.now(dt.UTC) > dt.timedelta(hours=71)
    app.config["CLOCK_NOW"] = (expires + dt.timedelta(seconds=1)).isoformat()
    page = client.get(path)
    assert page.status_code == 410 and "已过期" in page.get_data(as_text=True)
    app.config["CLOCK_NOW"] = (expires - dt.timedelta(minutes=1)).isoformat()
    assert client.get(path).status_code == 200


def test_weak_or_mismatched_passwords_are_refused(client, make_link, make_user,  # noqa: F811
                                                  db_session):
    link = make_link()
    login(client, make_user("admin").email)
    path = invite(client, link.enterprise_id)
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    assert activate(client, path, "short1").status_code == 400
    assert activate(client, path, NEW_PASSWORD, "different-pass-1").status_code == 400
    assert db_session.scalar(select(User).where(User.role == "enterprise")) is None
    assert activate(client, path).status_code == 302


def test_unknown_tokens_and_bad_emails(client, make_link, make_user, db_session):  # noqa: F811
    link = make_link()
    assert client.get("/portal/activate/nonsense").status_code == 410
    login(client, make_user("admin").email)
    token = csrf(client, f"/console/enterprises/{link.enterprise_id}/users")
    for email in ("not-an-email", "admin@bureau.test"):
        reply = client.post(f"/console/enterprises/{link.enterprise_id}/users",
                            data={"csrf_token": token, "email": email})
        assert reply.status_code == 400
    assert db_session.scalar(select(Invitation)) is None


def test_analysts_see_users_but_cannot_invite(client, make_link, make_user):  # noqa: F811
    link = make_link()
    login(client, make_user("analyst").email)
    assert client.get(f"/console/enterprises/{link.enterprise_id}/users").status_code == 200
    token = csrf(client, f"/console/enterprises/{link.enterprise_id}/users")
    reply = client.post(f"/console/enterprises/{link.enterprise_id}/users",
                        data={"csrf_token": token, "email": "x@shop.test"})
    assert reply.status_code == 403


def test_cli_prints_a_working_link(runner, client, make_link, db_session):
    link = make_link()
    out = runner.invoke(args=["invite-enterprise-user", "--enterprise", link.enterprise.uscc,
                              "--email", "cli@shop.test"])
    assert out.exit_code == 0, out.output
    path = re.search(r"http://survey\.test(/portal/activate/\S+)", out.output).group(1)
    assert activate(client, path).status_code == 302
    again = runner.invoke(args=["invite-enterprise-user", "--enterprise", str(link.enterprise_id),
                                "--email", "cli@shop.test"])
    assert again.exit_code != 0 and "exists" in again.output


def test_admin_deactivates_and_reactivates_a_portal_user(  # noqa: F811
        app, client, two_tenants, make_user, db_session):  # noqa: F811
    ours, theirs = two_tenants
    phone = app.test_client()
    portal_login(phone, ours.user.email)
    assert phone.get("/portal/").status_code == 200
    login(client, make_user("admin").email)
    users = f"/console/enterprises/{ours.link.enterprise_id}/users"
    url = f"{users}/{ours.user.id}/active"
    assert client.post(url, data={"csrf_token": csrf(client, users), "active": "maybe"}
                       ).status_code == 400
    other = f"{users}/{theirs.user.id}/active"  # another enterprise's user: not found here
    assert client.post(other, data={"csrf_token": csrf(client, users), "active": "0"}
                       ).status_code == 404
    assert client.post(url, data={"csrf_token": csrf(client, users), "active": "0"}
                       ).status_code == 200
    fresh(db_session)
    assert not db_session.get(User, ours.user.id).active
    assert db_session.get(User, theirs.user.id).active
    assert phone.get("/portal/").status_code == 302  # the open session ends at once
    assert portal_login(app.test_client(), ours.user.email).status_code != 302
    client.post(url, data={"csrf_token": csrf(client, users), "active": "1"})
    assert portal_login(app.test_client(), ours.user.email).status_code == 302
    fresh(db_session)
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "user")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["deactivate", "activate"]


def test_analysts_cannot_deactivate_portal_users(  # noqa: F811
        client, two_tenants, make_user):  # noqa: F811
    ours, _ = two_tenants
    login(client, make_user("analyst").email)
    users = f"/console/enterprises/{ours.link.enterprise_id}/users"
    assert client.post(f"{users}/{ours.user.id}/active",
                       data={"csrf_token": csrf(client, users), "active": "0"}
                       ).status_code == 403
