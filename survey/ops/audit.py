"""The audit log: every change made in the console, with who, when, before and after."""

from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy.orm import Session

from survey.model import AuditEntry


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The named attributes of `obj` as JSON-ready values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(session: Session, user, action: str, entity: str, entity_id, before=None,
           after=None) -> AuditEntry:
    """Add an audit entry to the session (committed with the change it describes)."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None), action=action, entity=entity,
        entity_id=str(entity_id or ""), before=before, after=after,
    )
    session.add(entry)
    return entry


def changed(before: dict, after: dict) -> dict:
    """Only the fields whose value differs, as {field: [before, after]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _plain(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
