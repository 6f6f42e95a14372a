"""Coverage of sector CIs on samples drawn from the demo generator's model (survey.simulate).

What the estimator targets. With ``design="sample"`` (the default) a sector's enterprises
are primary sampling units drawn from the sector (sector strata, with-replacement
variance), so the CI is for the index of the sector's enterprise *population*, not of the
enterprises that happen to be sampled. In the generator the sector truth ``mu_s`` is the
equally weighted mean of its enterprises' ``mu_e = mu_s + TAU z_e`` with ``z_e`` centred
within the sector (:func:`survey.simulate.enterprise_effects`). So each sector gets a
population of ``N = 1000`` enterprises with centred effects (its mean is exactly ``mu_s``),
and every replicate draws fresh enterprises from it (simple random sampling of ``m = 10``,
as in the demo; the with-replacement variance ignores a finite-population correction of
``1 - m/N = 0.99``) and fresh respondents (``simulate_responses`` with the instrument's
real items, Poisson(26) per enterprise as in the demo's 2026Q3 wave). Enterprise weights
are equal, as the generator's truth is (see the report on customer-volume weights).
Centring the effects of the *sampled* ten instead (as the demo does) would make the
between-enterprise variance the sample design includes spurious, and coverage too high.

Speed: the replicates are stacked into one wave as separate sectors (``<code>.<k>``).
Every sector quantity depends on its own rows only (item weights pooled by sector, raking
within sector, sector strata, df counted per unit, calibration residuals per sector),
which ``test_stacked_replicates_equal_separate_computations`` checks.
"""

import numpy as np
import pandas as pd
import pytest

import instruments
from analysis import Settings, compute_wave
from survey import demo_spec
from survey.demo import instrument_items
from survey.frames import model_of
from survey.simulate import POPULATION, TAU, enterprise_effects, simulate_responses

WAVE = "2026Q3"
PER_ENTERPRISE = 26  # the demo's mean responses per enterprise in 2026Q3
ENTERPRISES = 10  # sampled per sector, as in the demo
POPULATION_SIZE = 1000
REPLICATES = 200
# Two demo sectors at either end of the true indices (87.9 and 75.9 in 2026Q3).
CODES = ("information", "wholesale")


def sector_population(spec, rng):
    """True means of a sector's enterprises (effects centred: their mean is mu_s)."""
    z = enterprise_effects(pd.Series([spec.code] * POPULATION_SIZE), rng)
    return spec.truth[WAVE] + TAU * z


def simulate_stacked(rng, replicates=REPLICATES, codes=CODES):
    """Frames of one wave holding ``replicates`` independent samples of each sector.

    Returns the compute_wave inputs, the raking margins and each stacked sector's truth.
    """
    specs = {s.code: s for s in demo_spec.SECTORS}
    resp, ents, truths = [], [], []
    next_e = 0
    for code in codes:
        mu_pop = sector_population(specs[code], rng)
        pick = np.array([rng.choice(POPULATION_SIZE, ENTERPRISES, replace=False)
                         for _ in range(replicates)])  # (replicates, m)
        mu_e = mu_pop[pick].ravel()
        n_e = rng.poisson(PER_ENTERPRISE, mu_e.size)
        ids = next_e + np.arange(mu_e.size)
        next_e += mu_e.size
        stacked = [f"{code}.{k}" for k in range(replicates)]
        ent_sector = np.repeat(stacked, ENTERPRISES)
        ents.append(pd.DataFrame({"enterprise_id": ids, "name": "e", "sector": ent_sector,
                                  "weight": 1.0}))
        row_e = np.repeat(np.arange(mu_e.size), n_e)
        frame = simulate_responses(instrument_items(instruments.get(code)), mu_e[row_e], rng)
        frame.insert(0, "sector", ent_sector[row_e])
        frame.insert(0, "enterprise_id", ids[row_e])
        resp.append(frame)
        truths.append(pd.DataFrame({"unit": stacked, "base": code,
                                    "truth": specs[code].truth[WAVE]}))
    responses = pd.concat(resp, ignore_index=True)
    responses.insert(0, "response_id", np.arange(len(responses)))
    truth = pd.concat(truths, ignore_index=True).set_index("unit")
    sectors = pd.DataFrame({"sector": truth.index, "category": "all", "weight": 1.0})
    categories = pd.DataFrame({"category": ["all"], "target": [80.0], "weight": [1.0]})
    models = {u: model_of(instruments.get(truth.loc[u, "base"])) for u in truth.index}
    margins = {u: POPULATION for u in truth.index}
    frames = (responses, pd.concat(ents, ignore_index=True), sectors, categories, models)
    return frames, margins, truth


@pytest.fixture(scope="module")
def stacked():
    return simulate_stacked(np.random.default_rng(20240601))


def coverage(result, truth, column):
    sec = result.sectors.set_index("unit").loc[truth.index]
    hit = (sec["ci_low"] <= truth[column]) & (truth[column] <= sec["ci_high"])
    return float(hit.mean()), sec


def test_sample_design_cis_cover_the_sector_population_index(stacked):
    """95% CIs cover mu_s in 92-98% of 200 samples of each of two sectors (400 CIs)."""
    frames, margins, truth = stacked
    res = compute_wave(*frames, settings=Settings(), margins=margins)  # PLS, raking, sample
    rate, sec = coverage(res, truth, "truth")
    assert (sec["df"] == ENTERPRISES - 1).all()
    assert (res.item_weights["method"] == "pls").all()
    assert 0.92 <= rate <= 0.98, rate
    # the estimator is unbiased for the population index (bias within 3 Monte-Carlo SEs)
    err = (sec["estimate"] - truth["truth"]).groupby(truth["base"])
    assert (err.mean().abs() <= 3 * err.std() / np.sqrt(REPLICATES)).all()


def test_stacked_replicates_equal_separate_computations():
    frames, margins, truth = simulate_stacked(np.random.default_rng(7), replicates=2,
                                              codes=CODES[:2])
    both = compute_wave(*frames, margins=margins).sectors.set_index("unit")
    r, e, s, c, m = frames
    for k in range(2):
        units = [f"{code}.{k}" for code in CODES[:2]]
        alone = compute_wave(r[r["sector"].isin(units)], e[e["sector"].isin(units)],
                             s[s["sector"].isin(units)], c, {u: m[u] for u in units},
                             margins={u: margins[u] for u in units}).sectors.set_index("unit")
        cols = ["estimate", "se", "df", "ci_low", "ci_high", "n_eff"]
        np.testing.assert_allclose(both.loc[units, cols], alone.loc[units, cols], rtol=1e-9)
