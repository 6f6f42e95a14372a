"""Deny-by-default access rules for console endpoints.

Every console view declares who may use it with `@allow(...)`; a view without a
declaration is refused to everyone, so a forgotten check fails closed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

BUREAU = ("admin", "analyst")
ADMIN = ("admin",)
PUBLIC = ()  # marker: no login needed (the login page itself)
_RULES: dict[str, tuple[str, ...]] = {}


def allow(*roles: str) -> Callable:
    """Declare the roles allowed to use a view (`allow()` with no role = public)."""

    def mark(view):
        view._manyi_roles = tuple(roles)
        return view

    return mark


def rule_for(endpoint: str) -> tuple[str, ...] | None:
    """The roles declared for a console endpoint, or None when it declared nothing."""
    return _RULES.get(endpoint)


def _check() -> None:
    roles = _RULES.get(request.endpoint or "")
    if roles is None:
        abort(403)  # undeclared: deny
    if roles == PUBLIC:
        return
    if not current_user.is_authenticated:
        return redirect(url_for("console.login", next=request.full_path))
    if current_user.role not in roles:
        abort(403)
    return None


def install(bp: Blueprint) -> None:
    """Collect the declared roles when views are registered and check them on each request."""

    def record(state):
        for endpoint, view in state.app.view_functions.items():
            if endpoint.startswith(f"{bp.name}.") and hasattr(view, "_manyi_roles"):
                _RULES[endpoint] = view._manyi_roles

    bp.record(record)
    bp.before_request(_check)
