"""Complaint deadlines: first reply within N working days, resolution within M days (pure).

Working days follow China's statutory calendar in the district's time zone: weekends and
public holidays are off, and the adjusted working weekends (调休) are working days. A year's
days come, in this order, from the bureau's own entries (:class:`WorkingCalendar`, typed in
from the State Council's notice, which appears each November for the next year), from the
``chinese-calendar`` package (which ships those notices up to its release), or, for a year
neither knows, from the plain week (Monday to Friday): deadlines in such a year are
*provisional* and say so, rather than failing or pretending to know the holidays.
A complaint arriving on a day off starts its reply clock on the next working day at 00:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import chinese_calendar


@cache
def package_knows(year: int) -> bool:
    """Whether the chinese-calendar package has the holiday notice of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class WorkingCalendar:
    """The bureau's entered exceptions to the plain week: date → working day or not.

    A year with any entry is wholly the bureau's (its other days follow the plain week).
    """

    days: Mapping[dt.date, bool] = field(default_factory=dict)

    @property
    def years(self) -> frozenset[int]:
        """The years the bureau has entered."""
        return frozenset(d.year for d in self.days)

    def knows(self, year: int) -> bool:
        """Whether `year`'s holidays are known (entered by the bureau or in the package)."""
        return year in self.years or package_knows(year)

    def source(self, year: int) -> str:
        """Where `year`'s days come from: 'bureau', 'package' or 'weekdays' (provisional)."""
        return ("bureau" if year in self.years else "package" if package_knows(year)
                else "weekdays")

    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day (holidays off, adjusted weekends on)."""
        if day.year in self.years:
            return self.days.get(day, day.weekday() < 5)
        if package_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5


PACKAGE_ONLY = WorkingCalendar()


def add_working_days(start: dt.datetime, days: int, zone: dt.tzinfo,
                     calendar: WorkingCalendar = PACKAGE_ONLY) -> dt.datetime:
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
    working = calendar.is_working_day
    if not working(local.date()):  # a day off: the clock starts the next working day
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
        while not working(local.date()):
            local += dt.timedelta(days=1)
    moved = 0
    while moved < days:
        local += dt.timedelta(days=1)
        if working(local.date()):
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
    # the reply deadline falls in or after a year whose holidays nobody has entered yet
    provisional: bool = False

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
                    reply_days: int = 1, resolve_days: int = 15,
                    calendar: WorkingCalendar = PACKAGE_ONLY) -> ComplaintState:
    """Deadlines of a complaint and whether they are (or were) missed at `now`.

    A deadline is overdue while its step is still undone after its due time; a step done
    late counts as done, but not on time. The reply deadline is provisional when a year
    from the complaint's to the deadline's is unknown to `calendar` (counted Monday-Friday).
    """
    reply_due = add_working_days(submitted_at, reply_days, zone, calendar)
    years = range(submitted_at.astimezone(zone).year, reply_due.astimezone(zone).year + 1)
    resolve_due = submitted_at + dt.timedelta(days=resolve_days)
    return ComplaintState(
        reply_due=reply_due, resolve_due=resolve_due,
        first_reply_at=first_reply_at, handled_at=handled_at,
        reply_overdue=first_reply_at is None and now > reply_due,
        resolve_overdue=handled_at is None and now > resolve_due,
        replied_on_time=first_reply_at is not None and first_reply_at <= reply_due,
        resolved_on_time=handled_at is not None and handled_at <= resolve_due,
        provisional=not all(calendar.knows(y) for y in years),
    )
