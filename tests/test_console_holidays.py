"""The bureau's holiday calendar: entering a year's notice, and deadlines following it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from survey.model import AuditEntry, CalendarDay
from survey.ops import holidays
from survey.ops.deadlines import add_working_days
from tests.test_console import csrf, login, make_user  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")
NOTICE = {"year": "2099", "days_off": "2099-01-01 元旦\n2099-02-02..2099-02-08 春节",
          "working_days": "2099-01-31 春节调休"}


def post(client, data, path="/console/holidays"):
    return client.post(path, data={"csrf_token": csrf(client, "/console/holidays"), **data})


def test_admin_enters_a_year_and_deadlines_follow_it(client, make_user, db_session):  # noqa: F811
    admin = make_user("admin")
    login(client, admin.email)
    assert "2099" not in client.get("/console/holidays").get_data(as_text=True)
    response = post(client, NOTICE)
    assert response.status_code == 302
    assert "2099-02-05 放假 春节" in client.get("/console/holidays").get_data(as_text=True)
    days = {d.day: (d.working, d.note) for d in db_session.scalars(select(CalendarDay))}
    assert len(days) == 9 and days[dt.date(2099, 2, 5)] == (False, "春节")
    assert days[dt.date(2099, 1, 31)] == (True, "春节调休")
    entry = db_session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
        "enter", "calendar_year", "2099", admin.id)
    calendar = holidays.working_calendar(db_session)
    assert calendar.source(2099) == "bureau"
    # Friday 30 January 2099 -> the worked Saturday 31st; Sunday 1 Feb -> Monday 9 Feb
    friday = dt.datetime(2099, 1, 30, 10, tzinfo=SH)
    assert add_working_days(friday, 1, SH, calendar) == dt.datetime(2099, 1, 31, 10, tzinfo=SH)
    sunday = dt.datetime(2099, 2, 1, 10, tzinfo=SH)
    assert add_working_days(sunday, 1, SH, calendar) == dt.datetime(2099, 2, 10, 0, tzinfo=SH)


def test_a_wrong_line_says_which_and_changes_nothing(client, make_user, db_session):  # noqa: F811
    login(client, make_user("admin").email)
    post(client, NOTICE)
    for days_off, working, message in [
        ("2099-01-01\n2099-13-01", "", "第 2 行"),
        ("2099-01-01", "2099-01-05", "不是周末"),          # Monday 5 January
        ("2098-12-31", "", "不在 2099 年内"),
        ("2099-01-01..2099-03-01", "", "1 至 14 天"),
        ("2099-02-07", "2099-02-07", "同时被列为"),
    ]:
        response = post(client, {"year": "2099", "days_off": days_off, "working_days": working})
        assert response.status_code == 400, days_off
        assert message in response.get_data(as_text=True), days_off
    assert len(db_session.scalars(select(CalendarDay)).all()) == 9
    assert len(db_session.scalars(select(AuditEntry)).all()) == 1


def test_analyst_views_but_cannot_change_and_admin_clears(client, make_user, db_session):  # noqa: F811
    login(client, make_user("admin").email)
    post(client, NOTICE)
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/holidays")})
    login(client, make_user("analyst").email)
    page = client.get("/console/holidays").get_data(as_text=True)
    assert "节假日安排" in page and "录入年度节假日安排" not in page
    assert post(client, NOTICE).status_code == 403
    assert post(client, {}, "/console/holidays/2099/clear").status_code == 403
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/holidays")})
    login(client, make_user("admin", email="admin2@bureau.test").email)
    assert post(client, {}, "/console/holidays/2099/clear").status_code == 302
    assert db_session.scalars(select(CalendarDay)).first() is None
    assert holidays.working_calendar(db_session).source(2099) == "weekdays"
