"""The bureau's field sample: plans drawn by the CLI, interviewers' pages, field interviews."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.model import FieldAssignment, Response
from tests.test_console import csrf, login, make_user  # noqa: F401
from tests.test_console_matrix import console_routes
from tests.test_survey import full_answers


def plan_rows(db_session):
    db_session.rollback()  # see rows committed by the app since the last look
    return [(a.enterprise_id, a.slot, round(a.pi, 9), a.interviewer_id) for a in
            db_session.scalars(select(FieldAssignment).order_by(FieldAssignment.id))]


@pytest.fixture
def planned(runner, make_link, make_user, db_session):  # noqa: F811
    """Six enterprises in two sectors, two interviewers and a drawn plan (2 per sector)."""
    links = [make_link("catering") for _ in range(3)] + [make_link("retail") for _ in range(3)]
    users = [make_user("interviewer", f"iv{i}@bureau.test") for i in range(2)]
    result = runner.invoke(args=["field", "plan", "--wave", "2026Q4", "--n", "2", "--seed", "7"])
    assert result.exit_code == 0, result.output
    return links, users, result.output


def test_cli_plan_is_reproducible_for_a_seed(runner, planned, db_session):
    _links, _users, output = planned
    first = plan_rows(db_session)
    assert len(first) == 4 * 3  # 2 enterprises x 2 sectors x 3 slots
    assert "seed 7" in output and "weight" in output
    again = runner.invoke(args=["field", "plan", "--wave", "2026Q4", "--n", "2", "--seed", "7"])
    assert again.exit_code == 0
    assert [r[:3] for r in plan_rows(db_session)] == [r[:3] for r in first]
    other = runner.invoke(args=["field", "plan", "--wave", "2026Q4", "--n", "2", "--seed", "8"])
    assert other.exit_code == 0
    assert [r[:3] for r in plan_rows(db_session)] != [r[:3] for r in first]


def test_plan_probabilities_are_stored(planned, db_session):
    rows = db_session.scalars(select(FieldAssignment)).all()
    for a in rows:  # equal volumes: 2 of 3 per sector, 3 of the 9 open hours a day x 7
        assert a.pi_enterprise == pytest.approx(2 / 3)
        assert a.pi_slot == pytest.approx(3 / 63) and a.weight == pytest.approx(1 / a.pi)
    assert {a.interviewer_id for a in rows} == {u.id for u in planned[1]}


def test_cli_plan_refuses_unknown_wave(runner, make_link):
    result = runner.invoke(args=["field", "plan", "--wave", "1999Q1"])
    assert result.exit_code != 0 and "no wave" in result.output


def _mine_and_theirs(db_session, user):
    rows = db_session.scalars(select(FieldAssignment)).all()
    return ([a for a in rows if a.interviewer_id == user.id],
            [a for a in rows if a.interviewer_id != user.id])


def test_interviewer_sees_only_their_assignments(client, planned, db_session):
    _links, users, _out = planned
    mine, theirs = _mine_and_theirs(db_session, users[0])
    reply = login(client, users[0].email)
    assert reply.headers["Location"].endswith("/console/field")
    page = client.get("/console/field").get_data(as_text=True)
    assert all(f"/console/field/{a.id}\"" in page for a in mine)
    assert not any(f"/console/field/{a.id}\"" in page for a in theirs)
    assert client.get(f"/console/field/{theirs[0].id}").status_code == 404
    assert client.get(f"/console/field/{mine[0].id}").status_code == 200


def test_interviewer_is_refused_everywhere_else_in_the_console(app, client, planned):
    login(client, planned[1][0].email)
    token = csrf(client, "/console/field")
    for method, url, endpoint in console_routes(app):
        if endpoint.startswith("console.field") or endpoint == "console.logout":
            continue
        data = {"csrf_token": token} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)


def test_bureau_and_enterprise_users_cannot_enter_interviews(client, planned, make_user,  # noqa: F811
                                                             db_session):
    first = db_session.scalars(select(FieldAssignment)).first()
    login(client, make_user("admin").email)
    assert client.get("/console/field").status_code == 403
    assert client.get(f"/console/field/{first.id}").status_code == 403


def test_field_interview_is_stored_once_with_interviewer_and_slot(client, planned, db_session):
    user = planned[1][0]
    mine, _theirs = _mine_and_theirs(db_session, user)
    login(client, user.email)
    page = client.get(f"/console/field/{mine[0].id}").get_data(as_text=True)
    token = csrf(client, f"/console/field/{mine[0].id}")
    key = page.split('name="k" value="')[1].split('"')[0]
    data = {"csrf_token": token, "k": key} | full_answers(mine[0].enterprise.sector.code)
    first = client.post(f"/console/field/{mine[0].id}", data=data)
    again = client.post(f"/console/field/{mine[0].id}", data=data)  # flaky network: resent
    assert first.status_code == 303 and again.status_code == 303
    db_session.rollback()  # see rows committed by the app since the last look
    [row] = db_session.scalars(select(Response)).all()
    assert (row.source, row.interviewer_id, row.field_assignment_id) == ("field", user.id,
                                                                         mine[0].id)
    assert row.enterprise_id == mine[0].enterprise_id and not row.verified
    assert "1 / 6" in client.get("/console/field").get_data(as_text=True)


def test_field_interview_is_validated_like_the_survey(client, planned, db_session):
    user = planned[1][0]
    mine, _theirs = _mine_and_theirs(db_session, user)
    login(client, user.email)
    page = client.get(f"/console/field/{mine[0].id}").get_data(as_text=True)
    key = page.split('name="k" value="')[1].split('"')[0]
    data = {"csrf_token": csrf(client, f"/console/field/{mine[0].id}"), "k": key}
    reply = client.post(f"/console/field/{mine[0].id}", data=data | {"sat1": "99"})
    assert reply.status_code == 400
    db_session.rollback()  # see rows committed by the app since the last look
    assert db_session.scalars(select(Response)).all() == []


def test_the_field_frame_holds_service_enterprises_only(planned, db_session):
    from survey.model import Enterprise
    from survey.ops import field

    links, _users, _output = planned
    project = db_session.get(Enterprise, links[0].enterprise_id)
    project.kind, project.dwellings = "housing_project", 40  # answers by dwelling code only
    db_session.commit()
    frame, hours = field.plan_frame(db_session)
    assert project.id not in set(frame["enterprise_id"])
    assert project.id not in set(hours["enterprise_id"])
    assert {link.enterprise_id for link in links[1:]} <= set(frame["enterprise_id"])
