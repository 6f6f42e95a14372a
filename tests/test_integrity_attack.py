"""The fast patient attack through the real HTTP path, on the demo district.

90 fake respondents push a below-target enterprise up and 45 push a competitor down, each
from its own address with a fresh cookie, one of several phone user agents, 75–130 s between
opening and submitting, varied (never straight-lined) answers and mostly no comment, all
within five minutes of the test clock, with the rate limits off (the worst case). After
:func:`survey.ops.compute.compute_and_store`, at least 90 % of the fakes are held and both
enterprises' published indices move by < 2 points, their sectors' by < 0.5 point.
"""

from __future__ import annotations

import datetime as dt
import heapq

import numpy as np
import pytest
from sqlalchemy import delete, select

import instruments
from analysis.quality import SURGE
from survey.model import (
    Answer,
    AuditEntry,
    CollectionLink,
    ComputedResult,
    Enterprise,
    IndexReview,
    Response,
    Wave,
)
from survey.ops.compute import compute, compute_and_store
from tests.conftest import csrf_and_key
from tests.test_attacks import UAS, Clock

START = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC)  # 10:30 local, after the demo data


def _answers(rng, mean: float, items) -> dict[str, str]:
    """Varied answers around ``mean`` (0–1); never one value on every rating item."""
    while True:
        person = float(np.clip(mean + rng.normal(0, 0.05), 0.02, 0.98))
        out = {}
        for code, kind in items:
            if kind == "rating":
                p = float(np.clip(person + rng.normal(0, 0.1), 0.01, 0.99))
                out[code] = str(1 + rng.binomial(9, p))
            else:
                out[code] = "1" if rng.random() < 0.2 else "0"
        ratings = [out[c] for c, k in items if k == "rating"]
        if len(set(ratings)) > 2:
            return out | ({"comment": "还不错"} if rng.random() < 0.1 else {})


def _plan(rng, fakes):
    """(open time, fake) and (submit time, fake) events of the fakes within five minutes."""
    events = []
    for i, fake in enumerate(fakes):
        dwell = rng.uniform(75, 130)
        opens = rng.uniform(0, 300 - dwell)
        heapq.heappush(events, (opens, i, "open", fake))
        heapq.heappush(events, (opens + dwell, i, "submit", fake))
    return events


def _run(app, clock, events) -> list[int]:
    """Replay the events on the test clock, one test client (cookie jar) per fake phone."""
    statuses = []
    while events:
        at, _i, kind, fake = heapq.heappop(events)
        clock.now = START + dt.timedelta(seconds=at)
        env, headers = {"REMOTE_ADDR": fake["addr"]}, {"User-Agent": fake["ua"]}
        if kind == "open":
            fake["client"] = app.test_client()
            page = fake["client"].get(f"/s/{fake['token']}", headers=headers, environ_base=env)
            assert page.status_code == 200
            fake["form"] = csrf_and_key(page.get_data(as_text=True))
            continue
        reply = fake["client"].post(f"/s/{fake['token']}", data=fake["form"] | fake["answers"],
                                    headers=headers, environ_base=env)
        statuses.append(reply.status_code)
    return statuses


def _targets(session, wave):
    """A below-target service enterprise and a well-rated competitor in another sector
    (housing projects take one answer per dwelling code, so they are not attacked so)."""
    result = compute(session, wave)
    services = set(session.scalars(select(Enterprise.id).where(Enterprise.kind == "enterprise")))
    ent = result.tables["enterprises"]
    ent = ent[ent["published"] & ent["unit"].astype(int).isin(services)].sort_values("estimate")
    low = ent.iloc[0]
    high = ent[ent["sector"] != low["sector"]].iloc[-1]
    return result, int(low["unit"]), int(high["unit"])


def _link(session, wave, enterprise_id) -> CollectionLink:
    return session.scalars(select(CollectionLink).where(
        CollectionLink.wave_id == wave.id, CollectionLink.enterprise_id == enterprise_id)
        .order_by(CollectionLink.id)).first()


