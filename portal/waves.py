"""The waves an enterprise took part in, and the one a page shows (the wave picker)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.scope import scoped
from survey.model import CollectionLink, Wave
from survey.ops.compute import latest_result


def own_waves(session: Session) -> list[Wave]:
    """Waves in which the enterprise has collection links, oldest first."""
    ids = scoped(select(CollectionLink.wave_id), CollectionLink).distinct()
    return list(session.scalars(select(Wave).where(Wave.id.in_(ids))
                                .order_by(Wave.opens_on, Wave.id)).all())


def pick(session: Session, waves: list[Wave], wanted: str | None) -> Wave | None:
    """The wave asked for (404 unless it is one of `waves`), else the latest with a result."""
    if wanted:
        chosen = next((w for w in waves if str(w.id) == wanted), None)
        if chosen is None:
            abort(404)
        return chosen
    computed = [w for w in waves if latest_result(session, w) is not None]
    return (computed or waves or [None])[-1]
