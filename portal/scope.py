"""Tenancy: every portal query goes through these helpers, scoped to the user's enterprise.

A row of another enterprise is indistinguishable from a missing one (404), so ids cannot
be probed.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from survey.db import get_session


def enterprise_id() -> int:
    """The logged-in user's enterprise id (403 for anyone without one)."""
    ent = getattr(current_user, "enterprise_id", None)
    if ent is None:
        abort(403)
    return int(ent)


def scoped(stmt: Select, *models) -> Select:
    """`stmt` restricted to rows of the user's enterprise, for each model given."""
    ent = enterprise_id()
    for model in models:
        stmt = stmt.where(model.enterprise_id == ent)
    return stmt


def own_or_404(model, ident: int):
    """The user's enterprise's row of `model` with primary key `ident`, else 404."""
    row = get_session().scalar(scoped(select(model).where(model.id == ident), model))
    if row is None:
        abort(404)
    return row
