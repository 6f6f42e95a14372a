"""Enterprise users in the console: who has access, and inviting new users by e-mail."""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from console.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import Enterprise, Invitation, User
from survey.ops import accounts, audit, invitations
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.login import account_hash
from survey.web.rows import get_or_404

PROBLEMS = {"malformed e-mail": _l("Enter a valid e-mail address."),
            "account exists": _l("An account with this e-mail address exists already.")}


def _page(enterprise: Enterprise, link: str | None = None, status: int = 200):
    session = get_session()
    users = session.scalars(select(User).where(User.enterprise_id == enterprise.id)
                            .order_by(User.email)).all()
    invites = session.scalars(select(Invitation).where(Invitation.enterprise_id == enterprise.id)
                              .order_by(Invitation.created_at.desc())).all()
    at = now()
    states = {i.id: invitations.problem(i, at) or "pending" for i in invites}
    return render_template("console/enterprise_users.html", enterprise=enterprise, users=users,
                           invites=invites, states=states, link=link), status


@bp.get("/enterprises/<int:enterprise_id>/users")
@allow(*BUREAU)
def enterprise_users(enterprise_id: int):
    """The enterprise's portal users and invitations."""
    return _page(get_or_404(Enterprise, enterprise_id))


@bp.post("/enterprises/<int:enterprise_id>/users")
@allow(*ADMIN)
def invite_user(enterprise_id: int):
    """Invite a user by e-mail: the one-time link is shown once, here (audited)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    email, name = request.form.get("email", ""), request.form.get("name", "")
    try:
        row, token = invitations.invite(session, enterprise, email, name, current_user.id, now(),
                                        current_app.config["INVITATION_TTL_HOURS"])
    except ValueError as error:
        flash(str(PROBLEMS.get(str(error), PROBLEMS["malformed e-mail"])), "error")
        return _page(enterprise, status=400)
    session.flush()
    audit.record(session, current_user, "invite", "enterprise", enterprise.id, None,
                 {"email": row.email, "invitation": row.id})
    session.commit()
    link = invitations.activation_url(current_app.config["PUBLIC_BASE_URL"], token)
    return _page(enterprise, link=link)


@bp.post("/enterprises/<int:enterprise_id>/users/<int:user_id>/active")
@allow(*ADMIN)
def set_user_active(enterprise_id: int, user_id: int):
    """Deactivate a portal user (who is logged out at once) or reactivate them (audited)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    user = session.scalar(select(User).where(User.id == user_id,
                                             User.enterprise_id == enterprise.id))
    wanted = request.form.get("active")
    if user is None:
        return _page(enterprise, status=404)
    if wanted not in ("0", "1"):
        flash(str(_l("Choose to activate or deactivate the user.")), "error")
        return _page(enterprise, status=400)
    before = {"active": user.active}
    user.active = wanted == "1"
    if user.active:
        accounts.unlock(session, account_hash(user.email))
    else:
        accounts.end_sessions(session, user.id)
    audit.record(session, current_user, "activate" if user.active else "deactivate", "user",
                 user.id, before, {"active": user.active, "email": user.email})
    session.commit()
    flash(str(_l("%(email)s can use the portal again.", email=user.email) if user.active
              else _l("%(email)s can no longer log in.", email=user.email)), "ok")
    return _page(enterprise)


@bp.post("/enterprises/<int:enterprise_id>/users/<int:user_id>/unlock")
@allow(*ADMIN)
def unlock_user(enterprise_id: int, user_id: int):
    """Lift the login delays of a portal user on every network (audited)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    user = session.scalar(select(User).where(User.id == user_id,
                                             User.enterprise_id == enterprise.id))
    if user is None:
        return _page(enterprise, status=404)
    networks = accounts.unlock(session, account_hash(user.email))
    audit.record(session, current_user, "unlock", "user", user.id, None,
                 {"email": user.email, "networks": networks})
    session.commit()
    flash(str(_l("%(email)s may try to log in again at once.", email=user.email)), "ok")
    return _page(enterprise)
