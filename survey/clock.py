"""The one clock: now, the district's today and time zone, and stored-timestamp fix-ups.

Everything that asks "what time is it" asks here, so that one setting moves all of it:
``CLOCK_NOW`` is empty in production; an ISO 8601 timestamp or a callable returning an
aware datetime fixes "now" (tests, demonstrations). The district's time zone is the
``TIMEZONE`` setting, and this is the only module that builds a ``ZoneInfo``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def _config(config: Mapping | None) -> Mapping | None:
    if config is not None:
        return config
    return current_app.config if has_app_context() else None


def now(config: Mapping | None = None) -> dt.datetime:
    """The current instant (aware, UTC), or the instant fixed by the ``CLOCK_NOW`` setting.

    Outside an application context (and without ``config``) this is the real clock.
    """
    settings = _config(config)
    fixed = settings.get("CLOCK_NOW") if settings is not None else None
    if callable(fixed):
        return fixed().astimezone(dt.UTC)
    if fixed:
        value = dt.datetime.fromisoformat(str(fixed))
        return aware(value).astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def utcnow() -> dt.datetime:
    """Now for column defaults (``default=utcnow``): :func:`now` with the app's settings."""
    return now()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(config: Mapping | None = None) -> ZoneInfo:
    """The district's time zone (the ``TIMEZONE`` setting; Asia/Shanghai by default)."""
    settings = _config(config)
    return _zone(settings["TIMEZONE"] if settings is not None else "Asia/Shanghai")


def zone_named(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA name (cached), for code handed a zone name as data."""
    return _zone(name)


def today(config: Mapping | None = None) -> dt.date:
    """The district's calendar date now."""
    settings = _config(config)  # looked up once: this runs on every survey request
    return now(settings).astimezone(zone(settings)).date()


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as an aware datetime; naive ones (SQLite) are taken as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local(value: dt.datetime | None, config: Mapping | None = None) -> dt.datetime | None:
    """A stored timestamp in the district's time zone."""
    if value is None:
        return None
    return aware(value).astimezone(zone(config))


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp written in the district's time zone (template filter ``local``)."""
    if value is None:
        return ""
    return local(value).strftime(fmt)
