"""Complaint deadlines: first reply within N working days, resolution within M days (pure).

Working days are Monday to Friday in the district's time zone (public holidays are not
modelled). A complaint arriving on a weekend starts its reply clock on Monday at 00:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def add_working_days(start: dt.datetime, days: int, zone: dt.tzinfo) -> dt.datetime:
    """`start` moved forward by `days` working days (Sat/Sun skipped), same local time."""
    local = start.astimezone(zone)
    if local.weekday() >= 5:  # weekend: the clock starts on Monday
        local = (local + dt.timedelta(days=7 - local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0)
    moved = 0
    while moved < days:
        local += dt.timedelta(days=1)
        if local.weekday() < 5:
            moved += 1
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class ComplaintState:
    """Where a complaint stands against its deadlines at a given instant."""

    reply_due: dt.datetime
    resolve_due: dt.datetime
    first_reply_at: dt.datetime | None
    handled_at: dt.datetime | None
    reply_overdue: bool
    resolve_overdue: bool
    replied_on_time: bool
    resolved_on_time: bool

    @property
    def overdue(self) -> bool:
        """Either deadline missed and not yet met."""
        return self.reply_overdue or self.resolve_overdue

    @property
    def status(self) -> str:
        """'handled', 'replied' or 'open'."""
        return "handled" if self.handled_at else "replied" if self.first_reply_at else "open"


def complaint_state(submitted_at: dt.datetime, first_reply_at: dt.datetime | None,
                    handled_at: dt.datetime | None, now: dt.datetime, zone: dt.tzinfo,
                    reply_days: int = 1, resolve_days: int = 15) -> ComplaintState:
    """Deadlines of a complaint and whether they are (or were) missed at `now`.

    A deadline is overdue while its step is still undone after its due time; a step done
    late counts as done, but not on time.
    """
    reply_due = add_working_days(submitted_at, reply_days, zone)
    resolve_due = submitted_at + dt.timedelta(days=resolve_days)
    return ComplaintState(
        reply_due=reply_due, resolve_due=resolve_due,
        first_reply_at=first_reply_at, handled_at=handled_at,
        reply_overdue=first_reply_at is None and now > reply_due,
        resolve_overdue=handled_at is None and now > resolve_due,
        replied_on_time=first_reply_at is not None and first_reply_at <= reply_due,
        resolved_on_time=handled_at is not None and handled_at <= resolve_due,
    )
