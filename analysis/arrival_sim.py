"""Simulated waves with realistic arrival times, and ballot-stuffing attacks (for tests/bench).

Honest arrivals are an inhomogeneous Poisson process per enterprise (not the model of
:mod:`analysis.arrivals`, so the detector is tested off its own assumptions):

``rate_e(t) = c_e * hourly(t) * weekday(t) * open_e(t) * ramp(day) * D_ed * P_ed``

with a lunch and an evening peak inside the opening hours, weekends 1.3x, 3% of the open rate
outside the hours, the first three days of a wave at 0.6/0.8/0.9, a Gamma day effect ``D``
(cv 0.3, weather), and a promotion day (x3) for 15% of the enterprises per wave; one arrival
in ten brings one to three companions within two minutes (friends scanning together).
Levels ``c_e`` follow the declared volume (elasticity 0.5) with peer scatter (sd 0.3 on the
log scale) and a wave-to-wave drift (sd 0.15). Answers come from :func:`analysis.demo.demo_frames`
(the earlier wave's too, new respondents of the same enterprises); a share ``VERIFIED_SHARE``
of honest responses carries a receipt code (``verified``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.arrivals import hour_grid
from analysis.demo import demo_frames
from analysis.shifted_surge import proxy_scores

TZ = "Asia/Shanghai"
HOURS = {"consumer": [(600, 1320), (540, 1260), (660, 1380)], "producer": [(540, 1080)]}
PROMOTION_SHARE, PROMOTION_FACTOR = 0.15, 3.0
DAY_CV, GROUP_SHARE = 0.3, 0.1
VERIFIED_SHARE = 0.15


@dataclass(frozen=True)
class SimWave:
    """A simulated district: the compute_wave frames, earlier waves and arrival times."""

    responses: pd.DataFrame  # current wave: answers, link_id, submitted_at
    enterprises: pd.DataFrame  # with volume, opens_minute, closes_minute
    sectors: pd.DataFrame
    categories: pd.DataFrame
    models: dict
    history: pd.DataFrame  # earlier wave: enterprise_id, link_id, wave, submitted_at
    waves: pd.DataFrame  # the earlier wave's start and end
    start: pd.Timestamp
    end: pd.Timestamp
    levels: np.ndarray  # expected honest responses per enterprise this wave
    previous: pd.DataFrame | None = None  # the earlier wave's answers, with a proxy score


def _hourly(minute_of_day: np.ndarray) -> np.ndarray:
    h = minute_of_day / 60.0
    return 1.0 + 0.8 * np.exp(-((h - 12.5) ** 2) / 2) + 1.0 * np.exp(-((h - 19.0) ** 2) / 3)


def intensity(enterprises, start, days, rng, tz=TZ):
    """UTC hours of a wave and each enterprise's relative honest rate per hour (columns)."""
    hours = hour_grid(start, start + pd.Timedelta(days=days))
    local = (hours + pd.Timedelta(minutes=30)).tz_convert(tz)
    minute = np.asarray(local.hour * 60 + local.minute, float)
    opens = enterprises["opens_minute"].to_numpy(float)
    closes = enterprises["closes_minute"].to_numpy(float)
    inside = (minute[:, None] >= opens) & (minute[:, None] <= closes)
    base = np.where(inside, _hourly(minute)[:, None], 0.03 * 1.5)
    base = base * np.where(np.asarray(local.day_of_week) >= 5, 1.3, 1.0)[:, None]
    day = np.asarray((hours - hours[0]) // pd.Timedelta(days=1))
    ramp = np.array([0.6, 0.8, 0.9])
    base = base * np.where(day < 3, ramp[np.minimum(day, 2)], 1.0)[:, None]
    n_e = len(enterprises)
    effect = rng.gamma(1 / DAY_CV ** 2, DAY_CV ** 2, (days + 1, n_e))
    promo = rng.random(n_e) < PROMOTION_SHARE
    effect[rng.integers(3, days, n_e)[promo], np.flatnonzero(promo)] *= PROMOTION_FACTOR
    return hours, base * effect[day]


def place_times(enterprise_ids: pd.Series, enterprises, start, days, rng) -> pd.Series:
    """Honest submission times for given responses (each enterprise's count kept)."""
    hours, lam = intensity(enterprises, start, days, rng)
    col = pd.Index(enterprises["enterprise_id"]).get_indexer(enterprise_ids)
    p = lam / lam.sum(0)
    row = np.zeros(len(col), np.int64)
    for e in np.unique(col):
        mine = np.flatnonzero(col == e)
        row[mine] = rng.choice(len(hours), len(mine), p=p[:, e])
    t = hours[row] + pd.to_timedelta(rng.random(len(col)) * 3600, unit="s")
    return pd.Series(t, index=enterprise_ids.index)


def arrival_times(levels, enterprises, start, days, rng, tz=TZ) -> pd.DataFrame:
    """Honest arrivals of one wave: enterprise_id and submitted_at (UTC), time-ordered."""
    hours, base = intensity(enterprises, start, days, rng, tz)
    # companions come on top of the first arrivals: scale so that the level is the mean count
    lam = base * (levels / base.sum(0) / (1 + 2 * GROUP_SHARE))[None, :]
    counts = rng.poisson(lam)
    row, col = np.nonzero(counts)
    reps = counts[row, col]
    t = (hours[np.repeat(row, reps)]
         + pd.to_timedelta(rng.random(reps.sum()) * 3600, unit="s"))
    ents = np.repeat(col, reps)
    extra = rng.random(len(ents)) < GROUP_SHARE
    k = rng.integers(1, 4, extra.sum())
    lead = np.repeat(np.flatnonzero(extra), k)
    t = t.append(t[lead] + pd.to_timedelta(rng.random(len(lead)) * 120, unit="s"))
    ents = np.r_[ents, ents[lead]]
    out = pd.DataFrame({"enterprise_id": enterprises["enterprise_id"].to_numpy()[ents],
                        "submitted_at": t})
    end = start + pd.Timedelta(days=days)
    out = out[out["submitted_at"] < end]
    return out.sort_values("submitted_at", kind="stable").reset_index(drop=True)


def _links(enterprise_ids: pd.Series, rng) -> np.ndarray:
    """Link of each response: the counter's code (70%) or the table's (30%)."""
    second = rng.random(len(enterprise_ids)) < 0.3
    return enterprise_ids.to_numpy() * 10 + second


def simulate_wave(seed: int = 0, n_sectors: int = 4, n_enterprises: int = 40,
                  mean_count: float = 45.0, days: int = 31) -> SimWave:
    """A district wave with one earlier wave, honest arrivals and demo answers."""
    rng = np.random.default_rng([seed, 7])
    _, ents, sectors, categories, models = demo_frames(seed=seed, n_sectors=n_sectors,
                                                       n_enterprises=n_enterprises)
    ents = ents.assign(volume=ents["weight"])
    cat = ents["sector"].map(sectors.set_index("sector")["category"])
    pick = [HOURS[c][rng.integers(len(HOURS[c]))] for c in cat]
    ents["opens_minute"] = [float(p[0]) for p in pick]
    ents["closes_minute"] = [float(p[1]) for p in pick]
    v = ents["volume"].to_numpy(float)
    scatter = np.exp(0.3 * rng.normal(size=n_enterprises))
    base = mean_count * np.sqrt(v / np.exp(np.log(v).mean())) * scatter
    start = pd.Timestamp("2026-10-01", tz=TZ).tz_convert("UTC")
    past_start = start - pd.Timedelta(days=92)
    past_levels = base * np.exp(0.15 * rng.normal(size=n_enterprises))
    levels = base * np.exp(0.15 * rng.normal(size=n_enterprises))
    history = arrival_times(past_levels, ents, past_start, days, rng).assign(wave="past")
    history["link_id"] = _links(history["enterprise_id"], rng)
    times = arrival_times(levels, ents, start, days, rng)
    responses = _answers(times, seed, n_sectors, n_enterprises, seed + 1)
    responses["link_id"] = _links(responses["enterprise_id"], rng)
    responses["fake"] = False
    responses["verified"] = rng.random(len(responses)) < VERIFIED_SHARE
    previous = _answers(history, seed, n_sectors, n_enterprises, seed + 2)
    previous["score"] = proxy_scores(previous, next(iter(models.values())))
    waves = pd.DataFrame({"wave": ["past"], "start": [past_start],
                          "end": [past_start + pd.Timedelta(days=days)]})
    return SimWave(responses, ents, sectors, categories, models, history, waves, start,
                   start + pd.Timedelta(days=days), levels, previous)


def _answers(times: pd.DataFrame, seed, n_sectors, n_enterprises, response_seed):
    """Demo answers of new respondents for the given arrivals (enterprise_id, submitted_at)."""
    per = int(times["enterprise_id"].value_counts().max())
    answers = demo_frames(seed=seed, n_sectors=n_sectors, n_enterprises=n_enterprises,
                          per_enterprise=per, response_seed=response_seed)[0]
    rank = times.groupby("enterprise_id").cumcount()
    pos = (times["enterprise_id"].to_numpy() - 1) * per + rank.to_numpy()
    out = answers.iloc[pos].reset_index(drop=True).drop(columns="quarantined")
    out["response_id"] = np.arange(1, len(out) + 1)
    out["submitted_at"] = times["submitted_at"].to_numpy()
    return out


def attack(sim: SimWave, enterprise_id, n: int, start, spread: pd.Timedelta, high: bool,
           rng: np.random.Generator) -> pd.DataFrame:
    """``n`` fake responses to one enterprise, on its counter link, within ``[start,
    start + spread)``: evenly paced when the spread is under an hour, else at random moments
    inside its opening hours. Answers vary: ``1 + Binomial(9, p)`` per item with ``p`` drawn
    per fake from U(0.85, 0.97) (high) or U(0.05, 0.25) (low); profiles copied from honest
    respondents; a ``fake`` column marks them."""
    start = pd.Timestamp(start)
    if spread <= pd.Timedelta(hours=1):
        offsets = np.sort(rng.random(n)) * spread.total_seconds()
    else:
        ent = sim.enterprises.set_index("enterprise_id").loc[enterprise_id]
        cand = start + pd.to_timedelta(rng.random(40 * n) * spread.total_seconds(), unit="s")
        local = cand.tz_convert(TZ)
        minute = np.asarray(local.hour * 60 + local.minute)
        ok = (minute >= ent["opens_minute"]) & (minute <= ent["closes_minute"])
        offsets = np.sort(((cand[ok][:n] - start) / pd.Timedelta(seconds=1)).to_numpy())
    honest = sim.responses
    fakes = honest.iloc[rng.integers(0, len(honest), len(offsets))].copy()
    p = rng.uniform(0.85, 0.97, len(fakes)) if high else rng.uniform(0.05, 0.25, len(fakes))
    items = [i for b in sim.models[next(iter(sim.models))]["blocks"].values() for i in b]
    for item in items:
        if item == "cmp_filed":
            fakes[item] = 0.0 if high else (rng.random(len(fakes)) < 0.5).astype(float)
        else:
            fakes[item] = 1.0 + rng.binomial(9, p).astype(float)
    fakes["cmp_handling"] = np.where(fakes["cmp_filed"] == 1, 1.0, np.nan)
    sector = sim.enterprises.set_index("enterprise_id").loc[enterprise_id, "sector"]
    fakes["enterprise_id"], fakes["sector"] = enterprise_id, sector
    fakes["link_id"] = enterprise_id * 10
    fakes["submitted_at"] = start + pd.to_timedelta(offsets, unit="s")
    fakes["fake"] = True
    fakes["verified"] = False
    return fakes


def with_fakes(sim: SimWave, *fakes: pd.DataFrame) -> pd.DataFrame:
    """The honest responses with fake ones added (fresh response ids)."""
    out = pd.concat([sim.responses, *fakes], ignore_index=True)
    out["response_id"] = np.arange(1, len(out) + 1)
    return out


def scan(sim: SimWave, responses: pd.DataFrame, shifted: bool = True):
    """Held flags of the surge scan and of the shifted-surge scan (``shifted=False``: surge
    scan only, all False), aligned with ``responses``."""
    from analysis.integrity import screen_wave

    r = responses
    if shifted:
        r = responses.assign(score=proxy_scores(responses, next(iter(sim.models.values()))))
    previous = None if sim.previous is None else sim.previous[["enterprise_id", "score"]]
    _, result = screen_wave(r, sim.enterprises, sim.start, sim.end, tz=TZ,
                            history=sim.history, waves=sim.waves, previous=previous)
    if result.shifted is None:
        return result.held, pd.Series(False, index=responses.index)
    return result.held, result.shifted.held.reindex(responses.index, fill_value=False)


def computed(sim: SimWave, responses: pd.DataFrame, held: pd.Series, settings=None):
    """The wave computed without the held responses."""
    from analysis.wave import compute_wave

    frames = (responses.assign(quarantined=held.to_numpy()), sim.enterprises, sim.sectors,
              sim.categories, sim.models)
    return compute_wave(*frames, settings=settings)


def defended(sim: SimWave, responses: pd.DataFrame, settings=None, screen: bool = True,
             shifted: bool = True):
    """Held flags of both scans and the wave computed without the held responses."""
    held = pd.Series(False, index=responses.index)
    if screen:
        surge, shifted_held = scan(sim, responses, shifted)
        held = surge | shifted_held
    return held, computed(sim, responses, held, settings)


def targets(sim: SimWave, honest) -> tuple[int, int]:
    """A below-target enterprise to stuff (the lowest of the first sector) and a competitor
    to attack (the highest of another sector), from an honest wave's result."""
    ent = honest.enterprises.set_index("unit")
    first = sim.sectors["sector"].iloc[0]
    other = sim.sectors["sector"].iloc[1]
    mine = ent[ent["sector"] == first]["estimate"]
    theirs = ent[ent["sector"] == other]["estimate"]
    return int(mine.idxmin()), int(theirs.idxmax())


def previous_result(sim: SimWave, settings=None):
    """The earlier wave computed from its simulated answers."""
    from analysis.wave import compute_wave

    frames = (sim.previous.assign(quarantined=False), sim.enterprises, sim.sectors,
              sim.categories, sim.models)
    return compute_wave(*frames, settings=settings)


def review(sim: SimWave, responses: pd.DataFrame, held: pd.Series, result,
           previous) -> pd.DataFrame:
    """:func:`analysis.answer_shift.under_review` of a computed wave against the earlier
    one, the verified responses left counted as the independent evidence."""
    from analysis.answer_shift import under_review

    def table(res):
        t = res.enterprises
        return pd.DataFrame({"enterprise_id": t["unit"].astype(int), "estimate": t["estimate"],
                             "se": t["se"]})

    r = responses.assign(score=proxy_scores(responses, next(iter(sim.models.values()))))
    r = r[~held.to_numpy()]
    mine = r[r["verified"]].groupby("enterprise_id")["score"].agg(["mean", "count"])
    current = table(result).set_index("enterprise_id")
    current["independent"] = (current["estimate"] + mine["mean"]
                              - r.groupby("enterprise_id")["score"].mean())
    current["independent_n"] = mine["count"].reindex(current.index).fillna(0)
    return under_review(current.reset_index(), table(previous))
