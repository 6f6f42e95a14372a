"""App-wide friendly error pages and the liveness probe."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def healthz():
    """Liveness probe for the process manager."""
    return {"status": "ok"}


def not_found(_error):
    """The friendly 404 page (also what an unknown or forged survey link gets)."""
    return render_template("errors/404.html"), 404


def too_large(_error):
    """The friendly 413 page for an oversized request body."""
    return render_template("errors/413.html"), 413


def other_error(error: HTTPException):
    """A friendly page for the other client errors the app raises (400, 403, 405)."""
    return render_template("errors/generic.html", code=error.code), error.code


def server_error(_error):
    """The friendly 500 page; the error itself goes to the log."""
    return render_template("errors/generic.html", code=500), 500


def init_app(app: Flask) -> None:
    """Register the error pages and ``/healthz``."""
    app.add_url_rule("/healthz", "healthz", healthz)
    app.register_error_handler(404, not_found)
    app.register_error_handler(413, too_large)
    for code in (400, 403, 405):
        app.register_error_handler(code, other_error)
    app.register_error_handler(500, server_error)
