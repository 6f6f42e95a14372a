"""Quality flags of stored responses: the cheap checks as an answer arrives, the full set
over a wave (`recompute`, `flask quality recompute`).

The detection itself is pure (`analysis.quality`, `analysis.quality_text`); this module
reads what it needs from the database and writes the verdicts back. A flagged response is
quarantined: kept, never deleted, left out of the indices until an analyst releases it.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd
from sqlalchemy import Engine, bindparam, exists, func, literal_column, select
from sqlalchemy.orm import Session

import instruments
from analysis.quality import (
    AUTOMATIC,
    BURST,
    DUPLICATE,
    NEAR_DUPLICATE_COMMENT,
    OFF_HOURS,
    SPEEDER,
    STRAIGHT_LINE,
    QualityRules,
    flag_responses,
    outside_hours,
    speeder,
    speeder_threshold,
    straight_lined,
)
from analysis.quality_text import near_duplicate_comments
from survey import clock
from survey.model import Answer, Enterprise, QuarantineReview, Response, Sector, Wave
from survey.ops import quarantine
from survey.ops.link_lookup import read_row


def rules_of(config) -> QualityRules:
    """The app's quality rules: the defaults overridden by the QUALITY setting (a dict)."""
    return QualityRules.from_dict(config.get("QUALITY") or {})


@cache
def threshold_of(code: str, version: int, locale: str, rules: QualityRules) -> float:
    """Speeder threshold (seconds) of an instrument version read in `locale`."""
    inst = instruments.get(code, version)
    shown = 0
    for item in inst.items:
        shown += len(item.label.get(locale))
        for end in (item.low or item.scale.low, item.high or item.scale.high):
            shown += len(end.get(locale)) if end is not None else 0
    return speeder_threshold(shown, len(inst.items), rules)


def rating_items(inst: instruments.Instrument) -> tuple[str, ...]:
    """The codes of the instrument's rating-scale items (what straight-lining looks at)."""
    found = _RATING_ITEMS.get(inst.key)
    if found is None:
        found = _RATING_ITEMS[inst.key] = tuple(
            i.code for i in inst.items if i.scale.kind == "rating")
    return found


_RATING_ITEMS: dict[str, tuple[str, ...]] = {}


def parse_hours(text: str | None) -> tuple[int, int] | None:
    """Opening hours "HH:MM-HH:MM" as minutes of the day, or None when unknown/invalid."""
    try:
        opens, closes = (part.strip() for part in (text or "").split("-"))
        minutes = [int(h) * 60 + int(m) for h, m in (p.split(":") for p in (opens, closes))]
    except ValueError:
        return None
    return tuple(minutes) if all(0 <= v < 1440 for v in minutes) else None


_R = Response.__table__.c
_SAME_NETWORK = (
    (_R.ip_hash == bindparam("ip")) & (_R.enterprise_id == bindparam("ent"))
    & (_R.wave_id == bindparam("wave"))
)


@cache
def network_query(cap: int):
    """How many recent answers to an enterprise came from a network (at most `cap`), and
    whether one came from this very device: a lookup on the ip_hash index."""
    recent = (
        select(literal_column("1")).where(_SAME_NETWORK, _R.submitted_at >= bindparam("since"))
        .limit(literal_column(str(int(cap)))).offset(literal_column("0")).subquery()
    )
    return select(
        select(func.count()).select_from(recent).scalar_subquery(),
        exists().where(_SAME_NETWORK, _R.device_hash == bindparam("device")),
    )


def inline_flags(engine: Engine, target, sub, now: dt.datetime, rules: QualityRules,
                 zone: dt.tzinfo) -> tuple[list[str], bool]:
    """The checks run as a response arrives: speeder, straight-lining, opening hours, and
    (one indexed query) duplicates and bursts from the same network.

    Returns the reason codes and whether this response is the one that makes a burst
    (its earlier members are then flagged by `flag_burst_neighbours`).
    """
    flags, burst_starts = [], False
    duration = (now - sub.started_at).total_seconds() if sub.started_at else None
    if speeder(duration, threshold_of(sub.instrument_code, sub.instrument_version,
                                      sub.locale, rules)):
        flags.append(SPEEDER)
    inst = instruments.get(sub.instrument_code, sub.instrument_version)
    if straight_lined([sub.answers.get(c) for c in rating_items(inst)], rules):
        flags.append(STRAIGHT_LINE)
    if sub.ip_hash:
        recent, repeated = _network(engine, target, sub, now, rules)
        if repeated:
            flags.append(DUPLICATE)
        if recent + 1 >= rules.burst_count:
            flags.append(BURST)
            burst_starts = recent + 1 == rules.burst_count
    if _off_hours(target.opening_hours, now, rules, zone):
        flags.append(OFF_HOURS)
    return [c for c in AUTOMATIC if c in flags], burst_starts


def _network(engine, target, sub, now, rules) -> tuple[int, bool]:
    since = now - dt.timedelta(minutes=rules.burst_minutes)
    process = _time_processor(engine.dialect)
    row = read_row(engine, network_query(rules.burst_count), {
        "ip": sub.ip_hash, "ent": target.enterprise_id, "wave": target.wave_id,
        "since": process(since) if process else since,
        "device": sub.device_hash,
    })
    return int(row[0] or 0), bool(row[1])


@cache
def _time_processor(dialect):
    # The column's bind conversion for this dialect (a str for SQLite), looked up once.
    return _R.submitted_at.type.dialect_impl(dialect).bind_processor(dialect)


