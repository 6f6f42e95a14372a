"""The enterprise portal (blueprint /portal): scores, benchmarks, comments, complaints.

Enterprise users see only their own enterprise, an organisation's users only its units:
every query goes through portal.scope.
"""

from __future__ import annotations

from flask import Flask

from portal import (  # noqa: F401  (each module registers its routes)
    appeals,
    auth,
    dashboard,
    downloads,
    feedback,
    units,
)
from portal.blueprint import bp
from portal.cli import invite_command
from survey.clock import local_time
from survey.web import access, headers

access.install(bp, "portal.login")
headers.private_area(bp)


def init_app(app: Flask) -> None:
    """Register the portal blueprint and its CLI."""
    app.register_blueprint(bp)
    app.cli.add_command(invite_command)
    app.add_template_filter(local_time, "local")
