"""Complaint deadlines: first reply within N working days, resolution within M days (pure).

Working days follow China's statutory calendar in the district's time zone: weekends and
public holidays are off, and the adjusted working weekends (调休) are working days. The
calendar is the ``chinese-calendar`` package, which ships the State Council's notices year
by year; a date beyond its data raises :class:`HolidayDataMissing` rather than guessing.
A complaint arriving on a day off starts its reply clock on the next working day at 00:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import version

import chinese_calendar


class HolidayDataMissing(ValueError):
    """The holiday calendar has no data for a year (the package needs an update)."""


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in China (holidays off, adjusted weekends on)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        raise HolidayDataMissing(
            f"China's holiday calendar (chinese-calendar {version('chinese-calendar')}) has no "
            f"data for {day.year}; upgrade the chinese-calendar package") from error


def add_working_days(start: dt.datetime, days: int, zone: dt.tzinfo) -> dt.datetime:
    """`start` moved forward by `days` working days (days off skipped), same local time.

    Examples
    --------
    >>> import datetime as dt
    >>> cst = dt.timezone(dt.timedelta(hours=8))
    >>> # Friday 30 Sep 2022 before National Day: Oct 1-7 are off, Oct 8 (Sat) is worked.
    >>> due = add_working_days(dt.datetime(2022, 9, 30, 10, tzinfo=cst), 1, cst)
    >>> due.astimezone(cst).isoformat()
    '2022-10-08T10:00:00+08:00'
    """
    local = start.astimezone(zone)
    if not is_working_day(local.date()):  # a day off: the clock starts the next working day
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        while not is_working_day(local.date()):
            local += dt.timedelta(days=1)
    moved = 0
    while moved < days:
        local += dt.timedelta(days=1)
        if is_working_day(local.date()):
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
