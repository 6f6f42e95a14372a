"""What a bulletin prints besides the results: frozen metadata and report contexts.

The console's charts come from the same context as the bulletin's, so both draw the same.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis import WaveResult
from reports import bulletin_context
from reports.charts import bulletin_charts
from survey import clock
from survey.model import Bulletin, Category, ComputedResult, Response, Sector, Wave
from survey.ops.integrity_meta import integrity_meta


def issue_label(wave: Wave) -> str:
    """The issue number printed on the bulletin: 2026Q4 → 2026年第4期."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", wave.code)
    return f"{m.group(1)}年第{m.group(2)}期" if m else wave.code


def previous_wave(session: Session, wave: Wave) -> Wave | None:
    """The latest wave that closed before `wave` opened and has a stored result."""
    return session.scalars(
        select(Wave).join(ComputedResult, ComputedResult.wave_id == Wave.id)
        .where(Wave.closes_on < wave.opens_on).order_by(Wave.closes_on.desc()).limit(1)
    ).first()


def aggregation_weights(session: Session) -> list[dict]:
    """Category and sector aggregation weights with their sources, for the annex."""
    rows = [{"level": "category", "name": c.name_zh, "name_en": c.name_en, "weight": c.weight,
             "source": c.weight_source} for c in session.scalars(select(Category))]
    rows += [{"level": "sector", "name": s.name_zh, "name_en": s.name_en, "weight": s.weight,
              "source": s.weight_source} for s in session.scalars(select(Sector))]
    return rows


def intake(session: Session, wave: Wave) -> dict:
    """Responses received and quarantined in the wave, and the quarantined ones counted by
    reason code (a response with two reasons counts under both)."""
    base = select(func.count()).select_from(Response).where(Response.wave_id == wave.id)
    reasons: dict[str, int] = {}
    for flags in session.scalars(select(Response.flags).where(
            Response.wave_id == wave.id, Response.quarantined.is_(True))):
        for code in flags or ["unspecified"]:
            reasons[code] = reasons.get(code, 0) + 1
    return {"received": session.scalar(base),
            "quarantined": session.scalar(base.where(Response.quarantined.is_(True))),
            "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))}


def reviewed_gaps(session: Session, wave: Wave) -> list | None:
    """Sectors whose QR-field gap flag was confirmed on the latest result (None: unreviewed)."""
    return session.scalars(select(ComputedResult.gap_review).where(
        ComputedResult.wave_id == wave.id).order_by(ComputedResult.id.desc()).limit(1)).first()


def snapshot_meta(session: Session, wave: Wave) -> dict:
    """Everything besides the results that a bulletin prints, frozen at publication."""
    prev = previous_wave(session, wave)
    return {
        "wave_code": wave.code,
        "issue_label": issue_label(wave),
        "title": current_app.config["BULLETIN_TITLE"],
        "district_name": current_app.config["DISTRICT_NAME"],
        "title_en": current_app.config["BULLETIN_TITLE_EN"],
        "district_name_en": current_app.config["DISTRICT_NAME_EN"],
        "previous_code": prev.code if prev else None,
        "aggregation_weights": aggregation_weights(session),
        # The data-quality section reads the reviewed gap flags beside the intake counts.
        "intake": {**intake(session, wave), "reviewed_gaps": reviewed_gaps(session, wave)},
        "integrity": integrity_meta(session, wave),
    }


# The English names of snapshots frozen before the English edition existed.
ENGLISH_DEFAULTS = {"title_en": "Customer Satisfaction Index Bulletin: Service Industries",
                    "district_name_en": "Jinpu New Area"}


def context_of(result: WaveResult, previous: WaveResult | None, meta: dict, *,
               date: dt.date, draft: bool, locale: str = "zh_CN") -> dict:
    """The report context of a result and its frozen metadata, in the edition's language."""
    en = locale == "en"
    if en:
        title = meta.get("title_en") or ENGLISH_DEFAULTS["title_en"]
        district = meta.get("district_name_en") or ENGLISH_DEFAULTS["district_name_en"]
    else:
        title, district = meta["title"], meta["district_name"]
    return bulletin_context(
        result, previous, wave_code=meta["wave_code"], issue_no=meta["issue_label"],
        title=title, date=date, district_name=district, draft=draft, locale=locale,
        previous_code=meta["previous_code"], aggregation_weights=meta["aggregation_weights"],
        intake=meta["intake"], integrity=meta.get("integrity"),
    )


def published_context(bulletin: Bulletin, locale: str = "zh_CN") -> dict:
    """A published revision's context, rebuilt only from its stored snapshot."""
    previous = WaveResult.from_json(bulletin.previous_json) if bulletin.previous_json else None
    published = bulletin.published_at or clock.now()
    return context_of(WaveResult.from_json(bulletin.result_json), previous, bulletin.meta,
                      date=published.date(), draft=False, locale=locale)


def console_charts(session: Session, wave: Wave, result: WaveResult) -> dict:
    """SVG charts of a result for the console: sector indices and the 四分图 per category."""
    context = context_of(result, None, snapshot_meta(session, wave), date=clock.today(),
                         draft=True)
    charts = bulletin_charts(context["charts"])
    return {"sectors": charts["sectors"], "quadrants": charts["quadrants"]}
