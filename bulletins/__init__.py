"""Published index bulletins: CLI, the landing page, public pages and the Atom feed."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from bulletins import cli, landing, views
from survey import clock
from survey.ops import jobs


def atom_time(value: dt.datetime | None) -> str:
    """RFC 3339 time in UTC, as Atom wants it (now when there is none)."""
    value = clock.aware(value) or clock.now()
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def init_app(app: Flask) -> None:
    """Register the landing page, the public bulletin pages and the bulletin commands."""
    app.register_blueprint(landing.bp)
    app.register_blueprint(views.bp)
    app.add_template_filter(atom_time)
    cli.init_app(app)
    jobs.init_app(app)
