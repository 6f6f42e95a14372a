"""Complaint handling across enterprises: overdue complaints, reply and resolution rates."""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from console.blueprint import bp
from survey.clock import now, today
from survey.db import get_session
from survey.model import ComplaintReply, Enterprise, Response, Sector, Wave
from survey.ops import comments, holidays
from survey.ops.complaints import state_of
from survey.web.access import BUREAU, allow


def complaint_states(session, wave: Wave) -> list[dict]:
    """Every complaint of the wave with its enterprise, sector and deadline state."""
    rows = session.execute(
        select(Response.id, Response.submitted_at, Enterprise.id, Enterprise.name,
               Sector.code, Sector.name_zh)
        .join(Enterprise, Response.enterprise_id == Enterprise.id)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .where(Response.wave_id == wave.id, Response.wants_complaint.is_(True))
        .order_by(Response.submitted_at)).all()
    replies: dict[int, list] = {}
    ids = [r[0] for r in rows]
    for reply in session.scalars(select(ComplaintReply)
                                 .where(ComplaintReply.response_id.in_(ids))):
        replies.setdefault(reply.response_id, []).append(reply)
    at, config, calendar = now(), current_app.config, holidays.working_calendar(session)
    # Complaints an enterprise cannot see yet (below k) are held back and owe no reply.
    shown = comments.enterprises_seeing_comments(session, wave)
    return [{"id": rid, "enterprise_id": eid, "enterprise": name, "sector": code,
             "sector_name": sname, "shown": eid in shown,
             "state": state_of(sub, replies.get(rid, []), at, config, calendar)}
            for rid, sub, eid, name, code, sname in rows]


def rates(complaints: list[dict], key: str, label: str) -> list[dict]:
    """Per `key` group: complaints, replied on time, resolved, resolved on time, overdue."""
    groups: dict = {}
    for c in complaints:
        g = groups.setdefault(c[key], {"name": c[label], "n": 0, "replied": 0,
                                       "replied_on_time": 0, "resolved": 0,
                                       "resolved_on_time": 0, "overdue": 0})
        s = c["state"]
        g["n"] += 1
        g["replied"] += s.first_reply_at is not None
        g["replied_on_time"] += s.replied_on_time
        g["resolved"] += s.handled_at is not None
        g["resolved_on_time"] += s.resolved_on_time
        g["overdue"] += s.overdue
    for g in groups.values():
        g["reply_rate"] = g["replied"] / g["n"]
        g["on_time_rate"] = g["replied_on_time"] / g["n"]
        g["resolution_rate"] = g["resolved"] / g["n"]
    return sorted(groups.values(), key=lambda g: (-g["overdue"], g["name"]))


@bp.get("/complaints")
@allow(*BUREAU)
def complaints_overview():
    """Overdue complaints, and reply and resolution rates by enterprise and sector."""
    session = get_session()
    all_waves = session.scalars(select(Wave).order_by(Wave.opens_on.desc())).all()
    wanted = request.args.get("wave", "")
    wave = next((w for w in all_waves if str(w.id) == wanted), None) or (
        all_waves[0] if all_waves else None)
    everything = complaint_states(session, wave) if wave else []
    items = [c for c in everything if c["shown"]]
    return render_template(
        "console/complaints.html", waves=all_waves, wave=wave,
        overdue=[c for c in items if c["state"].overdue],
        by_enterprise=rates(items, "enterprise_id", "enterprise"),
        by_sector=rates(items, "sector", "sector_name"), total=len(items),
        held_back=len(everything) - len(items),
        k=comments.comment_threshold(),
        unknown_years=holidays.unknown_years(session, today()),
        provisional=sum(c["state"].provisional for c in items))
