"""Ballot-stuffing simulations through the real app on top of an honest baseline.

An enterprise's friends send 300 top scores from one client within an hour; a competitor's
staff send 100 minimum scores from a few clients. Every stored attack response must be
quarantined, and the published index (compute_wave, default settings) of both enterprises
must move by less than half a point — with the rate limits on, and with them off (so the
quality flags alone are tested).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from analysis import Settings
from survey.model import Response, Wave
from survey.ops.compute import compute
from tests.conftest import csrf_and_key
from tests.test_survey import full_answers

UAS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.44",
    "Mozilla/5.0 (Linux; Android 13; V2219A) Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065",
    "Mozilla/5.0 (Linux; Android 12; M2012K11AC) Chrome/112.0.5615.136 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) Version/16.6 Mobile Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S9180) Chrome/120.0.6099.144 Mobile Safari/537.36",
]
HONEST_MEANS = (0.72, 0.80, 0.76, 0.84)  # each enterprise's mean propensity (0–1)
HONEST_PER_ENTERPRISE = 60


class Clock:
    """A hand-moved clock for the app (app.config["CLOCK_NOW"])."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=float(seconds))


def _answers(rng, mean: float, instrument_items) -> dict[str, str]:
    person = rng.beta(mean * 8, (1 - mean) * 8)
    out = {}
    for code, kind in instrument_items:
        if kind == "rating":
            p = float(np.clip(person + rng.normal(0, 0.08), 0.01, 0.99))
            out[code] = "na" if rng.random() < 0.03 else str(1 + rng.binomial(9, p))
        else:
            out[code] = "1" if rng.random() < 0.15 else "0"
    return out


def _respond(client, token, answers, addr, ua, clock, seconds, keep_cookie=False):
    """One respondent: open the form, take `seconds`, submit; the POST's status (or the
    GET's when it was refused)."""
    if not keep_cookie:
        client.delete_cookie("manyi_device", path="/s/")
    env = {"REMOTE_ADDR": addr}
    page = client.get(f"/s/{token}", headers={"User-Agent": ua}, environ_base=env)
    if page.status_code != 200:
        return page.status_code
    clock.advance(seconds)
    data = csrf_and_key(page.get_data(as_text=True)) | answers
    reply = client.post(f"/s/{token}", data=data, headers={"User-Agent": ua}, environ_base=env)
    return reply.status_code


def _index(session, wave_id: int, enterprise_id: int, settings: Settings | None = None) -> float:
    session.rollback()  # a fresh snapshot: see what the app committed
    session.expire_all()
    table = compute(session, session.get(Wave, wave_id), settings).tables["enterprises"]
    return float(table.loc[table["unit"] == enterprise_id, "estimate"].iloc[0])


@pytest.fixture
def baseline(app, client, make_link, make_wave, db_session):
    """Four enterprises of one sector, each with honest answers from varied phones spread
    over ten days; the links and the clock."""
    wave = make_wave(days=(-30, 30))
    links = [make_link(wave=wave) for _ in HONEST_MEANS]
    clock = Clock(dt.datetime.now(dt.UTC).replace(hour=2, minute=0) - dt.timedelta(days=20))
    app.config["CLOCK_NOW"] = clock
    import instruments

    items = [(i.code, i.scale.kind) for i in instruments.get("catering").items]
    rng = np.random.default_rng(7)
    plan = [(k, n) for n in range(HONEST_PER_ENTERPRISE) for k in range(len(links))]
    for k, n in plan:
        addr = f"10.{k}.{n // 200}.{n % 200 + 1}"
        status = _respond(client, links[k].token, _answers(rng, HONEST_MEANS[k], items), addr,
                          UAS[int(rng.integers(len(UAS)))], clock,
                          rng.lognormal(np.log(110), 0.35))
        assert status == 303
        clock.advance(rng.exponential(1200))
    # The baseline spans days of the clock but seconds of real time: start the limits afresh.
    app.extensions["manyi_limiter"].reset()
    return {"wave": wave, "links": links, "clock": clock, "items": items}


def _attack_ids(session, after_id: int) -> list[Response]:
    session.rollback()  # a fresh snapshot: see what the app committed
    session.expire_all()
    return session.scalars(select(Response).where(Response.id > after_id)).all()


@pytest.mark.parametrize("limits", [True, False], ids=["rate-limits-on", "flags-only"])
def test_ballot_stuffing_is_quarantined_and_moves_no_index(app, client, baseline, db_session,
                                                           runner, limits):
    app.extensions["manyi_limiter"].enabled = limits
    wave, links, clock = baseline["wave"], baseline["links"], baseline["clock"]
    friend, rival = links[0], links[1]
    before = {e: _index(db_session, wave.id, e) for e in (friend.enterprise_id,
                                                         rival.enterprise_id)}
    honest_ids = db_session.scalars(select(Response.id)).all()
    last_honest = max(honest_ids)

    # 300 top scores for one enterprise from one client within an hour.
    top = full_answers(value="10") | {"comment": "服务一流，强烈推荐，大家都来！"}
    statuses = [_respond(client, friend.token, top, "203.0.113.9", UAS[0], clock, 10)
                for _ in range(300)]
    # 100 minimum scores against a competitor from a small set of clients.
    low = full_answers(value="1") | {"comment": "服务太差了，千万别来这家！"}
    statuses += [_respond(client, rival.token, low, f"198.51.100.{i % 4}", UAS[i % 2], clock, 25)
                 for i in range(100)]
    if not limits:
        assert statuses == [303] * 400  # nothing refused: only the flags stand in the way
    else:
        assert 429 in statuses

    attack = _attack_ids(db_session, last_honest)
    assert attack, f"the attack stored nothing at all: {sorted(set(statuses))}"
    assert all(r.quarantined and r.flags for r in attack)
    for enterprise, index in before.items():
        assert abs(_index(db_session, wave.id, enterprise) - index) < 0.5
    if not limits:  # the attack is big enough to matter had it not been quarantined
        counted = _index(db_session, wave.id, friend.enterprise_id,
                         Settings(include_quarantined=True))
        assert counted - before[friend.enterprise_id] > 5

    # The full recompute agrees, and keeps the honest baseline (almost) clean.
    result = runner.invoke(args=["quality", "recompute", "--wave", wave.code])
    assert result.exit_code == 0, result.output
    attack = _attack_ids(db_session, last_honest)
    assert all(r.quarantined for r in attack)
    assert {"straight_line", "burst"} <= {f for r in attack for f in r.flags}
    honest = db_session.scalars(select(Response).where(Response.id <= last_honest)).all()
    assert sum(r.quarantined for r in honest) <= 0.02 * len(honest)
    for enterprise, index in before.items():
        assert abs(_index(db_session, wave.id, enterprise) - index) < 0.5
