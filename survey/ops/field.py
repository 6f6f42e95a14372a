"""The bureau's field sample in the database: drawing a wave's plan, interviewers' lists.

The plan itself is drawn by :func:`analysis.field_plan.field_plan` (PPS enterprises within
sectors, then one-hour slots within opening hours); this module builds its frame from the
enterprises, stores the drawn assignments with their inclusion probabilities and hands
enterprises to interviewers in turn.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.field_plan import field_plan, field_weights
from survey.model import (
    CollectionLink,
    Enterprise,
    FieldAssignment,
    Response,
    Sector,
    User,
    Wave,
)
from survey.ops.links import create_link
from survey.ops.quality import parse_hours

DEFAULT_HOURS = (9, 18)  # when an enterprise's opening hours are unknown
FIELD_LOCATION = "现场访问"


def plan_frame(session: Session) -> tuple[pd.DataFrame, dict]:
    """Active service enterprises (id, sector, volume) and their weekly opening hours.

    Housing projects, public works and product lines are left out: the field sample
    visits premises in opening-hour slots, and a housing project answers once per
    dwelling, by its dwelling code.

    Volume is the customer volume, else revenue, else the sector's median (else 1), so
    every enterprise has a positive size; hours come from ``opening_hours`` (every day),
    else 9:00-18:00.
    """
    rows = session.execute(
        select(Enterprise.id, Sector.code, Enterprise.customer_volume, Enterprise.revenue,
               Enterprise.opening_hours)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .where(Enterprise.active.is_(True), Enterprise.kind == "enterprise")
        .order_by(Enterprise.id)).all()
    frame = pd.DataFrame(rows, columns=["enterprise_id", "sector", "customer_volume", "revenue",
                                        "opening_hours"])
    volume = frame["customer_volume"].astype(float).fillna(frame["revenue"].astype(float))
    volume = volume.where(volume > 0)
    frame["volume"] = volume.fillna(volume.groupby(frame["sector"]).transform("median")).fillna(1.0)
    hours = {}
    for ent, text in zip(frame["enterprise_id"], frame["opening_hours"], strict=True):
        span = parse_hours(text)
        opens, closes = ((span[0] // 60, -(-span[1] // 60)) if span and span[1] > span[0]
                         else DEFAULT_HOURS)
        hours.update({(ent, d): (opens, closes) for d in range(7)})
    table = pd.DataFrame([(e, d, o, c) for (e, d), (o, c) in hours.items()],
                         columns=["enterprise_id", "weekday", "open", "close"])
    return frame[["enterprise_id", "sector", "volume"]], table


def draw(session: Session, wave: Wave, *, n: int = 2, seed: int = 1, slots: int = 3,
         intercepts: int = 6) -> list[FieldAssignment]:
    """Draw and store the wave's field plan: ``n`` enterprises per sector, ``slots`` each.

    The same frame and seed give the same plan. A plan is replaced only while no field
    interview was entered under it (ValueError otherwise); the caller commits. Drawn
    enterprises without a link in the wave get one (field responses are filed under it),
    and interviewers (active accounts with that role) get enterprises in turn.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    started = session.scalar(select(func.count()).select_from(Response).where(
        Response.wave_id == wave.id, Response.source == "field"))
    if started:
        raise ValueError(f"wave {wave.code} already has {started} field interviews; "
                         "its plan cannot be redrawn")
    frame, hours = plan_frame(session)
    if frame.empty:
        raise ValueError("there are no active enterprises to draw from")
    sizes = {s: min(n, k) for s, k in frame["sector"].value_counts().items()}
    plan = field_plan(frame, sizes, hours, seed=seed, slots=slots, intercepts=intercepts)
    for old in session.scalars(select(FieldAssignment).where(FieldAssignment.wave_id == wave.id)):
        session.delete(old)
    session.flush()
    interviewers = session.scalars(select(User.id).where(
        User.role == "interviewer", User.active.is_(True)).order_by(User.id)).all()
    turn = {e: i for i, e in enumerate(dict.fromkeys(plan["enterprise_id"]))}
    rows = [FieldAssignment(
        wave_id=wave.id, enterprise_id=int(r.enterprise_id), slot=r.slot, weekday=int(r.weekday),
        hour=int(r.hour), open_slots=int(r.open_slots), pi_enterprise=float(r.pi_enterprise),
        pi_slot=float(r.pi_slot), pi=float(r.pi), weight=float(r.weight),
        certainty=bool(r.certainty), target=int(r.target), seed=seed,
        interviewer_id=(interviewers[turn[r.enterprise_id] % len(interviewers)]
                        if interviewers else None))
        for r in plan.itertuples(index=False)]
    session.add_all(rows)
    _ensure_links(session, wave, {r.enterprise_id for r in rows})
    session.flush()
    return rows


