"""Complaint deadlines of stored complaints, from their replies and the settings."""

from __future__ import annotations

import datetime as dt

from portal.clock import aware, local_zone
from portal.deadlines import ComplaintState, complaint_state


def state_of(submitted_at: dt.datetime, replies, now: dt.datetime, config) -> ComplaintState:
    """Where a complaint stands: first reply and handled times taken from its replies."""
    times = sorted(aware(r.at) for r in replies)
    handled = sorted(aware(r.at) for r in replies if r.marks_handled)
    return complaint_state(
        aware(submitted_at), times[0] if times else None, handled[0] if handled else None,
        now, local_zone(config), int(config["COMPLAINT_REPLY_WORKING_DAYS"]),
        int(config["COMPLAINT_RESOLVE_DAYS"]))


def overdue_count(session, wave, sector: str, now: dt.datetime, config) -> int:
    """How many of the enterprise's visible complaints in `wave` are overdue at `now`."""
    from portal import comments  # deferred: comments is a heavier, request-side module

    rows = comments.comment_rows(session, wave, sector, complaints_only=True)
    replies = comments.replies_of(session, [r["id"] for r in rows])
    return sum(state_of(r["at"], replies.get(r["id"], []), now, config).overdue for r in rows)
