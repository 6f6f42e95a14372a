"""Complaint deadlines with a fixed clock: working days follow China's statutory calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from survey import db as survey_db
from survey.model import Response
from survey.ops.deadlines import WorkingCalendar, add_working_days, complaint_state, package_knows
from tests.portal_support import (  # noqa: F401  (fixtures)
    csrf,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)
from tests.test_console import login, make_user  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(("start", "due"), [
    (local(2026, 11, 23, 10, 0), local(2026, 11, 24, 10, 0)),   # Monday -> Tuesday
    (local(2026, 11, 27, 16, 30), local(2026, 11, 30, 16, 30)),  # Friday -> Monday
    (local(2026, 11, 28, 9, 0), local(2026, 12, 1, 0, 0)),      # Saturday: clock starts Monday
    (local(2026, 11, 29, 23, 0), local(2026, 12, 1, 0, 0)),     # Sunday likewise
])
def test_one_working_day_skips_the_weekend(start, due):
    assert add_working_days(start, 1, SH) == due


# The State Council's 2026 notice (国办发明电〔2025〕): Spring Festival off 15–23 February,
# worked Saturdays 14 and 28 February; National Day off 1–7 October, worked 20 September
# (Sunday) and 10 October (Saturday).
@pytest.mark.parametrize(("start", "days", "due"), [
    (local(2026, 2, 13, 10, 0), 1, local(2026, 2, 14, 10, 0)),   # Fri -> the worked Saturday
    (local(2026, 2, 14, 10, 0), 1, local(2026, 2, 24, 10, 0)),   # across the whole holiday
    (local(2026, 2, 16, 9, 0), 1, local(2026, 2, 25, 0, 0)),     # filed on a holiday
    (local(2026, 2, 27, 10, 0), 1, local(2026, 2, 28, 10, 0)),   # Fri -> the worked Saturday
    (local(2026, 9, 19, 10, 0), 1, local(2026, 9, 21, 0, 0)),    # Sat: starts on worked Sun 20
    (local(2026, 9, 30, 10, 0), 1, local(2026, 10, 8, 10, 0)),   # National Day
    (local(2026, 10, 8, 10, 0), 2, local(2026, 10, 10, 10, 0)),  # Thu -> Fri -> worked Sat
])
def test_working_days_follow_holidays_and_adjusted_weekends(start, days, due):
    assert add_working_days(start, days, SH) == due


def test_a_year_nobody_knows_counts_monday_to_friday_and_is_provisional():
    assert not package_knows(2099)
    # Friday 5 June 2099 -> Monday 8 June
    assert add_working_days(local(2099, 6, 5, 10, 0), 1, SH) == local(2099, 6, 8, 10, 0)
    state = complaint_state(local(2099, 6, 5, 10, 0), None, None, local(2099, 6, 5, 11), SH)
    assert state.provisional
    known = complaint_state(local(2026, 11, 27, 16, 0), None, None, local(2026, 11, 28), SH)
    assert not known.provisional


def test_a_deadline_reaching_into_an_unknown_year_is_provisional():
    last = max(y for y in range(2020, 2100) if package_knows(y))
    eve = local(last, 12, 31, 10, 0)
    state = complaint_state(eve, None, None, eve, SH, reply_days=3)
    assert state.reply_due.astimezone(SH).year == last + 1 and state.provisional


def test_bureau_entries_override_and_match_the_package_on_a_known_year():
    """The package's own 2026 notice, entered as the bureau would: every day of 2026 agrees."""
    import chinese_calendar

    year = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    entered = {d: chinese_calendar.is_workday(d) for d in year
               if chinese_calendar.is_workday(d) != (d.weekday() < 5)}
    bureau = WorkingCalendar(entered)
    assert bureau.source(2026) == "bureau" and len(entered) > 10
    assert all(bureau.is_working_day(d) == chinese_calendar.is_workday(d) for d in year)
    # an entered year unknown to the package: its holiday is off, its worked Saturday on
    future = WorkingCalendar({dt.date(2099, 6, 1): False, dt.date(2099, 6, 6): True})
    assert future.knows(2099) and not future.is_working_day(dt.date(2099, 6, 1))
    assert add_working_days(local(2099, 5, 29, 9, 0), 1, SH, future) == local(2099, 6, 2, 9, 0)
    assert add_working_days(local(2099, 6, 5, 9, 0), 1, SH, future) == local(2099, 6, 6, 9, 0)


def test_several_working_days_cross_a_weekend():
    assert add_working_days(local(2026, 11, 26, 12, 0), 3, SH) == local(2026, 12, 1, 12, 0)


def test_states_at_fixed_instants():
    friday = local(2026, 11, 27, 16, 0)
    before = complaint_state(friday, None, None, local(2026, 11, 29, 12, 0), SH)
    assert not before.overdue and before.status == "open"
    late = complaint_state(friday, None, None, local(2026, 11, 30, 16, 1), SH)
    assert late.reply_overdue and not late.resolve_overdue
    replied = complaint_state(friday, local(2026, 11, 30, 9, 0), None,
                              local(2026, 12, 12, 12, 0), SH)
    assert replied.replied_on_time and not replied.overdue and replied.status == "replied"
    unresolved = complaint_state(friday, local(2026, 11, 30, 9, 0), None,
                                 local(2026, 12, 12, 16, 1), SH)
    assert unresolved.resolve_overdue and not unresolved.reply_overdue
    handled = complaint_state(friday, local(2026, 12, 1, 9, 0), local(2026, 12, 2, 9, 0),
                              local(2027, 1, 1), SH)
    assert not handled.overdue and not handled.replied_on_time and handled.resolved_on_time


