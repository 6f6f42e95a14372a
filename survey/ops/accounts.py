"""Accounts: password hashing and checking credentials with a failure counter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey import clock
from survey.model import User

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
# Verifying against this keeps an unknown e-mail as slow as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password (werkzeug's default method)."""
    return generate_password_hash(password, method="scrypt")


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail (compared case-insensitively), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _is_locked(user: User, now: dt.datetime) -> bool:
    until = clock.aware(user.locked_until)
    return until is not None and until > now


def authenticate(session: Session, email: str, password: str,
                 now: dt.datetime) -> tuple[User | None, str]:
    """Check credentials and update the failure counter; returns (user or None, outcome).

    Outcomes: "ok", "bad" (unknown e-mail or wrong password: not told apart) and "locked"
    (too many failures: the account refuses logins until the lockout ends).
    """
    user = find_user(session, email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None, "bad"
    if _is_locked(user, now):
        return None, "locked"
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return None, "bad"
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user, "ok"
