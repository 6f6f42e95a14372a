"""Customers' comments and complaints as an enterprise sees them: masked, tagged, scoped.

Every query here takes the enterprise's id and is restricted to it (the portal passes the
logged-in user's), so a row of another enterprise is never returned.
"""

from __future__ import annotations

from collections import Counter

from flask import current_app
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from survey.clock import aware
from survey.model import Answer, Appeal, ComplaintReply, Response, Wave
from survey.ops import topics
from survey.ops.masking import mask

RATING_ITEM = "sat_overall"
# Bands of the overall-satisfaction answer (1-10).
RATINGS = {"low": (1, 5), "mid": (6, 7), "high": (8, 10)}


def comment_threshold() -> int:
    """k: the counted responses an enterprise needs in a wave before it sees comments and
    complaints (COMMENT_MIN_RESPONSES), so that none stands out."""
    return int(current_app.config["COMMENT_MIN_RESPONSES"])


def _counted_in(wave: Wave):
    """The responses that count towards k: the wave's, not quarantined."""
    return and_(Response.wave_id == wave.id, Response.quarantined.is_(False))


def _own(stmt: Select, enterprise_id: int, *models) -> Select:
    """`stmt` restricted to rows of one enterprise, for each model given."""
    for model in models:
        stmt = stmt.where(model.enterprise_id == enterprise_id)
    return stmt


def counted_responses(session: Session, wave: Wave, enterprise_id: int) -> int:
    """The enterprise's responses in `wave` that count (not quarantined)."""
    return session.scalar(_own(
        select(func.count(Response.id)).where(_counted_in(wave)), enterprise_id, Response)) or 0


def comments_visible(session: Session, wave: Wave, enterprise_id: int) -> bool:
    """Whether the enterprise sees its comments of `wave` (k counted responses)."""
    return counted_responses(session, wave, enterprise_id) >= comment_threshold()


def enterprises_seeing_comments(session: Session, wave: Wave) -> set[int]:
    """Every enterprise that sees its comments and complaints of `wave` (for the bureau)."""
    return set(session.scalars(
        select(Response.enterprise_id).where(_counted_in(wave))
        .group_by(Response.enterprise_id).having(func.count(Response.id) >= comment_threshold())))


def comment_rows(session: Session, wave: Wave, enterprise_id: int, sector: str, *,
                 rating: str = "",
                 topic: str = "", complaints_only: bool = False) -> list[dict]:
    """The enterprise's comments (or complaints) in `wave`, newest first, masked, tagged."""
    rated = aliased(Answer)
    stmt = _own(
        select(Response.id, Response.submitted_at, Response.comment, Response.wants_complaint,
               Response.quarantined, rated.value)
        .outerjoin(rated, and_(rated.response_id == Response.id, rated.item_code == RATING_ITEM))
        .where(Response.wave_id == wave.id)
        .order_by(Response.submitted_at.desc(), Response.id.desc()), enterprise_id, Response)
    # Complaints are listed even without a comment: the customer still asked to be answered.
    if complaints_only:
        stmt = stmt.where(Response.wants_complaint.is_(True))
    else:
        stmt = stmt.where(Response.comment != "")
    if rating in RATINGS:
        lo, hi = RATINGS[rating]
        stmt = stmt.where(rated.value.between(lo, hi))
    rows = []
    for rid, at, text, complaint, quarantined, value in session.execute(stmt):
        tags = topics.tags(text, sector)
        if topic and topic not in tags:
            continue
        rows.append({"id": rid, "at": aware(at), "text": mask(text), "complaint": complaint,
                     "quarantined": quarantined, "rating": value, "topics": tags})
    return rows


def topic_counts(rows: list[dict]) -> list[tuple[str, int]]:
    """(topic, comments mentioning it), most frequent first."""
    counts = Counter(t for r in rows for t in r["topics"])
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def replies_of(session: Session, enterprise_id: int,
               response_ids: list[int]) -> dict[int, list[ComplaintReply]]:
    """The enterprise's replies to these complaints, oldest first."""
    if not response_ids:
        return {}
    found = session.scalars(_own(
        select(ComplaintReply).where(ComplaintReply.response_id.in_(response_ids))
        .order_by(ComplaintReply.at, ComplaintReply.id), enterprise_id, ComplaintReply)).all()
    out: dict[int, list[ComplaintReply]] = {}
    for reply in found:
        out.setdefault(reply.response_id, []).append(reply)
    return out


def appeals_of(session: Session, enterprise_id: int, response_ids: list[int]) -> dict[int, Appeal]:
    """The latest appeal of each of these responses by the enterprise."""
    if not response_ids:
        return {}
    found = session.scalars(_own(
        select(Appeal).where(Appeal.response_id.in_(response_ids)).order_by(Appeal.id),
        enterprise_id, Appeal)).all()
    return {a.response_id: a for a in found}
