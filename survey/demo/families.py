"""The demo's families beyond the first service sectors (survey/demo/family_spec.py):
postal, telecom and health services, consumer products of local manufacturers, and
housing projects and public works with a baseline wave and a later one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session

from analysis.simulate import TAU, enterprise_effects
from survey.demo import family_spec as fs
from survey.demo import spec
from survey.demo.units import make_links, service_enterprise, unit_responses
from survey.model import Category, DwellingUse, Enterprise, Organisation, Sector, Wave
from survey.ops import dwellings
from survey.ops.uscc import ALPHABET, make_code


def add(session: Session, categories: dict[str, Category], waves: list[Wave],
        rng: np.random.Generator, key: bytes, receipts_key: bytes, today: dt.date
        ) -> dict[str, int]:
    """Add the extra service sectors, the product and construction families, their units,
    links and responses, and dwelling codes for the open wave; the caller commits.

    Returns counts (categories, sectors, units, responses, organisations, dwelling codes).
    """
    wave_of = {w.code: w for w in waves}
    for code, family, zh, en, kind, target, weight, source in fs.CATEGORIES:
        categories[code] = Category(
            code=code, family=family, name_zh=zh, name_en=en, target_kind=kind, target=target,
            target_source=source, weight=weight, weight_source=fs.FAMILY_WEIGHT_SOURCE,
            baseline_wave=wave_of[fs.BASELINE_WAVE] if kind == "improvement" else None)
    session.add_all(categories[c[0]] for c in fs.CATEGORIES)
    services, truth_s = _services(categories, rng)
    products, truth_p, makers = _products(categories["products"], rng)
    works, truth_w, firms = _construction(categories["construction"], rng)
    units = services + products + works
    session.add_all(units)
    session.flush()
    truth = {**truth_s, **truth_p, **truth_w}
    links = make_links(session, units, waves, rng, key)
    n = _responses(session, units, waves, links, truth, rng, today)
    codes = _dwelling_codes(session, works, waves, receipts_key)
    return {"categories": len(fs.CATEGORIES),
            "sectors": len(fs.SERVICE_SECTORS) + len(fs.PRODUCT_SECTORS)
            + len(fs.CONSTRUCTION_SECTORS),
            "units": len(units), "responses": n, "organisations": len(makers) + len(firms),
            "dwelling codes": codes}


def _sector(category: Category, code: str, zh: str, en: str, weight: float) -> Sector:
    return Sector(code=code, category=category, name_zh=zh, name_en=en, weight=weight,
                  weight_source=fs.FAMILY_WEIGHT_SOURCE, instrument_code=code)


def _uscc(rng: np.random.Generator) -> str:
    return make_code(spec.DIVISION, "MA" + "".join(rng.choice(list(ALPHABET), size=6)))


def _centred(units: list[Enterprise], rng: np.random.Generator) -> np.ndarray:
    """Unit effects ``TAU * z`` centred (volume-weighted) within each sector."""
    volumes = np.array([u.customer_volume for u in units])
    return TAU * enterprise_effects(pd.Series([u.sector.code for u in units]), rng, volumes)


def _services(categories, rng):
    """Postal, telecom and health enterprises: named ones and a branch each (ten give a
    sector the publication rule's design degrees of freedom)."""
    units, sector_truth = [], []
    for s in fs.SERVICE_SECTORS:
        sector = _sector(categories[s.category], s.code, s.name_zh, s.name_en, s.weight)
        for name in spec.enterprise_names(s):
            units.append(service_enterprise(name, sector, rng))
            sector_truth.append(s.truth)
    z = _centred(units, rng)
    return units, {id(u): {w: t + z_u for w, t in tr.items()}
                   for u, tr, z_u in zip(units, sector_truth, z, strict=True)}


def _products(category, rng):
    """Product lines of the local manufacturers, each with its brand and product category."""
    makers = [Organisation(name=name, uscc=_uscc(rng)) for name in fs.MANUFACTURERS]
    sectors = {code: (_sector(category, code, zh, en, w), truth)
               for code, zh, en, w, truth in fs.PRODUCT_SECTORS}
    units = [Enterprise(name=name, kind="product_line", sector=sectors[code][0], owner=makers[m],
                        brand=brand, product_category=pcat, street=str(rng.choice(spec.STREETS)),
                        customer_volume=float(round(rng.lognormal(10.0, 0.6))))
             for m, code, name, brand, pcat in fs.PRODUCT_LINES]
    z = _centred(units, rng)
    truth = {id(u): {w: t + z_u for w, t in sectors[u.sector.code][1].items()}
             for u, z_u in zip(units, z, strict=True)}
    return units, truth, makers


def _construction(category, rng):
    """Housing projects (developer, builder, dwellings, delivery) and public works, with
    their planted true indices."""
    developers = [Organisation(name=n, uscc=_uscc(rng)) for n in fs.DEVELOPERS]
    builders = [Organisation(name=n, uscc=_uscc(rng)) for n in fs.BUILDERS]
    sectors = {code: _sector(category, code, zh, en, w)
               for code, zh, en, w in fs.CONSTRUCTION_SECTORS}
    units, truth = [], {}
    for p in fs.PROJECTS + fs.PUBLIC_WORKS:
        housing = p.sector == "housing"
        unit = Enterprise(
            name=p.name, kind="housing_project" if housing else "public_work",
            sector=sectors[p.sector], street=p.street, builder=builders[p.builder],
            owner=developers[p.developer] if housing else None, dwellings=p.dwellings,
            delivered_on=dt.date.fromisoformat(p.delivered_on) if p.delivered_on else None,
            # A project's weight is its dwellings (survey.ops.frames); it declares no
            # customer volume, so the first wave's arrival screening (no history yet) takes
            # the district's median rather than reading 45 answering dwellings as a surge.
            customer_volume=None if housing else p.residents)
        units.append(unit)
        truth[id(unit)] = dict(p.truth)
    return units, truth, developers + builders


def _mean_n(unit: Enterprise, wave_mean: int) -> int:
    return {"product_line": fs.PRODUCT_RESPONSES, "housing_project": fs.HOUSING_RESPONSES,
            "public_work": fs.PUBLIC_WORK_RESPONSES}.get(unit.kind, wave_mean)


def _responses(session, units, waves, links, truth, rng, today) -> int:
    """Every unit's responses in every wave; a housing project's each speak for one of its
    dwellings (drawn without repetition), as its dwelling codes would ensure."""
    total = 0
    for (code, _o, _c, _s, wave_mean), wave in zip(spec.WAVES, waves, strict=True):
        for unit in units:
            n = int(rng.poisson(_mean_n(unit, wave_mean)))
            if unit.dwellings:
                n = min(n, unit.dwellings)
            ids = unit_responses(session, unit, wave, links[unit.id, wave.id],
                                 truth[id(unit)][code], n, rng, today)
            if unit.kind == "housing_project" and ids:
                labels = _labels(unit)
                pick = rng.choice(len(labels), size=len(ids), replace=False)
                session.execute(insert(DwellingUse), [
                    {"enterprise_id": unit.id, "wave_id": wave.id, "label": labels[int(k)],
                     "response_id": rid} for k, rid in zip(pick, ids, strict=True)])
            total += len(ids)
    return total


def _labels(project: Enterprise) -> list[str]:
    """Dwelling labels building-unit-room (e.g. ``3-2-501``): 2 units a building, 2 flats
    a floor, 18 floors, as many buildings as the dwellings need."""
    per_building = 2 * 2 * 18
    return [f"{i // per_building + 1}-{i % per_building // 36 + 1}-"
            f"{i % 36 // 2 + 1}{i % 2 + 1:02d}" for i in range(project.dwellings)]


def _dwelling_codes(session, units, waves, key: bytes) -> int:
    """Dwelling codes for every dwelling of each housing project in the open wave."""
    wave = next(w for w in waves if w.status == "open")
    count = 0
    for unit in units:
        if unit.kind == "housing_project":
            dwellings.issue(session, key, unit, wave, _labels(unit))
            count += unit.dwellings
    return count
