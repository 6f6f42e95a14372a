"""The bureau's working-day calendar: reading it for deadlines, entering a year's notice."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey.model import CalendarDay
from survey.ops import audit
from survey.ops.deadlines import WorkingCalendar

YEARS = range(2000, 2101)  # the years a notice may be entered for
MAX_LINES = 60  # a notice has about seven holidays and a few adjusted weekends
MAX_SPAN = 14   # days in one range (the longest holiday is the Spring Festival's ~9)
LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|～|至|to)\s*(\d{4}-\d{2}-\d{2}))?"
                  r"(?:\s+(.*))?$")


class CalendarInputError(ValueError):
    """A year's notice that cannot be entered; the message says which line and why."""


@dataclass(frozen=True)
class YearNotice:
    """One year's days off and adjusted working days, each with its note (holiday name)."""

    year: int
    off: dict[dt.date, str]
    working: dict[dt.date, str]


def working_calendar(session: Session) -> WorkingCalendar:
    """The bureau's entered days as a :class:`WorkingCalendar`."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.working)).all()
    return WorkingCalendar({day: working for day, working in rows})


def unknown_years(session: Session, day: dt.date) -> list[int]:
    """Years whose holidays nobody knows yet and that deadlines reach soon: `day`'s year,
    and from November (when the State Council publishes it) the next year's."""
    calendar = working_calendar(session)
    years = [day.year] + ([day.year + 1] if day.month >= 11 else [])
    return [y for y in years if not calendar.knows(y)]


def _in_year(year: int):
    return CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))


def entered_days(session: Session, year: int) -> list[CalendarDay]:
    """The bureau's rows of `year`, in date order."""
    return list(session.scalars(
        select(CalendarDay).where(_in_year(year)).order_by(CalendarDay.day)))


def _remove_year(session: Session, year: int) -> list[tuple[str, bool]]:
    """Delete the bureau's rows of `year`; returns them as (date, working) for the audit."""
    before = [(d.day.isoformat(), d.working) for d in entered_days(session, year)]
    session.execute(delete(CalendarDay).where(_in_year(year)))
    return before


def parse_days(text: str, year: int, *, what: str) -> dict[dt.date, str]:
    """Dates of `year` from lines ``YYYY-MM-DD [note]`` or ``YYYY-MM-DD..YYYY-MM-DD [note]``.

    ``~``, ``～``, ``至`` and ``to`` also join a range. Raises :class:`CalendarInputError`
    naming the line for anything else, a date outside `year`, or a range over MAX_SPAN days.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise CalendarInputError(_("%(what)s: more than %(n)d lines", what=what, n=MAX_LINES))
    days: dict[dt.date, str] = {}
    for number, line in enumerate(lines, 1):
        match = LINE.match(line)
        try:
            first = dt.date.fromisoformat(match.group(1)) if match else None
            last = dt.date.fromisoformat(match.group(2)) if match and match.group(2) else first
        except ValueError:
            first = None
        if first is None:
            raise CalendarInputError(_("%(what)s, line %(n)d: not a date or a date range",
                                       what=what, n=number))
        if not (first.year == last.year == year):
            raise CalendarInputError(_("%(what)s, line %(n)d: not in %(year)d", what=what,
                                       n=number, year=year))
        span = (last - first).days + 1
        if not 1 <= span <= MAX_SPAN:
            raise CalendarInputError(_("%(what)s, line %(n)d: a range of 1 to %(max)d days",
                                       what=what, n=number, max=MAX_SPAN))
        note = (match.group(3) or "").strip()[:40]
        for i in range(span):
            days[first + dt.timedelta(days=i)] = note
    return days


def notice(year: int, off_text: str, working_text: str) -> YearNotice:
    """A year's notice from the two text fields, checked: at least one day off, adjusted
    working days only on weekends, and no day both off and working."""
    if year not in YEARS:
        raise CalendarInputError(_("The year must be between 2000 and 2100."))
    off = parse_days(off_text, year, what=_("Days off"))
    working = parse_days(working_text, year, what=_("Adjusted working days"))
    if not off:
        raise CalendarInputError(_("Days off: a year's notice has at least one holiday."))
    if both := sorted(set(off) & set(working)):
        raise CalendarInputError(_("%(day)s is listed both as a day off and as a working day.",
                                   day=both[0].isoformat()))
    if weekday := sorted(d for d in working if d.weekday() < 5):
        raise CalendarInputError(_("Adjusted working days: %(day)s is not a weekend day.",
                                   day=weekday[0].isoformat()))
    return YearNotice(year, off, working)


def enter_year(session: Session, user, entered: YearNotice) -> int:
    """Replace the bureau's rows of the notice's year with its days (audited); returns how
    many rows it wrote."""
    year = entered.year
    before = _remove_year(session, year)
    rows = [CalendarDay(day=d, working=False, note=n, entered_by=getattr(user, "id", None))
            for d, n in entered.off.items()]
    rows += [CalendarDay(day=d, working=True, note=n, entered_by=getattr(user, "id", None))
             for d, n in entered.working.items()]
    session.add_all(rows)
    audit.record(session, user, "enter", "calendar_year", year, before={"days": before},
                 after={"days": sorted((r.day.isoformat(), r.working) for r in rows)})
    return len(rows)


def clear_year(session: Session, user, year: int) -> int:
    """Remove the bureau's rows of `year` (the package or the plain week applies again)."""
    before = _remove_year(session, year)
    audit.record(session, user, "clear", "calendar_year", year, before={"days": before})
    return len(before)
