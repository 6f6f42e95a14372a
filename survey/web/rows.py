"""Rows a view asks for by id: the row, or the app's friendly 404."""

from __future__ import annotations

from flask import abort

from survey.db import get_session


def get_or_404(model, ident):
    """The request session's row of `model` with primary key `ident`, or a 404."""
    row = get_session().get(model, ident)
    if row is None:
        abort(404)
    return row
