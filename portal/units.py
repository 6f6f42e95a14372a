"""The units of an organisation's user (a developer or manufacturer), and choosing one.

The chosen unit's pages are the same dashboard, comments and complaints a unit's own user
sees; portal.scope keeps every query to that unit.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from portal import scope
from portal.blueprint import bp
from survey.db import get_session
from survey.web.access import ENTERPRISE, allow

# Pages an organisation's user may open before choosing a unit.
NO_UNIT_NEEDED = {"portal.units", "portal.choose_unit", "portal.logout", "portal.login",
                  "portal.activate"}


@bp.before_request
def _send_to_the_units_page():
    # An organisation's user without a (still valid) chosen unit picks one first.
    if request.endpoint in NO_UNIT_NEEDED or scope.organisation_id() is None:
        return None
    if scope.chosen_unit() is None:
        return redirect(url_for("portal.units"))
    return None


@bp.get("/units")
@allow(*ENTERPRISE)
def units():
    """The units the user may see, with the kind of each and a button to open it."""
    rows = get_session().scalars(scope.visible_units()).all()
    chosen = scope.chosen_unit() if scope.organisation_id() is not None else None
    return render_template("portal/units.html", units=rows, chosen=chosen,
                           organisation=scope.organisation_id())


@bp.post("/units/<int:unit_id>")
@allow(*ENTERPRISE)
def choose_unit(unit_id: int):
    """Show unit `unit_id` from now on (404 unless the user may see it)."""
    scope.choose(unit_id)
    return redirect(url_for("portal.dashboard"), code=303)