def _ensure_links(session: Session, wave: Wave, enterprise_ids: set[int]) -> None:
    have = set(session.scalars(select(CollectionLink.enterprise_id).where(
        CollectionLink.wave_id == wave.id, CollectionLink.enterprise_id.in_(enterprise_ids))))
    for ent_id in sorted(enterprise_ids - have):
        create_link(session, session.get(Enterprise, ent_id), wave, FIELD_LOCATION)


def field_link(session: Session, assignment: FieldAssignment) -> CollectionLink:
    """The link a field interview is filed under: the enterprise's first link in the wave."""
    return session.scalars(select(CollectionLink).where(
        CollectionLink.wave_id == assignment.wave_id,
        CollectionLink.enterprise_id == assignment.enterprise_id)
        .order_by(CollectionLink.active.desc(), CollectionLink.id).limit(1)).one()


def assignments_of(session: Session, user_id: int) -> list[tuple[FieldAssignment, int]]:
    """An interviewer's assignments in open waves, each with its interviews entered so far."""
    done = (select(Response.field_assignment_id, func.count().label("n"))
            .where(Response.source == "field").group_by(Response.field_assignment_id)
            .subquery())
    rows = session.execute(
        select(FieldAssignment, func.coalesce(done.c.n, 0))
        .join(Wave, FieldAssignment.wave_id == Wave.id)
        .outerjoin(done, done.c.field_assignment_id == FieldAssignment.id)
        .where(FieldAssignment.interviewer_id == user_id, Wave.status == "open")
        .order_by(FieldAssignment.weekday, FieldAssignment.hour, FieldAssignment.id)).all()
    return [(a, int(k)) for a, k in rows]


def plan_lines(rows: list[FieldAssignment], names: dict[int, str]) -> list[str]:
    """The assignments as text lines for the CLI."""
    lines = [f"{'enterprise':<28}{'slot':<11}{'pi_ent':>8}{'pi':>9}{'weight':>9}{'target':>7}"]
    for a in rows:
        lines.append(f"{names.get(a.enterprise_id, a.enterprise_id)!s:<28}{a.slot:<11}"
                     f"{a.pi_enterprise:>8.3f}{a.pi:>9.4f}{a.weight:>9.1f}{a.target:>7}")
    return lines


def field_frame(session: Session, wave: Wave, scores: pd.Series) -> pd.DataFrame:
    """Field responses of a wave with enterprise, sector, slot, score and design weight.

    ``scores`` maps response id to its 0-100 score; the weights are
    :func:`analysis.field_plan.field_weights` over the stored plan.
    """
    rows = session.execute(
        select(Response.id, FieldAssignment.enterprise_id, Sector.code, FieldAssignment.slot)
        .join(FieldAssignment, Response.field_assignment_id == FieldAssignment.id)
        .join(Enterprise, FieldAssignment.enterprise_id == Enterprise.id)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .where(Response.wave_id == wave.id, Response.source == "field",
               Response.quarantined.is_(False)).order_by(Response.id)).all()
    out = pd.DataFrame(rows, columns=["response_id", "enterprise_id", "sector", "slot"])
    out["score"] = out["response_id"].map(scores).astype(float)
    out = out[out["score"].notna()].reset_index(drop=True)
    if out.empty:
        return out.assign(weight=pd.Series(dtype=float))
    plan = pd.DataFrame(session.execute(
        select(FieldAssignment.enterprise_id, FieldAssignment.slot, FieldAssignment.pi,
               FieldAssignment.open_slots).where(FieldAssignment.wave_id == wave.id)).all(),
        columns=["enterprise_id", "slot", "pi", "open_slots"])
    frame, _hours = plan_frame(session)
    out["weight"] = field_weights(out, plan, frame)
    return out
