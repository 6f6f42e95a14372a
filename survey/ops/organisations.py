"""Organisations (developers, builders, manufacturers) found or registered by credit code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.model import Organisation
from survey.ops import uscc


def by_code(session: Session, code: str) -> Organisation | None:
    """The organisation registered under this credit code (normalised first), or None."""
    return session.scalar(select(Organisation).where(Organisation.uscc == uscc.normalise(code)))


def find_or_register(session: Session, code: str, name: str = "") -> Organisation:
    """The organisation with this credit code, registered under ``name`` if new.

    Raises ValueError for an invalid code, or for an unknown code without a name. The
    caller commits.
    """
    code = uscc.normalise(code)
    if (why := uscc.problem(code)) is not None:
        raise ValueError(why)
    found = by_code(session, code)
    if found is not None:
        return found
    if not name.strip():
        raise ValueError("unknown organisation: give its name to register it")
    organisation = Organisation(uscc=code, name=name.strip()[:200])
    session.add(organisation)
    session.flush()
    return organisation
