"""The bureau's console: accounts, programme management and results (blueprint /console)."""

from __future__ import annotations

from flask import Flask

from console import (  # noqa: F401  (each module registers its routes)
    appeals,
    auth,
    collection,
    complaints,
    enterprise_import,
    enterprises,
    exports,
    field,
    gap_review,
    holidays,
    instruments_admin,
    integrity,
    invitations,
    quarantine,
    receipts,
    results,
    unit_import,
    views,
    waves,
)
from console.blueprint import bp
from survey.web import access, headers

access.install(bp, "console.login")
headers.private_area(bp)


def init_app(app: Flask) -> None:
    """Register the console blueprint, its login manager and CLI."""
    auth.init_app(app)
    app.register_blueprint(bp)
