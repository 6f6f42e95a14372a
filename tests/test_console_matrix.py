"""Every console route, for every role: anonymous → login, enterprise user → 403."""

from __future__ import annotations

import re

from tests.test_console import csrf, login, make_user  # noqa: F401

PUBLIC = {"console.login"}


def console_routes(app):
    """(method, url) for every console rule, with 1 for ids and plausible values elsewhere."""
    values = {"kind": None, "action": None, "code": "catering", "version": "1"}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = rule.rule
            for name in rule.arguments:
                value = values.get(name) or "1"
                converter = rule._converters[name]
                if getattr(converter, "items", None):  # any(...) converter: take a member
                    value = sorted(converter.items)[0] if not values.get(name) else value
                url = re.sub(rf"<[^>]*{name}>", value, url)
            yield method, url, rule.endpoint


def test_every_console_route_requires_login(app, client):
    routes = list(console_routes(app))
    assert len(routes) > 25
    for method, url, _endpoint in routes:
        reply = client.open(url, method=method)
        if method == "GET":
            assert reply.status_code == 302 and "/console/login" in reply.headers["Location"], url
        else:  # the global CSRF check refuses a bare POST before anything else
            assert reply.status_code in (302, 400), (url, reply.status_code)


def test_every_console_route_refuses_enterprise_users(app, client, make_user, make_link):  # noqa: F811
    link = make_link()
    login(client, make_user("enterprise", enterprise_id=link.enterprise_id).email)
    token = csrf(client, "/console/login")
    for method, url, endpoint in console_routes(app):
        if endpoint == "console.logout":
            continue
        data = {"csrf_token": token} if method == "POST" else None
        reply = client.open(url, method=method, data=data)
        assert reply.status_code == 403, (method, url, reply.status_code)


def test_analysts_are_refused_every_admin_route_and_publishing(app, client, make_user,  # noqa: F811
                                                               make_wave, db_session):
    from survey.web.access import ADMIN, PUBLISHERS, rule_for

    assert PUBLISHERS == ADMIN  # least privilege: publishing speaks for the bureau
    wave = make_wave(status="closed")
    login(client, make_user("analyst").email)
    token = csrf(client, "/console/")
    admin_only = [(m, u) for m, u, e in console_routes(app) if rule_for(e, app) == ADMIN]
    assert admin_only
    for method, url in admin_only:
        reply = client.open(url, method=method, data={"csrf_token": token})
        assert reply.status_code == 403, (method, url, reply.status_code)
    refused = client.post(f"/console/waves/{wave.id}/publish", data={"csrf_token": token})
    assert refused.status_code == 403
    page = client.get(f"/console/waves/{wave.id}/results").get_data(as_text=True)
    assert f"/console/waves/{wave.id}/publish" not in page
    assert f"/console/waves/{wave.id}/compute" in page  # analysts still compute


def test_an_admin_passes_the_publish_check(app, client, make_user, make_wave):  # noqa: F811
    wave = make_wave(status="open")  # refused for being open, after the role check
    login(client, make_user("admin").email)
    token = csrf(client, "/console/")
    reply = client.post(f"/console/waves/{wave.id}/publish", data={"csrf_token": token})
    assert reply.status_code == 303 and "/results" in reply.headers["Location"]
