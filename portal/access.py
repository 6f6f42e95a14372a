"""Deny-by-default access to the portal: enterprise users only, each view declares it.

Views carry `@allow("enterprise")` (or `@allow()` for the login and activation pages,
see console.access); a view without a declaration is refused to everyone.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

ENTERPRISE = ("enterprise",)


def _check():
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "_manyi_roles", None)
    if roles is None:
        abort(403)  # undeclared: deny
    if roles == ():
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("portal.login", next=request.full_path))
    if current_user.role not in roles or current_user.enterprise_id is None:
        abort(403)
    return None


def install(bp: Blueprint) -> None:
    """Check the declared roles before every portal request."""
    bp.before_request(_check)