def test_deadline_settings_are_used(app, client, two_tenants):  # noqa: F811
    ours = two_tenants[0]
    complaint = ours.responses[0]
    submitted = complaint.submitted_at.replace(tzinfo=dt.UTC)
    app.config["COMPLAINT_REPLY_WORKING_DAYS"] = 5
    app.config["CLOCK_NOW"] = (submitted + dt.timedelta(days=4)).isoformat()
    portal_login(client, ours.user.email)
    page = client.get(f"/portal/complaints/{complaint.id}").get_data(as_text=True)
    assert "badge late" not in page
    app.config["COMPLAINT_REPLY_WORKING_DAYS"] = 1
    page = client.get(f"/portal/complaints/{complaint.id}").get_data(as_text=True)
    assert "badge late" in page


def test_overdue_complaint_is_highlighted_then_cleared_by_a_reply(app, client, two_tenants):  # noqa: F811
    ours = two_tenants[0]
    complaint = ours.responses[0]
    submitted = complaint.submitted_at.replace(tzinfo=dt.UTC)
    app.config["CLOCK_NOW"] = (submitted + dt.timedelta(days=5)).isoformat()
    portal_login(client, ours.user.email)
    listing = client.get(f"/portal/complaints?wave={ours.link.wave_id}").get_data(as_text=True)
    assert f'class="comment overdue" id="c{complaint.id}"' in listing
    banner = client.get("/portal/").get_data(as_text=True)
    assert 'id="overdue"' in banner and "1 条投诉已超时" in banner
    token = csrf(client, f"/portal/complaints/{complaint.id}")
    reply = client.post(f"/portal/complaints/{complaint.id}/reply",
                        data={"csrf_token": token, "body": "已联系顾客并退款"})
    assert reply.status_code == 303
    listing = client.get(f"/portal/complaints?wave={ours.link.wave_id}").get_data(as_text=True)
    assert f'class="comment overdue" id="c{complaint.id}"' not in listing
    assert 'id="overdue"' not in client.get("/portal/").get_data(as_text=True)
    app.config["CLOCK_NOW"] = (submitted + dt.timedelta(days=16)).isoformat()
    listing = client.get(f"/portal/complaints?wave={ours.link.wave_id}").get_data(as_text=True)
    assert f'class="comment overdue" id="c{complaint.id}"' in listing  # resolution now late


def test_bureau_sees_overdue_complaints_and_rates(app, client, two_tenants, make_user):  # noqa: F811
    ours, theirs = two_tenants
    submitted = ours.responses[0].submitted_at.replace(tzinfo=dt.UTC)
    portal_login(client, ours.user.email)
    token = csrf(client, f"/portal/complaints/{ours.responses[0].id}")
    client.post(f"/portal/complaints/{ours.responses[0].id}/reply",
                data={"csrf_token": token, "body": "已处理完毕", "handled": "1"})
    client.post("/portal/logout", data={"csrf_token": token})
    app.config["CLOCK_NOW"] = (submitted + dt.timedelta(days=6)).isoformat()
    login(client, make_user("analyst").email)
    page = client.get("/console/complaints").get_data(as_text=True)
    overdue = page.split("<h2>", 3)[1]
    assert theirs.link.enterprise.name in overdue and ours.link.enterprise.name not in overdue
    row = next(line for line in page.splitlines() if ours.link.enterprise.name in line
               and "100%" in line)
    assert row.count("100%") == 3  # replied, on time, resolved


def test_complaints_the_enterprise_cannot_see_yet_owe_no_reply(  # noqa: F811
        app, client, two_tenants, make_user):  # noqa: F811
    """Below the k threshold the enterprise sees no complaint, so the bureau sees none overdue."""
    ours, theirs = two_tenants
    submitted = ours.responses[0].submitted_at.replace(tzinfo=dt.UTC)
    app.config["CLOCK_NOW"] = (submitted + dt.timedelta(days=30)).isoformat()
    app.config["COMMENT_MIN_RESPONSES"] = 7  # each tenant has six responses
    login(client, make_user("analyst").email)
    page = client.get("/console/complaints?lang=en").get_data(as_text=True)
    overdue = page.split("<h2>", 3)[1]
    assert theirs.link.enterprise.name not in overdue and ours.link.enterprise.name not in overdue
    assert "2 complaint(s) held back" in page


def test_complaint_in_an_unknown_year_is_shown_provisional_not_an_error(  # noqa: F811
        app, client, two_tenants, make_user):  # noqa: F811
    ours = two_tenants[0]
    complaint = ours.responses[0]
    app.config["CLOCK_NOW"] = "2099-06-01T00:00:00+00:00"
    with app.app_context():
        session = survey_db.session_scope(app, write=True)
        row = session.get(Response, complaint.id)
        row.submitted_at = dt.datetime(2099, 5, 29, 2, 0, tzinfo=dt.UTC)
        session.commit()
        session.close()
    portal_login(client, ours.user.email)
    page = client.get(f"/portal/complaints/{complaint.id}")
    assert page.status_code == 200 and "暂定" in page.get_data(as_text=True)
    client.post("/portal/logout", data={"csrf_token": csrf(client, "/portal/")})
    login(client, make_user("analyst").email)
    console = client.get("/console/complaints").get_data(as_text=True)
    assert "2099" in console and "/console/holidays" in console
