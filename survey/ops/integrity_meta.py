"""What the bulletin prints about integrity, frozen at publication: held and released
responses per sector and reason, and the enterprises not ranked while under review."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.quality import INTEGRITY
from survey.model import Enterprise, Response, Sector, Wave
from survey.ops import under_review


def integrity_meta(session: Session, wave: Wave) -> dict:
    """``by_sector``: rows of sector, reason, held (still quarantined) and released (an
    analyst let them in) for every reason that flagged a response; ``under_review``: the
    enterprises under review that no analyst has accepted (id and name)."""
    counts: dict[tuple[str, str], list[int]] = {}
    for sector, flags, held in session.execute(
            select(Sector.name_zh, Response.flags, Response.quarantined)
            .join(Enterprise, Response.enterprise_id == Enterprise.id)
            .join(Sector, Enterprise.sector_id == Sector.id)
            .where(Response.wave_id == wave.id).order_by(Sector.id)):
        for code in flags or []:
            c = counts.setdefault((sector, code), [0, 0])
            c[0 if held else 1] += 1
    rows = [{"sector": s, "reason": code, "held": h, "released": r}
            for (s, code), (h, r) in counts.items()]
    rows.sort(key=lambda r: (r["sector"], r["reason"] not in INTEGRITY, r["reason"]))
    pending = under_review.pending(session, wave)
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                 .where(Enterprise.id.in_(pending))).all()) if pending else {}
    return {"by_sector": rows,
            "under_review": [{"enterprise_id": e, "name": names.get(e, str(e))}
                             for e in sorted(pending)]}
