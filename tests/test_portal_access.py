"""Tenancy: every portal URL with another enterprise's ids gives 404/403, never its data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey.model import Wave
from tests.portal_support import (  # noqa: F401  (fixtures)
    csrf,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)
from tests.test_console import make_user  # noqa: F401
from tests.test_portal_organisations import choose, estate  # noqa: F401  (fixture)

PUBLIC = {"portal.login", "portal.activate"}
ID_ARGS = {"response_id", "link_id", "wave_id", "token"}


def portal_routes(app, values: dict):
    """(method, url, endpoint) for every portal rule, path arguments taken from `values`."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = rule.rule
            for name in rule.arguments:
                converter = rule._converters[name]
                value = values.get(name) or sorted(getattr(converter, "items", ["1"]))[0]
                url = re.sub(rf"<[^>]*{name}>", str(value), url)
            yield method, url, rule.endpoint


@pytest.fixture
def theirs_only_wave(app, two_tenants, make_link, make_wave, db_session):  # noqa: F811
    """A second wave in which only the other enterprise has a link."""
    wave = make_wave("2026Q3", status="closed", days=(-120, -60))
    other = two_tenants[1].link
    from survey.keys import link_key
    from survey.ops.links import create_link

    link = create_link(db_session, other.enterprise, wave, "旧门店", key=link_key(app.config))
    db_session.commit()
    return db_session.get(Wave, link.wave_id)


def test_every_portal_endpoint_declares_its_roles(app):
    endpoints = [e for e in app.view_functions if e.startswith("portal.")]
    assert len(endpoints) >= 12
    assert all(hasattr(app.view_functions[e], "_manyi_roles") for e in endpoints)


def test_anonymous_is_sent_to_the_portal_login(app, client, two_tenants):  # noqa: F811
    theirs = two_tenants[1]
    values = {"response_id": theirs.responses[0].id, "link_id": theirs.link.id,
              "wave_id": theirs.link.wave_id, "token": "x" * 43}
    routes = [r for r in portal_routes(app, values) if r[2] not in PUBLIC]
    for method, url, endpoint in routes:
        reply = client.open(url, method=method)
        if method == "GET":
            assert reply.status_code == 302, (url, reply.status_code)
            assert "/portal/login" in reply.headers["Location"], url
        else:  # the global CSRF check refuses a bare POST first
            assert reply.status_code in (302, 400), (url, reply.status_code)
        assert "theirs" not in reply.get_data(as_text=True), endpoint


def test_another_enterprises_ids_give_404_or_403(app, client, two_tenants, theirs_only_wave):  # noqa: F811
    ours, theirs = two_tenants
    assert portal_login(client, ours.user.email).status_code == 302
    token = csrf(client, "/portal/")
    values = {"response_id": theirs.responses[0].id, "link_id": theirs.link.id,
              "wave_id": theirs_only_wave.id, "kind": "csv", "token": "not-a-real-token"}
    checked = 0
    for method, url, endpoint in portal_routes(app, values):
        if endpoint in ("portal.logout", "portal.login"):
            continue
        if not ID_ARGS & set(app.url_map._rules_by_endpoint[endpoint][0].arguments):
            continue  # no id in the path: checked with query strings below
        data = {"csrf_token": token, "body": "我们已处理", "reason": "恶意差评，并非真实顾客"}
        reply = client.open(url, method=method, data=data if method == "POST" else None)
        assert reply.status_code in (403, 404, 410), (method, url, reply.status_code)
        assert "theirs" not in reply.get_data(as_text=True), url
        checked += 1
    assert checked >= 7
    for path in ("/portal/", "/portal/comments", "/portal/complaints"):
        reply = client.get(f"{path}?wave={theirs_only_wave.id}")
        assert reply.status_code == 404, path


def test_shared_wave_pages_show_only_our_data(client, two_tenants, db_session):  # noqa: F811
    ours, theirs = two_tenants
    portal_login(client, ours.user.email)
    wave = ours.link.wave_id
    for path in ("/portal/", f"/portal/comments?wave={wave}", f"/portal/complaints?wave={wave}",
                 "/portal/appeals", f"/portal/waves/{wave}/responses.csv",
                 f"/portal/complaints/{ours.responses[0].id}"):
        reply = client.get(path)
        body = reply.get_data(as_text=True)
        assert reply.status_code == 200, path
        assert "theirs" not in body and theirs.link.enterprise.name not in body, path
    assert "ours 评论" in client.get(f"/portal/comments?wave={wave}").get_data(as_text=True)
    csv = client.get(f"/portal/waves/{wave}/responses.csv").get_data(as_text=True)
    assert str(theirs.responses[0].id) not in [line.split(",")[0] for line in csv.splitlines()]


def test_bureau_staff_cannot_use_the_portal_pages(client, two_tenants, make_user):  # noqa: F811
    from tests.test_console import login

    login(client, make_user("analyst").email)
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/comments").status_code == 403


def test_enterprise_login_on_the_console_lands_in_the_portal(client, two_tenants):  # noqa: F811
    from tests.test_console import login

    reply = login(client, two_tenants[0].user.email)
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/portal/")


def test_portal_login_refuses_a_wrong_password(client, two_tenants):  # noqa: F811
    reply = portal_login(client, two_tenants[0].user.email, "wrong-password-1")
    assert reply.status_code == 401
    assert client.get("/portal/").status_code == 302


@pytest.mark.parametrize("foreign", ["service", "rival"])
def test_organisation_user_gets_404_or_403_on_other_units_ids(app, client, two_tenants,  # noqa: F811
                                                              estate, db_session, foreign):  # noqa: F811
    """A developer's user, with its own project chosen, probes a service enterprise's and a
    rival developer's ids on every portal URL."""
    from survey.model import CollectionLink, Response

    portal_login(client, estate.users["developer"].email)
    assert choose(client, estate.ours[0].id).status_code == 303
    if foreign == "service":
        theirs = two_tenants[1]
        response_id, link_id = theirs.responses[0].id, theirs.link.id
        name = theirs.link.enterprise.name
    else:
        link_id = estate.links[estate.rivals.id].id
        response_id = db_session.scalar(
            select(Response.id).where(Response.link_id == link_id))
        name = estate.rivals.name
    token = csrf(client, "/portal/")
    values = {"response_id": response_id, "link_id": link_id, "unit_id": None,
              "wave_id": 999999, "kind": "csv", "token": "not-a-real-token"}
    checked = 0
    for method, url, endpoint in portal_routes(app, values):
        args = set(app.url_map._rules_by_endpoint[endpoint][0].arguments)
        if endpoint in ("portal.logout", "portal.login") or not ID_ARGS & args:
            continue
        data = {"csrf_token": token, "body": "我们已处理", "reason": "恶意差评，并非真实顾客"}
        reply = client.open(url, method=method, data=data if method == "POST" else None)
        assert reply.status_code in (403, 404, 410), (method, url, reply.status_code)
        assert name not in reply.get_data(as_text=True), url
        checked += 1
    assert checked >= 7
    foreign_unit = estate.rivals.id if foreign == "rival" else two_tenants[1].link.enterprise_id
    assert choose(client, foreign_unit).status_code == 404
    for path in ("/portal/", "/portal/comments", "/portal/complaints", "/portal/appeals"):
        body = client.get(path).get_data(as_text=True)
        assert name not in body, path
    assert "海韵花园" in client.get("/portal/").get_data(as_text=True)
    assert db_session.scalar(select(CollectionLink.id).where(CollectionLink.id == link_id))
