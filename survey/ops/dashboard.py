"""The portal dashboard's charts, drawn by the compute job and stored with the result.

Drawing an enterprise's four charts takes about half a second, too slow for a first page
view; the job draws them for every enterprise with a portal account, in each language, and
the dashboard serves them from `DashboardCharts` rows.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import instruments
from analysis import WaveResult
from analysis.index import rescale_items
from reports import dashboard, enterprise
from reports.dashboard_charts import LOCALES, dashboard_charts
from survey.model import (
    Answer,
    CollectionLink,
    ComputedResult,
    DashboardCharts,
    Enterprise,
    Response,
    User,
    Wave,
)


def item_means(session: Session, wave: Wave, enterprise_ids: list[int]) -> dict[int, dict]:
    """Enterprise id → item code → {"mean": 0-100 mean, "n": answers} over its counted
    responses in `wave` (quarantined responses left out, as the indices leave them out)."""
    rows = session.execute(
        select(Response.enterprise_id, Response.id, Response.instrument_code,
               Response.instrument_version, Answer.item_code, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.wave_id == wave.id, Response.quarantined.is_(False),
               Response.enterprise_id.in_(enterprise_ids))).all()
    frame = pd.DataFrame(rows, columns=["ent", "rid", "inst", "version", "item", "value"])
    return {int(ent): _means(part) for ent, part in frame.groupby("ent")} | {
        e: {} for e in enterprise_ids if e not in set(frame["ent"])}


def _means(frame: pd.DataFrame) -> dict[str, dict]:
    inst = instruments.get(str(frame["inst"].mode().iloc[0]),
                           int(frame["version"].mode().iloc[0]))
    wide = frame.pivot_table(index="rid", columns="item", values="value", aggfunc="first")
    scales = {c: b for c, b in inst.scales().items() if c in wide.columns}
    reverse = [c for c in inst.reverse_items() if c in scales]
    scored = rescale_items(wide.astype(float), scales, reverse=reverse)
    return {c: {"mean": float(scored[c].mean()), "n": int(scored[c].notna().sum())}
            for c in scored.columns if scored[c].notna().any()}


def own_waves(session: Session, enterprise_id: int) -> list[Wave]:
    """Waves in which the enterprise has collection links, oldest first."""
    ids = select(CollectionLink.wave_id).where(
        CollectionLink.enterprise_id == enterprise_id).distinct()
    return list(session.scalars(select(Wave).where(Wave.id.in_(ids))
                                .order_by(Wave.opens_on, Wave.id)).all())


def history(session: Session, own: list[Wave], wave: Wave) -> list[tuple[Wave, ComputedResult]]:
    """(wave, its latest stored result) for the waves of `own` up to `wave`, oldest first."""
    out = []
    for w in own:
        if w.opens_on > wave.opens_on:
            break
        row = _latest(session, w)
        if row is not None:
            out.append((w, row))
    return out


def _latest(session: Session, wave: Wave) -> ComputedResult | None:
    return session.scalars(select(ComputedResult).where(ComputedResult.wave_id == wave.id)
                           .order_by(ComputedResult.id.desc()).limit(1)).first()


def earlier(rows: list[tuple[Wave, ComputedResult]], wave: Wave) -> list[tuple[int, str]]:
    """(id, input hash) of the stored results of the waves before `wave` (the trend's)."""
    return [(r.id, r.input_sha256) for w, r in rows if w.id != wave.id]


def portal_enterprises(session: Session) -> list[int]:
    """Ids of the units whose dashboards are viewed: those with a portal account of their
    own and those owned or built by an organisation with one (a developer, a manufacturer)."""
    own = set(session.scalars(select(User.enterprise_id).where(User.enterprise_id.is_not(None))))
    orgs = select(User.organisation_id).where(User.organisation_id.is_not(None))
    theirs = set(session.scalars(select(Enterprise.id).where(
        or_(Enterprise.owner_id.in_(orgs), Enterprise.builder_id.in_(orgs)))))
    return sorted(own | theirs)


def store_charts(session: Session, row: ComputedResult, wave: Wave,
                 parse: Callable[[str], WaveResult]) -> int:
    """Draw and add the dashboard charts of `row` for every enterprise with a portal account
    whose index is published, in each language; the caller commits. ``parse`` turns a stored
    result's JSON into its WaveResult. Returns how many dashboards were drawn."""
    result = parse(row.result_json)  # as the dashboard reads it, so both draw the same
    ids = portal_enterprises(session)
    means = item_means(session, wave, ids) if ids else {}
    drawn = 0
    for ent in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids))):
        head = enterprise.headline(result, ent.id, ent.sector.category.target,
                                   ent.sector.category.target_kind)
        if head is None or not head["published"]:
            continue
        rows = [(w, r) for w, r in history(session, own_waves(session, ent.id), wave)
                if w.id != wave.id]
        trend = enterprise.trend([(w.code, parse(r.result_json)) for w, r in rows]
                                 + [(wave.code, result)], ent.id)
        key = dashboard.fingerprint(earlier(rows, wave), means.get(ent.id, {}))
        for locale in LOCALES:
            data = dashboard.chart_data(result, ent.id, ent.sector.code,
                                        ent.sector.instrument_code, means.get(ent.id, {}),
                                        trend, locale)
            charts = dashboard_charts(data, dashboard.construct_labels(locale),
                                      ent.sector.category.index_target, locale)
            session.add(DashboardCharts(result_id=row.id, enterprise_id=ent.id, locale=locale,
                                        fingerprint=key, charts=charts))
            drawn += 1
    return drawn


def stored_charts(session: Session, row: ComputedResult, enterprise_id: int, locale: str,
                  key: str) -> dict | None:
    """The charts the job stored for this result, enterprise and language, or None when there
    are none or they were drawn from other inputs (``key``: `reports.dashboard.fingerprint`)."""
    stored = session.scalar(select(DashboardCharts).where(
        DashboardCharts.result_id == row.id, DashboardCharts.enterprise_id == enterprise_id,
        DashboardCharts.locale == locale))
    if stored is None or stored.fingerprint != key:
        return None
    return stored.charts
