"""Load the synthetic demo district into the database (`flask demo`, survey/demo/cli.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.simulate import TAU, enterprise_effects
from survey.demo import families, field_demo, spec
from survey.demo.units import instrument_items, make_links, service_enterprise, unit_responses
from survey.keys import link_key, receipt_key
from survey.model import Category, CollectionLink, Sector, Wave

__all__ = ["first_open_link", "instrument_items", "is_loaded", "load"]


def is_loaded(session: Session) -> bool:
    """True when the database already holds categories (demo or real data)."""
    return bool(session.scalar(select(func.count()).select_from(Category)))


def load(
    session: Session, seed: int, today: dt.date, key: bytes | None = None,
    receipts_key: bytes | None = None,
) -> dict[str, int]:
    """Create the demo district and its responses; the caller commits.

    Link tokens are signed with `key` and receipt codes with `receipts_key` (defaults: the
    current app's keys).

    Returns counts of what was created.
    """
    rng = np.random.default_rng(seed)
    categories = {
        code: Category(
            code=code,
            name_zh=zh,
            name_en=en,
            target=target,
            target_source=spec.PLAN_SOURCE,
            weight=w,
            weight_source=spec.WEIGHT_SOURCE,
        )
        for code, zh, en, target, w in spec.CATEGORIES
    }
    session.add_all(categories.values())
    waves = [
        _wave(code, opens, closes, status, today) for code, opens, closes, status, _ in spec.WAVES
    ]
    session.add_all(waves)
    enterprises = []
    for s in spec.SECTORS:
        sector = Sector(
            code=s.code,
            category=categories[s.category],
            name_zh=s.name_zh,
            name_en=s.name_en,
            weight=s.weight,
            weight_source=spec.WEIGHT_SOURCE,
            instrument_code=s.code,
        )
        session.add(sector)
        enterprises += [service_enterprise(name, sector, rng) for name in spec.enterprise_names(s)]
    session.add_all(enterprises)
    session.flush()
    links = make_links(session, enterprises, waves, rng, key or link_key(current_app.config))
    n = _responses(session, enterprises, waves, links, rng, today)
    open_wave = next(w for w in waves if w.status == "open")
    receipts_key = receipts_key or receipt_key(current_app.config)
    extra = field_demo.add(session, open_wave, rng, receipts_key)
    # The other families draw from their own stream, so the service sectors above stay
    # exactly as they were before the families existed.
    more = families.add(session, categories, waves, np.random.default_rng([seed, 16]),
                        key or link_key(current_app.config), receipts_key, today)
    return {
        "categories": len(spec.CATEGORIES) + more.pop("categories"),
        "sectors": len(spec.SECTORS) + more.pop("sectors"),
        "enterprises": len(enterprises) + more.pop("units"),
        "waves": len(waves),
        "responses": n + more.pop("responses"),
        **extra,
        **more,
    }


def _wave(code: str, opens: str, closes: str, status: str, today: dt.date) -> Wave:
    closes_on = dt.date.fromisoformat(closes)
    if status == "open":
        # Keep the demo's open wave open when the demo is started after its planned close.
        closes_on = max(closes_on, today + dt.timedelta(days=90))
    return Wave(
        code=code,
        opens_on=dt.date.fromisoformat(opens),
        closes_on=closes_on,
        status=status,
        instrument_versions={},
    )


def _responses(session, enterprises, waves, links, rng, today) -> int:
    volumes = np.array([e.customer_volume for e in enterprises])
    z = enterprise_effects(pd.Series([e.sector.code for e in enterprises]), rng, volumes)
    by_sector = {s.code: s for s in spec.SECTORS}
    total = 0
    for (code, _o, _c, _s, mean_n), wave in zip(spec.WAVES, waves, strict=True):
        for ent, z_e in zip(enterprises, z, strict=True):
            n = int(rng.poisson(mean_n))
            mu = by_sector[ent.sector.code].truth[code] + TAU * z_e
            total += len(unit_responses(session, ent, wave, links[ent.id, wave.id], mu, n,
                                        rng, today))
    return total


def first_open_link(session: Session) -> CollectionLink | None:
    """An active link of an open wave, for printing a demo URL."""
    return session.scalar(
        select(CollectionLink)
        .join(Wave)
        .where(Wave.status == "open", CollectionLink.active)
        .order_by(CollectionLink.id)
        .limit(1)
    )
