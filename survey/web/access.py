"""Deny-by-default access rules for every logged-in area (console and portal).

Each view declares who may use it with ``@allow(...)``; a view without a declaration is
refused to everyone, so a forgotten check fails closed. A blueprint opts in with
``install(bp, login_endpoint)``; portal users must also belong to a unit or an organisation.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

BUREAU = ("admin", "analyst")
ADMIN = ("admin",)
# Who may publish a bulletin (start a publish job): admins only, not analysts.
PUBLISHERS = ADMIN
ENTERPRISE = ("enterprise",)
PUBLIC = ()  # marker: no login needed (the login page itself)


def allow(*roles: str) -> Callable:
    """Declare the roles allowed to use a view (``allow()`` with no role = public)."""

    def mark(view):
        view._manyi_roles = tuple(roles)
        return view

    return mark


def rule_for(endpoint: str, app: Flask | None = None) -> tuple[str, ...] | None:
    """The roles declared for an endpoint (of ``app``, default the current one), or None."""
    view = (app or current_app).view_functions.get(endpoint)
    return getattr(view, "_manyi_roles", None)


def _denied(roles: tuple[str, ...] | None, login_endpoint: str):
    """Why the current user may not see this page: a redirect, a 403, or None (allowed)."""
    if roles is None:
        abort(403)  # undeclared: deny
    if roles == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for(login_endpoint, next=request.full_path))
    if current_user.role not in roles:
        abort(403)
    if current_user.role == "enterprise" and current_user.enterprise_id is None \
            and getattr(current_user, "organisation_id", None) is None:
        abort(403)
    return None


def install(bp: Blueprint, login_endpoint: str) -> None:
    """Check the declared roles before every request to the blueprint's views."""

    def check():
        return _denied(rule_for(request.endpoint or ""), login_endpoint)

    bp.before_request(check)
