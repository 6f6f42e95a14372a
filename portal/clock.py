"""The portal's clock, injectable through the CLOCK_NOW setting so that tests fix time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def now(config=None) -> dt.datetime:
    """The current time (UTC, aware), or the fixed instant of the CLOCK_NOW setting.

    CLOCK_NOW is empty in production; an ISO 8601 timestamp (with offset) or a callable
    returning an aware datetime fixes the clock.
    """
    fixed = (config or current_app.config).get("CLOCK_NOW")
    if callable(fixed):
        return fixed().astimezone(dt.UTC)
    if fixed:
        value = dt.datetime.fromisoformat(str(fixed))
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def local_zone(config=None) -> ZoneInfo:
    """The district's time zone (the TIMEZONE setting)."""
    return ZoneInfo((config or current_app.config)["TIMEZONE"])


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite returns naive ones)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp written in the district's time zone (template filter `local`)."""
    if value is None:
        return ""
    return aware(value).astimezone(local_zone()).strftime(fmt)
