"""Portal users in the console: who has access to a unit, and inviting new users by e-mail.

A unit's page also lists and invites the users of its owner and builder organisations
(a developer or manufacturer), who see every unit of their organisation.
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from console.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import Enterprise, Invitation, Organisation, User
from survey.ops import accounts, audit, invitations
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.login import account_hash
from survey.web.rows import get_or_404

PROBLEMS = {"malformed e-mail": _l("Enter a valid e-mail address."),
            "account exists": _l("An account with this e-mail address exists already."),
            "organisation": _l("Choose this unit or one of its organisations.")}


def organisations_of(enterprise: Enterprise) -> list[Organisation]:
    """The unit's owner (developer or manufacturer) and builder, those it has."""
    found = [enterprise.owner, enterprise.builder]
    return [o for i, o in enumerate(found) if o is not None and o not in found[:i]]


def _users_of(enterprise: Enterprise):
    """Users of the unit and of its organisations (a select of User)."""
    orgs = [o.id for o in organisations_of(enterprise)]
    return select(User).where(or_(User.enterprise_id == enterprise.id,
                                  User.organisation_id.in_(orgs)))


def _page(enterprise: Enterprise, link: str | None = None, status: int = 200):
    session = get_session()
    users = session.scalars(_users_of(enterprise).order_by(User.email)).all()
    orgs = organisations_of(enterprise)
    invites = session.scalars(select(Invitation).where(or_(
        Invitation.enterprise_id == enterprise.id,
        Invitation.organisation_id.in_([o.id for o in orgs])))
        .order_by(Invitation.created_at.desc())).all()
    at = now()
    states = {i.id: invitations.problem(i, at) or "pending" for i in invites}
    return render_template("console/enterprise_users.html", enterprise=enterprise, users=users,
                           invites=invites, states=states, link=link, organisations=orgs,
                           org_names={o.id: o.name for o in orgs}), status


def _invitee(enterprise: Enterprise, wanted: str) -> Enterprise | Organisation:
    """The unit itself (empty choice) or the chosen one of its organisations."""
    if not wanted:
        return enterprise
    chosen = next((o for o in organisations_of(enterprise) if str(o.id) == wanted), None)
    if chosen is None:
        raise ValueError("organisation")
    return chosen


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
        invitee = _invitee(enterprise, request.form.get("organisation_id", ""))
        row, token = invitations.invite(session, invitee, email, name, current_user.id, now(),
                                        current_app.config["INVITATION_TTL_HOURS"])
    except ValueError as error:
        flash(str(PROBLEMS.get(str(error), PROBLEMS["malformed e-mail"])), "error")
        return _page(enterprise, status=400)
    session.flush()
    entity = "organisation" if isinstance(invitee, Organisation) else "enterprise"
    audit.record(session, current_user, "invite", entity, invitee.id, None,
                 {"email": row.email, "invitation": row.id, "unit": enterprise.id})
    session.commit()
    link = invitations.activation_url(current_app.config["PUBLIC_BASE_URL"], token)
    return _page(enterprise, link=link)


@bp.post("/enterprises/<int:enterprise_id>/users/<int:user_id>/active")
@allow(*ADMIN)
def set_user_active(enterprise_id: int, user_id: int):
    """Deactivate a portal user (who is logged out at once) or reactivate them (audited)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    user = session.scalar(_users_of(enterprise).where(User.id == user_id))
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
    user = session.scalar(_users_of(enterprise).where(User.id == user_id))
    if user is None:
        return _page(enterprise, status=404)
    networks = accounts.unlock(session, account_hash(user.email))
    audit.record(session, current_user, "unlock", "user", user.id, None,
                 {"email": user.email, "networks": networks})
    session.commit()
    flash(str(_l("%(email)s may try to log in again at once.", email=user.email)), "ok")
    return _page(enterprise)