def _off_hours(hours: str | None, now: dt.datetime, rules: QualityRules, zone) -> bool:
    parsed = parse_hours(hours)
    if parsed is None:
        return False
    local = now.astimezone(zone)
    minute = pd.Series([local.hour * 60 + local.minute])
    return bool(outside_hours(minute, pd.Series([parsed[0]]), pd.Series([parsed[1]]),
                              rules.opening_grace_minutes).iloc[0])


def flag_burst_neighbours(session: Session, target, ip_hash: str, now: dt.datetime,
                          rules: QualityRules) -> int:
    """Quarantine the earlier responses of a burst that has just been detected; the caller
    commits. Returns how many were newly flagged."""
    since = now - dt.timedelta(minutes=rules.burst_minutes)
    rows = session.scalars(select(Response).where(
        Response.ip_hash == ip_hash, Response.enterprise_id == target.enterprise_id,
        Response.wave_id == target.wave_id, Response.submitted_at >= since))
    count = 0
    for response in rows:
        count += quarantine.add_flag(response, BURST)
    return count


def quality_frame(session: Session, wave: Wave, zone: dt.tzinfo,
                  rules: QualityRules) -> tuple[pd.DataFrame, list[str]]:
    """The wave's responses as `analysis.quality.flag_responses` reads them, and the
    rating item columns."""
    rows = session.execute(
        select(Response.id, Response.enterprise_id, Sector.code, Response.submitted_at,
               Response.started_at, Response.locale, Response.instrument_code,
               Response.instrument_version, Response.ip_hash, Response.device_hash,
               Response.client_hash, Response.comment, Enterprise.opening_hours)
        .join(Enterprise, Response.enterprise_id == Enterprise.id)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .where(Response.wave_id == wave.id).order_by(Response.id)
    ).all()
    frame = pd.DataFrame(rows, columns=[
        "response_id", "enterprise_id", "sector", "submitted_at", "started_at", "locale",
        "instrument_code", "instrument_version", "ip_hash", "device_hash", "client_hash",
        "comment", "opening_hours"])
    if frame.empty:
        return frame, []
    submitted = pd.to_datetime(frame["submitted_at"], utc=True)
    started = pd.to_datetime(frame["started_at"], utc=True)
    frame["submitted_at"] = submitted
    frame["duration_s"] = (submitted - started).dt.total_seconds()
    frame["threshold_s"] = [
        threshold_of(c, int(v), loc, rules) for c, v, loc in
        zip(frame["instrument_code"], frame["instrument_version"], frame["locale"], strict=True)]
    local = submitted.dt.tz_convert(zone)
    frame["local_minute"] = local.dt.hour * 60 + local.dt.minute
    hours = frame["opening_hours"].map(parse_hours)
    frame["opens_minute"] = hours.map(lambda h: h[0] if h else float("nan"))
    frame["closes_minute"] = hours.map(lambda h: h[1] if h else float("nan"))
    items = sorted({c for (code, version) in
                    frame[["instrument_code", "instrument_version"]].drop_duplicates().itertuples(
                        index=False)
                    for c in rating_items(instruments.get(code, int(version)))})
    answers = pd.DataFrame(session.execute(
        select(Answer.response_id, Answer.item_code, Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .where(Response.wave_id == wave.id, Answer.item_code.in_(items))
    ).all(), columns=["response_id", "item_code", "value"])
    wide = answers.pivot(index="response_id", columns="item_code", values="value")
    wide = wide.reindex(index=frame["response_id"], columns=items).astype("float64")
    frame = pd.concat([frame, wide.reset_index(drop=True)], axis=1)
    return frame, items


def recompute(session: Session, wave: Wave, rules: QualityRules, zone: dt.tzinfo) -> dict:
    """Recompute every automatic flag of the wave's responses and their quarantine; the
    caller commits.

    Flags set elsewhere (e.g. an upheld appeal) are kept. A response an analyst released
    stays released unless a reason appears that the review did not see; one they
    confirmed stays quarantined. Returns counts per reason and of quarantined responses.
    """
    frame, items = quality_frame(session, wave, zone, rules)
    if frame.empty:
        return {"responses": 0, "quarantined": 0}
    found = flag_responses(frame, items, rules)
    comments = near_duplicate_comments(frame, rules)
    by_id = {}
    for i, rid in enumerate(frame["response_id"]):
        codes = list(found.iloc[i])
        if comments.iloc[i]:
            codes.append(NEAR_DUPLICATE_COMMENT)
        by_id[int(rid)] = [c for c in AUTOMATIC if c in codes]
    reviews = _latest_reviews(session, wave)
    counts: dict[str, int] = {"responses": len(by_id), "quarantined": 0}
    for response in session.scalars(select(Response).where(Response.wave_id == wave.id)):
        kept = [f for f in (response.flags or []) if f not in AUTOMATIC]
        flags = kept + by_id.get(response.id, [])
        counts["quarantined"] += quarantine.set_flags(response, flags, reviews.get(response.id))
        for code in flags:
            counts[code] = counts.get(code, 0) + 1
    return counts


def refresh(session: Session, wave: Wave) -> dict:
    """`recompute` with the current app's rules and clock zone, flushed (the caller commits).

    Computing a wave runs it first, so that the checks that look across responses
    (near-identical comments, one device rating competitors) are current in every index.
    """
    from flask import current_app

    counts = recompute(session, wave, rules_of(current_app.config), clock.zone())
    session.flush()
    return counts


def _latest_reviews(session: Session, wave: Wave) -> dict[int, QuarantineReview]:
    reviews = session.scalars(
        select(QuarantineReview).join(Response, QuarantineReview.response_id == Response.id)
        .where(Response.wave_id == wave.id).order_by(QuarantineReview.id))
    return {r.response_id: r for r in reviews}

