"""Portal users of an organisation: the units it owns or builds, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from survey.keys import link_key
from survey.model import Category, CollectionLink, Enterprise, Organisation, Sector, User, Wave
from survey.ops.accounts import hash_password
from survey.ops.links import create_link
from survey.ops.uscc import make_code
from tests.portal_support import (  # noqa: F401  (fixtures)
    PASSWORD,
    csrf,
    fresh,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)
from tests.test_console import make_user  # noqa: F401  (fixture)


@dataclass
class Estate:
    """Organisations, their housing projects (with links in the wave) and their users."""

    developer: Organisation
    builder: Organisation
    rival: Organisation
    ours: list[Enterprise]  # owned by the developer; the first is built by the builder
    rivals: Enterprise  # owned by the rival
    links: dict  # unit id → its collection link
    users: dict  # "developer" / "builder" / "rival" → User


@pytest.fixture
def estate(app, db_session, two_tenants, make_response):  # noqa: F811
    """Three organisations and three housing projects in the wave of the two service tenants."""
    wave = db_session.scalar(select(Wave).where(Wave.code == "2026Q4"))
    category = Category(code="construction", name_zh="建设工程", name_en="Construction",
                        target=0, family="construction", target_kind="improvement")
    # The housing instrument is another helper's; the tenancy rules need only a questionnaire.
    sector = Sector(code="housing", name_zh="住宅", name_en="Housing", category=category,
                    instrument_code="catering")
    orgs = [Organisation(name=name, uscc=make_code("210213", f"MC{n:06d}"))
            for n, name in enumerate(("海韵置业", "中建八局", "对手地产"), start=1)]
    units = [Enterprise(name=name, kind="housing_project", sector=sector, street="友谊街道",
                        owner=owner, builder=builder, uscc=None)
             for name, owner, builder in (("海韵花园", orgs[0], orgs[1]),
                                          ("星海湾一期", orgs[0], None),
                                          ("对手小区", orgs[2], None))]
    db_session.add_all([category, sector, *orgs, *units])
    db_session.flush()
    links = {u.id: create_link(db_session, u, wave, "售楼处", key=link_key(app.config))
             for u in units}
    users = {role: User(email=f"{role}@org.test", name=role, role="enterprise",
                        organisation_id=org.id, password_hash=hash_password(PASSWORD))
             for role, org in zip(("developer", "builder", "rival"), orgs, strict=True)}
    db_session.add_all(users.values())
    db_session.commit()
    for unit in units:
        for k in range(5):
            make_response(links[unit.id], value=4 + k, comment=f"{unit.name} 评论{k} 物业好",
                          complaint=(k == 0))
    return Estate(*orgs, units[:2], units[2], links, users)


def choose(client, unit_id: int):
    """Open unit `unit_id` on the units page."""
    token = csrf(client, "/portal/units")
    return client.post(f"/portal/units/{unit_id}", data={"csrf_token": token})


def test_organisation_user_lists_its_units_only(client, estate, two_tenants):  # noqa: F811
    portal_login(client, estate.users["developer"].email)
    reply = client.get("/portal/")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/portal/units")
    body = client.get("/portal/units").get_data(as_text=True)
    assert "海韵花园" in body and "星海湾一期" in body
    assert "对手小区" not in body and two_tenants[0].link.enterprise.name not in body


def test_organisation_user_sees_a_chosen_units_dashboard(client, estate):
    portal_login(client, estate.users["developer"].email)
    unit = estate.ours[1]
    assert choose(client, unit.id).status_code == 303
    page = client.get("/portal/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "星海湾一期" in body and "海韵花园" not in body
    wave = estate.links[unit.id].wave_id
    comments = client.get(f"/portal/comments?wave={wave}").get_data(as_text=True)
    assert "星海湾一期 评论" in comments and "海韵花园 评论" not in comments


def test_builder_sees_the_projects_it_built(client, estate):
    portal_login(client, estate.users["builder"].email)
    body = client.get("/portal/units").get_data(as_text=True)
    assert "海韵花园" in body and "星海湾一期" not in body
    assert choose(client, estate.ours[1].id).status_code == 404
    assert choose(client, estate.ours[0].id).status_code == 303


def test_another_organisations_or_a_service_unit_cannot_be_chosen(client, estate,
                                                                 two_tenants):  # noqa: F811
    portal_login(client, estate.users["developer"].email)
    choose(client, estate.ours[0].id)
    for unit_id in (estate.rivals.id, two_tenants[1].link.enterprise_id, 999999):
        assert choose(client, unit_id).status_code == 404
    body = client.get("/portal/").get_data(as_text=True)
    assert "海韵花园" in body  # the earlier choice stands


def test_a_unit_given_to_another_owner_disappears_at_once(client, estate, db_session):
    portal_login(client, estate.users["developer"].email)
    choose(client, estate.ours[1].id)
    assert client.get("/portal/").status_code == 200
    unit = db_session.get(Enterprise, estate.ours[1].id)
    unit.owner_id = estate.rival.id
    db_session.commit()
    reply = client.get("/portal/")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/portal/units")
    assert "星海湾一期" not in client.get("/portal/units").get_data(as_text=True)


def test_unit_user_units_page_shows_only_its_unit(client, two_tenants):  # noqa: F811
    ours, theirs = two_tenants
    portal_login(client, ours.user.email)
    body = client.get("/portal/units").get_data(as_text=True)
    assert ours.link.enterprise.name in body and theirs.link.enterprise.name not in body
    assert choose(client, theirs.link.enterprise_id).status_code == 404


def test_console_invites_a_developer_who_then_sees_its_units(
        client, estate, db_session, make_user):  # noqa: F811
    from tests.test_console import login

    unit = estate.ours[0]
    login(client, make_user("admin").email)
    page = f"/console/enterprises/{unit.id}/users"
    assert "中建八局" in client.get(page).get_data(as_text=True)
    token = csrf(client, page)
    refused = client.post(page, data={"csrf_token": token, "email": "x@org.test",
                                      "organisation_id": str(estate.rival.id)})
    assert refused.status_code == 400
    reply = client.post(page, data={"csrf_token": token, "email": "boss@dev.test",
                                    "name": "王总", "organisation_id": str(estate.developer.id)})
    body = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "海韵置业 的全部单位" in body
    link = body.split("/portal/activate/", 1)[1].split("<", 1)[0]
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    token = csrf(client, f"/portal/activate/{link}")
    done = client.post(f"/portal/activate/{link}", data={
        "csrf_token": token, "password": "a long passphrase 7", "confirm": "a long passphrase 7"})
    assert done.status_code == 302
    fresh(db_session)
    user = db_session.scalar(select(User).where(User.email == "boss@dev.test"))
    assert user.organisation_id == estate.developer.id and user.enterprise_id is None
    body = client.get("/portal/units").get_data(as_text=True)
    assert "海韵花园" in body and "星海湾一期" in body and "对手小区" not in body


def test_organisation_invitation_needs_exactly_one_scope(db_session, estate):
    from sqlalchemy.exc import IntegrityError

    from survey.model import Invitation

    db_session.add(Invitation(token_hash="h" * 64, email="a@b.test", enterprise_id=None,
                              organisation_id=None, expires_at=estate.developer.created_at))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    assert db_session.scalar(select(CollectionLink.id)) is not None


def test_cli_invites_an_organisation_by_credit_code(runner, estate, db_session):
    out = runner.invoke(args=["invite-enterprise-user", "--organisation", estate.builder.uscc,
                              "--email", "site@builder.test"])
    assert out.exit_code == 0 and "中建八局" in out.output and "/portal/activate/" in out.output
    fresh(db_session)
    from survey.model import Invitation

    row = db_session.scalar(select(Invitation).where(Invitation.email == "site@builder.test"))
    assert row.organisation_id == estate.builder.id and row.enterprise_id is None
    both = runner.invoke(args=["invite-enterprise-user", "--organisation", "1",
                               "--enterprise", "1", "--email", "x@y.test"])
    assert both.exit_code != 0 and "exactly one" in both.output


def test_units_page_in_english(client, estate):
    portal_login(client, estate.users["developer"].email)
    body = client.get("/portal/units?lang=en").get_data(as_text=True)
    assert "Your units" in body and "Housing project" in body
