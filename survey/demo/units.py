"""Rated units of the demo and their simulated responses, shared by the demo's service
sectors (survey/demo/district.py) and its other families (survey/demo/families.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import insert

import instruments
from analysis.simulate import Items, simulate_responses
from survey.demo import spec
from survey.model import Answer, CollectionLink, Enterprise, Response, Sector, Wave
from survey.ops import quarantine
from survey.ops.tokens import sign_token
from survey.ops.uscc import ALPHABET, make_code

POSITIVE = (
    "服务很周到，下次还会再来。",
    "工作人员态度热情，办事效率高。",
    "环境干净整洁，体验很好。",
    "价格合理，物有所值。",
    "整体满意，希望继续保持。",
    "流程清楚，很快就办完了。",
)
NEGATIVE = (
    "排队等候时间太长，希望增加窗口。",
    "价格偏高，性价比一般。",
    "工作人员态度冷淡，问了几次才有人理。",
    "收费项目不透明，事先没有说明。",
    "卫生状况需要改进。",
    "投诉后一直没有回复，请尽快处理，电话13812345678。",
    "预约了但还是等了很久。",
    "设施有些老旧，需要维修。",
)
COMMENT_RATE = 0.22


def instrument_items(instrument: instruments.Instrument) -> Items:
    """The instrument's item codes arranged for the simulator."""
    by = {
        c: [i.code for i in instrument.items if i.construct == c]
        for c in ("image", "expectation", "quality", "value", "satisfaction", "loyalty")
    }
    return Items(**{c: tuple(codes) for c, codes in by.items()})


def service_enterprise(name: str, sector: Sector, rng: np.random.Generator) -> Enterprise:
    """A service enterprise of ``sector`` with a credit code, street and size."""
    org8 = "MA" + "".join(rng.choice(list(ALPHABET), size=6))
    return Enterprise(
        name=name,
        uscc=make_code(spec.DIVISION, org8),
        sector=sector,
        street=str(rng.choice(spec.STREETS)),
        customer_volume=float(round(rng.lognormal(9.5, 0.8))),
        revenue=float(round(rng.lognormal(8.0, 1.0), 1)),
    )


def make_links(session, enterprises, waves, rng, key) -> dict[tuple[int, int], list]:
    """One or two signed collection links per unit and wave, by (unit id, wave id)."""
    links = {}
    for wave in waves:
        for ent in enterprises:
            places = ["总店", "分店"] if rng.random() < 0.2 else [""]
            links[ent.id, wave.id] = [
                CollectionLink(token=f"unsigned-{ent.id}-{wave.code}-{i}", enterprise=ent,
                               wave=wave, location=p, generation=1)
                for i, p in enumerate(places)
            ]
            session.add_all(links[ent.id, wave.id])
    session.flush()
    for group in links.values():
        for link in group:
            link.token = sign_token(key, link.id, link.generation)
    session.flush()
    return links


def unit_responses(session, unit: Enterprise, wave: Wave, links: list, mu: float, n: int,
                   rng: np.random.Generator, today: dt.date) -> list[int]:
    """Draw ``n`` responses of a unit whose true index is ``mu`` (analysis.simulate) and
    store them with their answers; returns the new response ids."""
    inst = instruments.get(unit.sector.instrument_code)
    frame = simulate_responses(instrument_items(inst), np.full(n, mu), rng)
    rows, values = _rows(frame, inst, wave, links, rng, today)
    if not rows:
        return []
    # The database assigns the ids (PostgreSQL's sequence must see them).
    ids = session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
    ).all()
    session.execute(
        insert(Answer),
        [
            {"response_id": rid, "item_code": c, "value": v}
            for rid, answers in zip(ids, values, strict=True)
            for c, v in answers.items()
        ],
    )
    return list(ids)


def _rows(frame, inst, wave, links, rng, today):
    item_codes = [i.code for i in inst.items]
    last = min(wave.closes_on, today)
    span = max((last - wave.opens_on).days, 1)
    rows, values = [], []
    for k, rec in enumerate(frame.to_dict("records")):
        link = links[int(rng.integers(len(links)))]
        submitted = dt.datetime.combine(wave.opens_on, dt.time(8), dt.UTC) + dt.timedelta(
            days=int(rng.integers(span)), minutes=int(rng.integers(12 * 60))
        )
        duration = dt.timedelta(seconds=float(rng.lognormal(np.log(110), 0.35)))
        answered = [rec[c] for c in item_codes if c.startswith("sat_") and not pd_na(rec[c])]
        sat = float(np.mean(answered)) if answered else np.nan
        comment = _comment(sat, rng)
        rows.append(
            dict(
                link_id=link.id,
                enterprise_id=link.enterprise_id,
                wave_id=wave.id,
                instrument_code=inst.code,
                instrument_version=inst.version,
                locale="zh_CN",
                started_at=submitted - duration,
                submitted_at=submitted,
                comment=comment,
                wants_complaint=bool(comment in NEGATIVE and rng.random() < 0.3),
                idempotency_key=f"demo-{wave.code}-{link.enterprise_id}-{k}",
                ip_hash=f"{rng.integers(1 << 60):032x}",
                device_hash=f"{rng.integers(1 << 60):032x}",
                quarantined=quarantine.initial_state([]),
                flags=[],
                **{
                    c: (None if pd_na(rec[c]) else str(rec[c]))
                    for c in ("age_band", "sex", "residence", "frequency")
                },
            )
        )
        values.append({c: None if pd_na(rec[c]) else int(rec[c]) for c in item_codes})
    return rows, values


def pd_na(value) -> bool:
    """True for None, NaN and pandas' NA."""
    return value is None or value != value or str(value) == "<NA>"


def _comment(sat: float, rng: np.random.Generator) -> str:
    if rng.random() > COMMENT_RATE or sat != sat:
        return ""
    pool = POSITIVE if sat >= 7.5 else NEGATIVE
    return str(pool[int(rng.integers(len(pool)))])
