"""Inviting portal users of a unit or of an organisation: one-time activation links that
expire (only a hash is stored)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.clock import aware
from survey.model import Enterprise, Invitation, Organisation, User
from survey.ops.accounts import hash_password

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def digest(token: str) -> str:
    """sha256 of an activation token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def activation_url(base_url: str, token: str) -> str:
    """The absolute activation link for `token`."""
    return f"{base_url.rstrip('/')}/portal/activate/{token}"


def account_exists(session: Session, email: str) -> bool:
    """True when an account uses this e-mail address (any case)."""
    return session.scalar(
        select(User.id).where(func.lower(User.email) == email.strip().lower())) is not None


def invite(session: Session, enterprise: Enterprise | Organisation, email: str, name: str,
           by_user_id: int | None, now: dt.datetime, ttl_hours: float) -> tuple[Invitation, str]:
    """Add an invitation and return it with its token (shown once, never stored).

    `enterprise` is the unit the user will see, or an organisation: its user sees every
    unit the organisation owns or builds.

    Raises ValueError with a readable message for a malformed or already used e-mail.
    """
    email = email.strip()
    if not EMAIL.match(email) or len(email) > 200:
        raise ValueError("malformed e-mail")
    if account_exists(session, email):
        raise ValueError("account exists")
    token = secrets.token_urlsafe(32)
    row = Invitation(token_hash=digest(token), email=email, name=name.strip()[:100],
                     created_by=by_user_id, created_at=now,
                     expires_at=now + dt.timedelta(hours=float(ttl_hours)))
    if isinstance(enterprise, Organisation):
        row.organisation_id = enterprise.id
    else:
        row.enterprise_id = enterprise.id
    session.add(row)
    return row, token


def lookup(session: Session, token: str) -> Invitation | None:
    """The invitation of an activation token, or None."""
    if not token or len(token) > 100:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))


def problem(invitation: Invitation | None, now: dt.datetime) -> str | None:
    """Why the link cannot be used: 'unknown', 'used' or 'expired'; None when it can."""
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if aware(invitation.expires_at) <= now:
        return "expired"
    return None


def activate(session: Session, invitation: Invitation, password: str, now: dt.datetime) -> User:
    """Create the portal user of the invitation and spend the link; the caller commits."""
    user = User(email=invitation.email, name=invitation.name, role="enterprise",
                enterprise_id=invitation.enterprise_id,
                organisation_id=invitation.organisation_id, password_hash=hash_password(password),
                created_at=now)
    session.add(user)
    session.flush()
    invitation.used_at, invitation.user_id = now, user.id
    return user