@pytest.fixture
def attacked(demo_app, demo):
    """The demo district after the attack and one compute_and_store; cleaned up after."""
    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q4")).one()
    before, friend, rival = _targets(demo, wave)
    last_id = demo.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))
    last_result = demo.scalar(select(ComputedResult.id).order_by(ComputedResult.id.desc())
                              .limit(1)) or 0
    rng = np.random.default_rng(2026)
    fakes = []
    for target, mean, n in ((friend, 0.93, 90), (rival, 0.12, 45)):
        link = _link(demo, wave, target)
        code = demo.get(Enterprise, target).sector.instrument_code
        items = [(i.code, i.scale.kind) for i in instruments.get(code).items]
        fakes += [{"token": link.token, "addr": f"100.{64 + len(fakes) // 250}."
                   f"{len(fakes) % 250}.{int(rng.integers(1, 250))}",
                   "ua": UAS[int(rng.integers(len(UAS)))], "answers": _answers(rng, mean, items)}
                  for _ in range(n)]
    clock = Clock(START)
    old_clock = demo_app.config.get("CLOCK_NOW")
    limiter = demo_app.extensions["manyi_limiter"]
    demo_app.config["CLOCK_NOW"], limiter.enabled = clock, False
    try:
        statuses = _run(demo_app, clock, _plan(rng, fakes))
        demo.rollback()
        with demo_app.app_context():
            row, after = compute_and_store(demo, wave)
            demo.commit()
        fake_rows = demo.scalars(select(Response).where(Response.id > last_id)).all()
        yield {"before": before, "after": after, "friend": friend, "rival": rival,
               "statuses": statuses, "fakes": fake_rows, "row": row, "wave": wave}
    finally:
        demo_app.config["CLOCK_NOW"], limiter.enabled = old_clock, True
        _clean(demo, wave, last_id, last_result)


def _clean(session, wave, last_id, last_result) -> None:
    """Remove the fakes and what this test stored, so other demo tests see the demo."""
    session.rollback()
    ids = select(Response.id).where(Response.id > last_id)
    session.execute(delete(Answer).where(Answer.response_id.in_(ids)))
    session.execute(delete(Response).where(Response.id > last_id))
    session.execute(delete(ComputedResult).where(ComputedResult.id > last_result))
    session.execute(delete(IndexReview).where(IndexReview.wave_id == wave.id))
    session.execute(delete(AuditEntry).where(AuditEntry.action.like("index_%")))
    for response in session.scalars(select(Response).where(Response.wave_id == wave.id)):
        if SURGE in (response.flags or []):
            response.flags = [f for f in response.flags if f != SURGE]
            response.quarantined = bool(response.flags)
    session.commit()


def _estimate(result, level, unit) -> float:
    t = result.tables[level]
    return float(t.loc[t["unit"].astype(str) == str(unit), "estimate"].iloc[0])


def test_fast_patient_attack_is_held_and_moves_no_index(attacked):
    fakes = attacked["fakes"]
    assert attacked["statuses"] == [303] * 135  # every fake was accepted at the door
    assert len(fakes) == 135
    held = [r for r in fakes if r.quarantined]
    assert len(held) >= 0.9 * len(fakes), f"{len(held)} of {len(fakes)} held"
    assert sum(SURGE in (r.flags or []) for r in fakes) >= 0.9 * len(fakes)
    before, after = attacked["before"], attacked["after"]
    for ent in (attacked["friend"], attacked["rival"]):
        shift = _estimate(after, "enterprises", ent) - _estimate(before, "enterprises", ent)
        assert abs(shift) < 2, f"enterprise {ent} moved {shift:.2f}"
        sector = before.tables["enterprises"].set_index("unit").loc[ent, "sector"]
        moved = _estimate(after, "sectors", sector) - _estimate(before, "sectors", sector)
        assert abs(moved) < 0.5, f"sector {sector} moved {moved:.2f}"


def test_attack_surges_are_kept_for_the_console_timeline(attacked):
    surges = attacked["row"].integrity["surges"]["enterprises"]
    by_id = {s["enterprise_id"]: s for s in surges}
    for ent in (attacked["friend"], attacked["rival"]):
        s = by_id[ent]
        assert s["held"] >= 40 and s["windows"]
        assert sum(s["timeline"]["held"]) == s["held"]
        assert s["svg"].startswith("<svg")
    assert by_id[attacked["friend"]]["shift"] > 10  # the surge's answers stand out
    assert by_id[attacked["rival"]]["shift"] < -10
