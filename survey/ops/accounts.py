"""Accounts: password hashing, checking credentials with a delay per account and network,
and ending an account's sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey import clock
from survey.model import LoginThrottle, User

# Failed logins of one (account, network) pair that cost nothing; then a delay that doubles
# with each further failure, up to MAX_DELAY. Counting per pair means an outsider's guesses
# never keep the owner out from their own network; the rate limits cap the guesses per network.
FREE_FAILURES = 5
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(days=1)
# Verifying against this keeps an unknown e-mail as slow as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password (werkzeug's default method)."""
    return generate_password_hash(password, method="scrypt")


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail (compared case-insensitively), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def delay_after(failures: int) -> dt.timedelta:
    """How long a pair waits after its `failures`-th failure (zero for the free ones)."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 16), MAX_DELAY)


def _throttle(session: Session, pair: tuple[str, str]) -> LoginThrottle | None:
    return session.scalar(select(LoginThrottle).where(
        LoginThrottle.account_hash == pair[0], LoginThrottle.network_hash == pair[1]))


def _count_failure(session: Session, pair: tuple[str, str], now: dt.datetime) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_at < now - FORGET_AFTER)
                    .execution_options(synchronize_session=False))
    row = _throttle(session, pair)
    if row is None:
        row = LoginThrottle(account_hash=pair[0], network_hash=pair[1], failures=0,
                            last_failed_at=now)
        session.add(row)
    row.failures += 1
    row.last_failed_at = now
    row.wait_until = now + delay_after(row.failures) if row.failures >= FREE_FAILURES else None


def authenticate(session: Session, email: str, password: str, now: dt.datetime,
                 pair: tuple[str, str]) -> tuple[User | None, str, dt.datetime | None]:
    """Check credentials for the (account hash, network hash) `pair`: (user or None,
    outcome, wait until).

    Outcomes: "ok"; "bad" (unknown e-mail, inactive account or wrong password: not told
    apart); "wait" (the pair failed too often: no password is checked until the delay
    ends — for known and unknown e-mails alike, so it tells nothing about the account).
    """
    row = _throttle(session, pair)
    until = clock.aware(row.wait_until) if row is not None else None
    if until is not None and until > now:
        return None, "wait", until
    user = find_user(session, email)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        user = None
    elif not check_password_hash(user.password_hash, password):
        user = None
    if user is None:
        _count_failure(session, pair, now)
        return None, "bad", None
    if row is not None:
        session.delete(row)
    user.last_login_at = now
    return user, "ok", None


def unlock(session: Session, account_hash: str) -> int:
    """Forget the failed logins naming an account from every network (an admin's act);
    the number of networks it had to wait on."""
    return session.execute(delete(LoginThrottle).where(
        LoginThrottle.account_hash == account_hash)
        .execution_options(synchronize_session=False)).rowcount or 0


def end_sessions(session: Session, user_id: int) -> None:
    """End every login session of the user (their session version moves on)."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_version=User.session_version + 1))
