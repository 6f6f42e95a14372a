"""Tenancy: every portal query goes through these helpers, scoped to the user's unit.

A unit's user sees that unit. An organisation's user (a developer or manufacturer) sees the
units its organisation owns or builds, one at a time: the unit chosen on the units page is
kept in the login session and checked again on every request. Anything else is denied. A
row of another unit is indistinguishable from a missing one (404), so ids cannot be probed.
"""

from __future__ import annotations

from flask import abort
from flask import session as login_session
from flask_login import current_user
from sqlalchemy import Select, or_, select

from survey.db import get_session
from survey.model import Enterprise

CHOSEN_UNIT = "portal_unit"


def organisation_id() -> int | None:
    """The logged-in user's organisation id, or None for a unit's user."""
    if getattr(current_user, "enterprise_id", None) is not None:
        return None
    org = getattr(current_user, "organisation_id", None)
    return None if org is None else int(org)


def visible_units() -> Select:
    """The units the user may see, by name: its own, or its organisation's (owned or built)."""
    stmt = select(Enterprise).order_by(Enterprise.name, Enterprise.id)
    ent = getattr(current_user, "enterprise_id", None)
    if ent is not None:
        return stmt.where(Enterprise.id == int(ent))
    org = organisation_id()
    if org is None:
        return stmt.where(False)  # deny by default
    return stmt.where(or_(Enterprise.owner_id == org, Enterprise.builder_id == org))


def may_see(unit_id: int) -> bool:
    """True when the user may see unit `unit_id`."""
    found = get_session().scalar(visible_units().where(Enterprise.id == unit_id))
    return found is not None


def choose(unit_id: int) -> None:
    """Make `unit_id` the unit the portal shows (404 unless the user may see it)."""
    if not may_see(unit_id):
        abort(404)
    login_session[CHOSEN_UNIT] = unit_id


def chosen_unit() -> int | None:
    """The organisation user's chosen unit while it is still theirs, else None."""
    chosen = login_session.get(CHOSEN_UNIT)
    if not isinstance(chosen, int) or isinstance(chosen, bool) or not may_see(chosen):
        return None
    return chosen


def enterprise_id() -> int:
    """The unit the user is looking at (403 for anyone without one, 404 before a choice)."""
    ent = getattr(current_user, "enterprise_id", None)
    if ent is not None:
        return int(ent)
    if organisation_id() is None:
        abort(403)
    chosen = chosen_unit()
    if chosen is None:
        abort(404)
    return chosen


def scoped(stmt: Select, *models) -> Select:
    """`stmt` restricted to rows of the user's unit, for each model given."""
    ent = enterprise_id()
    for model in models:
        stmt = stmt.where(model.enterprise_id == ent)
    return stmt


def own_or_404(model, ident: int):
    """The user's unit's row of `model` with primary key `ident`, else 404."""
    row = get_session().scalar(scoped(select(model).where(model.id == ident), model))
    if row is None:
        abort(404)
    return row
