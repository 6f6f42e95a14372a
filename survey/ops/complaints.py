"""Complaint deadlines of stored complaints, from their replies and the settings."""

from __future__ import annotations

import datetime as dt

from survey.clock import aware, zone
from survey.ops import holidays
from survey.ops.deadlines import ComplaintState, WorkingCalendar, complaint_state


def state_of(submitted_at: dt.datetime, replies, now: dt.datetime, config,
             calendar: WorkingCalendar) -> ComplaintState:
    """Where a complaint stands: first reply and handled times taken from its replies;
    working days from `calendar` (:func:`survey.ops.holidays.working_calendar`)."""
    times = sorted(aware(r.at) for r in replies)
    handled = sorted(aware(r.at) for r in replies if r.marks_handled)
    return complaint_state(
        aware(submitted_at), times[0] if times else None, handled[0] if handled else None,
        now, zone(config), int(config["COMPLAINT_REPLY_WORKING_DAYS"]),
        int(config["COMPLAINT_RESOLVE_DAYS"]), calendar)


def overdue_count(session, wave, enterprise_id: int, sector: str, now: dt.datetime,
                  config) -> int:
    """How many of the enterprise's visible complaints in `wave` are overdue at `now`."""
    from survey.ops import comments  # deferred: comments imports the jieba topic tagger

    rows = comments.comment_rows(session, wave, enterprise_id, sector, complaints_only=True)
    replies = comments.replies_of(session, enterprise_id, [r["id"] for r in rows])
    calendar = holidays.working_calendar(session)
    return sum(state_of(r["at"], replies.get(r["id"], []), now, config, calendar).overdue
               for r in rows)
