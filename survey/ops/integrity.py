"""Integrity screening of a wave's arrivals: the database's frames in, held responses and
the surge timelines out (the detection itself is :mod:`analysis.integrity`).

Responses inside a surge carry the reason ``surge``, those on the shifted side of a window of
days with surplus arrivals and shifted answers ``shifted_surge`` (both kept, left out of the
indices until an analyst releases them, through :mod:`survey.ops.quarantine`); the windows,
the answer shift inside them and hourly counts for the console's timeline are returned as
plain data for :func:`survey.ops.compute.compute_and_store` to keep with the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

import instruments
from analysis.answer_shift import surge_shift
from analysis.integrity import screen_wave
from analysis.link_evidence import copied_link_score
from analysis.quality import COPIED_LINK, INTEGRITY, SHIFTED_SURGE, SURGE
from analysis.surge import SurgeResult
from survey import clock
from survey.model import (
    Answer,
    CollectionLink,
    Enterprise,
    QuarantineReview,
    Response,
    Sector,
    Wave,
)
from survey.ops import quarantine
from survey.ops.quality import parse_hours

TIMELINE_MARGIN = pd.Timedelta(hours=24)  # shown either side of a surge
MAX_HOURLY = 14 * 24  # longer timelines are drawn per day
STAMP_GRACE = 30.0  # minutes a counter stamp stays fresh: COUNTER_STAMP_GRACE_MINUTES


@dataclass(frozen=True)
class Screening:
    """The screened responses (response_id, enterprise_id, link_id, submitted_at, score,
    held by the surge scan, shifted: held by the shifted-surge scan), the scans' result and
    the reason codes per response id."""

    frame: pd.DataFrame
    result: SurgeResult | None
    reasons: dict[int, list[str]]


def wave_span(wave: Wave, zone: dt.tzinfo) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The wave's local opening midnight and the midnight after its closing day (aware)."""
    start = dt.datetime.combine(wave.opens_on, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(wave.closes_on + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return pd.Timestamp(start), pd.Timestamp(end)


def arrivals(session: Session, wave_ids: list[int]) -> pd.DataFrame:
    """Responses of the waves: ids, enterprise, link, wave, aware UTC time, flags, state."""
    rows = session.execute(
        select(Response.id, Response.enterprise_id, Response.link_id, Response.wave_id,
               Response.submitted_at, Response.flags, Response.quarantined)
        .where(Response.wave_id.in_(wave_ids)).order_by(Response.id)).all()
    frame = pd.DataFrame(rows, columns=["response_id", "enterprise_id", "link_id", "wave",
                                        "submitted_at", "flags", "quarantined"])
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    return frame


def enterprises(session: Session) -> pd.DataFrame:
    """Every enterprise with its sector, declared customer volume and opening minutes."""
    rows = session.execute(
        select(Enterprise.id, Sector.code, Enterprise.customer_volume, Enterprise.opening_hours)
        .join(Sector, Enterprise.sector_id == Sector.id).order_by(Enterprise.id)).all()
    frame = pd.DataFrame(rows, columns=["enterprise_id", "sector", "volume", "hours"])
    hours = frame["hours"].map(parse_hours)
    frame["opens_minute"] = hours.map(lambda h: h[0] if h else np.nan).astype(float)
    frame["closes_minute"] = hours.map(lambda h: h[1] if h else np.nan).astype(float)
    frame["volume"] = frame["volume"].astype(float)
    return frame.drop(columns="hours")


def history(session: Session, wave: Wave, zone) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earlier waves' counted responses and their spans, for the expected arrival rates."""
    earlier = session.scalars(select(Wave).where(Wave.opens_on < wave.opens_on)).all()
    spans = pd.DataFrame([(w.id, *wave_span(w, zone)) for w in earlier],
                         columns=["wave", "start", "end"])
    past = arrivals(session, [w.id for w in earlier]) if earlier else arrivals(session, [])
    return past[~past["quarantined"].astype(bool)], spans


def previous_scores(session: Session, wave: Wave) -> pd.DataFrame:
    """Enterprise and proxy score of the counted responses of the wave before ``wave``."""
    before = session.scalars(select(Wave).where(Wave.opens_on < wave.opens_on)
                             .order_by(Wave.opens_on.desc()).limit(1)).first()
    if before is None:
        return pd.DataFrame(columns=["enterprise_id", "score"])
    rows = session.execute(select(Response.id, Response.enterprise_id).where(
        Response.wave_id == before.id, Response.quarantined.is_(False))).all()
    f = pd.DataFrame(rows, columns=["response_id", "enterprise_id"])
    f["score"] = respondent_scores(session, f["response_id"]).to_numpy() if len(f) else []
    return f[["enterprise_id", "score"]]


def screen(session: Session, wave: Wave, zone, now: dt.datetime, *,
           stamp_grace_minutes: float = STAMP_GRACE) -> Screening:
    """Scan the wave's arrivals so far for surges and shifted surges
    (``analysis.integrity.screen_wave``, with the previous wave's answers) and copied links
    (``stamp_grace_minutes``: the age a counter display's stamp may reach).

    Responses quarantined for other reasons are left out of the scan (they are not counted
    anyway, and must not make a surge of their own).
    """
    frame = arrivals(session, [wave.id])
    other = frame["flags"].map(lambda f: any(c not in INTEGRITY for c in (f or [])))
    frame = frame[~(other & frame["quarantined"].astype(bool))].reset_index(drop=True)
    if frame.empty:
        return Screening(frame, None, {})
    start, end = wave_span(wave, zone)
    last = frame["submitted_at"].max() + pd.Timedelta(minutes=1)
    now = min(max(pd.Timestamp(now), last), end)
    end = max(end, last)  # answers after the planned close still get an hour on the grid
    past, spans = history(session, wave, zone)
    ents = enterprises(session)
    frame["score"] = respondent_scores(session, frame["response_id"]).to_numpy()
    reasons, result = screen_wave(
        frame[["response_id", "enterprise_id", "link_id", "submitted_at", "score"]],
        ents, start, end, tz=zone.key, history=past if len(past) else None,
        waves=spans if len(past) else None, now=now, previous=previous_scores(session, wave))
    copied = copied_links(session, wave, frame, ents, zone, stamp_grace_minutes)
    by_id = {int(rid): [c for c in INTEGRITY if c in codes or (c == COPIED_LINK and cp)]
             for rid, codes, cp in zip(frame["response_id"], reasons, copied, strict=True)}
    shifted = result.shifted.held.reindex(result.held.index, fill_value=False)
    return Screening(frame.assign(held=result.held.to_numpy(), shifted=shifted.to_numpy()),
                     result, by_id)


def copied_links(session: Session, wave: Wave, frame: pd.DataFrame, ents: pd.DataFrame,
                 zone, stamp_grace_minutes: float = STAMP_GRACE) -> np.ndarray:
    """``analysis.link_evidence.copied_link_score`` flags of the screened responses: far
    outside opening hours, soon after their link was reprinted, or on a counter-display link
    without a fresh stamp."""
    reprinted = dict(session.execute(select(CollectionLink.id, CollectionLink.reprinted_at)
                                     .where(CollectionLink.wave_id == wave.id)).all())
    f = frame[["enterprise_id", "link_id", "submitted_at"]].merge(
        ents[["enterprise_id", "opens_minute", "closes_minute"]], how="left")
    local = f["submitted_at"].dt.tz_convert(zone)
    f["local_minute"] = local.dt.hour * 60 + local.dt.minute
    f["reprinted_at"] = pd.to_datetime(f["link_id"].map(reprinted), utc=True)
    stamps = stamp_frame(session, wave)
    f["stamp_valid"] = frame["response_id"].map(stamps["stamp_valid"]).to_numpy()
    f["stamp_issued_at"] = frame["response_id"].map(stamps["stamp_issued_at"]).to_numpy()
    return copied_link_score(f, stamp_grace_minutes=stamp_grace_minutes)[
        "copied_link"].to_numpy(bool)


def stamp_frame(session: Session, wave: Wave) -> pd.DataFrame:
    """The counter-display stamps of the wave's responses (valid: True, False or None; the
    aware UTC issue time), indexed by response id."""
    rows = session.execute(select(Response.id, Response.stamp_valid, Response.stamp_issued_at)
                           .where(Response.wave_id == wave.id)).all()
    frame = pd.DataFrame(rows, columns=["response_id", "stamp_valid", "stamp_issued_at"])
    frame["stamp_valid"] = frame["stamp_valid"].astype(object)
    frame["stamp_issued_at"] = pd.to_datetime(frame["stamp_issued_at"], utc=True)
    return frame.set_index("response_id")


def store(session: Session, wave: Wave, screening: Screening) -> dict:
    """Write the integrity codes of every response of the wave (kept reviews stand); the
    caller commits. Returns counts of held and newly quarantined responses."""
    reviews = latest_reviews(session, wave)
    counts = {"screened": len(screening.frame), "held": 0}
    for response in session.scalars(select(Response).where(Response.wave_id == wave.id)):
        codes = screening.reasons.get(response.id, [])
        quarantine.set_integrity_flags(response, codes, reviews.get(response.id))
        counts["held"] += SURGE in codes
        counts["shifted_surge"] = counts.get("shifted_surge", 0) + (SHIFTED_SURGE in codes)
        counts["copied_link"] = counts.get("copied_link", 0) + (COPIED_LINK in codes)
    session.flush()
    return counts


def latest_reviews(session: Session, wave: Wave) -> dict[int, QuarantineReview]:
    """The latest analyst review of each reviewed response of the wave."""
    rows = session.scalars(
        select(QuarantineReview).join(Response, QuarantineReview.response_id == Response.id)
        .where(Response.wave_id == wave.id).order_by(QuarantineReview.id))
    return {r.response_id: r for r in rows}


def respondent_scores(session: Session, response_ids) -> pd.Series:
    """A 0-100 proxy of each respondent's satisfaction: the mean of their rescaled answers to
    the instrument's satisfaction items (reverse items flipped), indexed by response id."""
    rows = session.execute(
        select(Answer.response_id, Answer.item_code, Answer.value, Response.instrument_code,
               Response.instrument_version)
        .join(Response, Answer.response_id == Response.id)
        .where(Answer.response_id.in_([int(i) for i in response_ids]),
               Answer.value.is_not(None))).all()
    frame = pd.DataFrame(rows, columns=["rid", "item", "value", "code", "version"])
    parts = []
    for (code, version), part in frame.groupby(["code", "version"]):
        inst = instruments.get(code, int(version))
        blocks = inst.blocks()
        items = set(blocks.get("satisfaction") or sum(blocks.values(), []))
        scales, reverse = inst.scales(), set(inst.reverse_items())
        part = part[part["item"].isin(items)]
        lo = part["item"].map({c: b[0] for c, b in scales.items()}).astype(float)
        hi = part["item"].map({c: b[1] for c, b in scales.items()}).astype(float)
        score = (part["value"].astype(float) - lo) / (hi - lo) * 100
        parts.append(score.where(~part["item"].isin(reverse), 100 - score)
                     .groupby(part["rid"]).mean())
    out = pd.concat(parts) if parts else pd.Series(dtype=float)
    return out.reindex([int(i) for i in response_ids])


def summary(session: Session, screening: Screening, zone, names: dict[int, str]) -> dict:
    """JSON-ready surges and shifted surges per enterprise: windows, the answer shift and the
    timeline."""
    result = screening.result
    if result is None:
        return {"enterprises": [], "tests": 0}
    shifted = result.shifted.windows if result.shifted is not None else pd.DataFrame(
        columns=["enterprise_id", "start", "end"])
    if result.windows.empty and shifted.empty:
        return {"enterprises": [], "tests": result.tests}
    f = screening.frame
    if "score" not in f.columns:
        f = f.assign(score=respondent_scores(session, f["response_id"]).to_numpy())
    if "shifted" not in f.columns:
        f = f.assign(shifted=False)
    shift = surge_shift(f["score"], f["enterprise_id"], f["held"]).set_index("enterprise_id")
    out = []
    for ent in sorted(set(result.windows["enterprise_id"]) | set(shifted["enterprise_id"])):
        windows = result.windows[result.windows["enterprise_id"] == ent]
        days = shifted[shifted["enterprise_id"] == ent]
        mine = f[f["enterprise_id"] == ent]
        row = shift.loc[ent] if ent in shift.index else None
        out.append({
            "enterprise_id": int(ent), "name": names.get(int(ent), str(ent)),
            "held": int(mine["held"].sum()), "held_shifted": int(mine["shifted"].sum()),
            "responses": len(mine),
            "shift": None if row is None else _plain(row["difference_rest"]),
            "shifted": bool(row is not None and row["shifted"]),
            "windows": [_window(w, zone) for w in windows.to_dict("records")],
            "shifted_windows": [_shifted_window(w, zone) for w in days.to_dict("records")],
            "timeline": timeline(mine.assign(held=mine["held"] | mine["shifted"]),
                                 pd.concat([windows[["start", "end"]], days[["start", "end"]]]),
                                 zone)})
    return {"enterprises": out, "tests": result.tests}


def _window(w: dict, zone) -> dict:
    return {"unit": w["unit"], "link_id": None if pd.isna(w["link_id"]) else int(w["link_id"]),
            "hours": float(w["window_hours"]), "observed": int(w["observed"]),
            "expected": round(float(w["expected"]), 3), "p": float(w["p_scan"]),
            "start": w["start"].tz_convert(zone).isoformat(),
            "end": w["end"].tz_convert(zone).isoformat()}


def _shifted_window(w: dict, zone) -> dict:
    return {"days": int(w["days"]), "observed": int(w["observed"]),
            "expected": round(float(w["expected"]), 3), "p_count": float(w["p_count"]),
            "difference": round(float(w["difference"]), 2), "p_answers": float(w["p_answers"]),
            "p": float(w["p_scan"]), "held": int(w["held"]),
            "start": w["start"].tz_convert(zone).isoformat(),
            "end": w["end"].tz_convert(zone).isoformat()}


def timeline(mine: pd.DataFrame, windows: pd.DataFrame, zone) -> dict:
    """Counts and held counts per local hour (per day for long spans) around the surges."""
    lo = max(windows["start"].min() - TIMELINE_MARGIN, mine["submitted_at"].min())
    hi = min(windows["end"].max() + TIMELINE_MARGIN, mine["submitted_at"].max())
    freq = "h" if (hi - lo) <= pd.Timedelta(hours=MAX_HOURLY) else "D"
    local = mine["submitted_at"].dt.tz_convert(zone)
    grid = pd.date_range(lo.tz_convert(zone).floor(freq), hi.tz_convert(zone).floor(freq),
                         freq=freq)
    bucket = local.dt.floor(freq)
    counts = bucket.value_counts().reindex(grid, fill_value=0)
    held = bucket[mine["held"].to_numpy(bool)].value_counts().reindex(grid, fill_value=0)
    return {"freq": freq, "hours": [t.isoformat() for t in grid],
            "counts": [int(c) for c in counts], "held": [int(c) for c in held],
            "windows": [{"start": w["start"].tz_convert(zone).isoformat(),
                         "end": w["end"].tz_convert(zone).isoformat()}
                        for w in windows.to_dict("records")]}


def _plain(value) -> float | None:
    value = float(value)
    return round(value, 2) if value == value else None


def refresh(session: Session, wave: Wave) -> tuple[dict, Screening]:
    """Screen the wave with the app's clock and store the holds (flushed; the caller
    commits). Returns the counts and the screening."""
    zone = clock.zone()
    grace = (current_app.config.get("COUNTER_STAMP_GRACE_MINUTES", STAMP_GRACE)
             if has_app_context() else STAMP_GRACE)
    screening = screen(session, wave, zone, clock.now(), stamp_grace_minutes=grace)
    return store(session, wave, screening), screening
