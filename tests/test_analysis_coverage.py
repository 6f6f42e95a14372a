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
are equal, as the generator's truth is, or customer volumes drawn as the demo draws them
(lognormal, sigma 0.8) with the effects centred on the volume-weighted mean, so that the
volume-weighted population index is ``mu_s``. With such skewed shares and ten PSUs the
plain linearised SE is about 13% too small (coverage ~89%); the default small-sample
correction (:mod:`analysis.small_sample`) restores the nominal level.
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
from analysis.simulate import POPULATION, TAU, enterprise_effects, simulate_responses
from survey.demo import spec
from survey.demo.district import instrument_items
from survey.ops.frames import model_of

WAVE = "2026Q3"
PER_ENTERPRISE = 26  # the demo's mean responses per enterprise in 2026Q3
ENTERPRISES = 10  # sampled per sector, as in the demo
POPULATION_SIZE = 1000
REPLICATES = 200
# Two demo sectors at either end of the true indices (87.9 and 75.9 in 2026Q3).
CODES = ("information", "wholesale")


VOLUME_SIGMA = 0.8  # the demo's customer volumes: lognormal(9.5, 0.8)


def sector_population(spec, rng, volumes=None):
    """True means of a sector's enterprises (effects centred: their (weighted) mean is mu_s)."""
    z = enterprise_effects(pd.Series([spec.code] * POPULATION_SIZE), rng, weights=volumes)
    return spec.truth[WAVE] + TAU * z


def simulate_stacked(rng, replicates=REPLICATES, codes=CODES, volume_sigma=None):
    """Frames of one wave holding ``replicates`` independent samples of each sector.

    ``volume_sigma`` gives the enterprises lognormal customer volumes as aggregation weights
    (equal weights when None).

    Returns the compute_wave inputs, the raking margins and each stacked sector's truth.
    """
    specs = {s.code: s for s in spec.SECTORS}
    resp, ents, truths = [], [], []
    next_e = 0
    for code in codes:
        volumes = (np.ones(POPULATION_SIZE) if volume_sigma is None
                   else rng.lognormal(9.5, volume_sigma, POPULATION_SIZE))
        mu_pop = sector_population(specs[code], rng, volumes)
        pick = np.array([rng.choice(POPULATION_SIZE, ENTERPRISES, replace=False)
                         for _ in range(replicates)])  # (replicates, m)
        mu_e = mu_pop[pick].ravel()
        n_e = rng.poisson(PER_ENTERPRISE, mu_e.size)
        ids = next_e + np.arange(mu_e.size)
        next_e += mu_e.size
        stacked = [f"{code}.{k}" for k in range(replicates)]
        ent_sector = np.repeat(stacked, ENTERPRISES)
        ents.append(pd.DataFrame({"enterprise_id": ids, "name": "e", "sector": ent_sector,
                                  "weight": volumes[pick].ravel()}))
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


@pytest.fixture(scope="module")
def stacked_volumes():
    return simulate_stacked(np.random.default_rng(20240602), volume_sigma=VOLUME_SIGMA)


def coverage(result, truth, column):
    sec = result.sectors.set_index("unit").loc[truth.index]
    hit = (sec["ci_low"] <= truth[column]) & (truth[column] <= sec["ci_high"])
    return float(hit.mean()), sec


def test_sample_design_cis_cover_the_sector_population_index(stacked):
    """95% CIs cover mu_s in 92-98% of 200 samples of each of two sectors (400 CIs)."""
    frames, margins, truth = stacked
    res = compute_wave(*frames, settings=Settings(), margins=margins)  # PLS, raking, sample
    rate, sec = coverage(res, truth, "truth")
    np.testing.assert_allclose(sec[["df", "df_design"]], ENTERPRISES - 1)  # equal shares
    assert (res.item_weights["method"] == "pls").all()
    assert 0.92 <= rate <= 0.98, rate
    # the estimator is unbiased for the population index (bias within 3 Monte-Carlo SEs)
    err = (sec["estimate"] - truth["truth"]).groupby(truth["base"])
    assert (err.mean().abs() <= 3 * err.std() / np.sqrt(REPLICATES)).all()


def test_customer_volume_weights_keep_nominal_coverage(stacked_volumes):
    """Skewed enterprise weights: the corrected CIs cover 92-98%; the plain ones fall short."""
    frames, margins, truth = stacked_volumes
    res = compute_wave(*frames, settings=Settings(), margins=margins)
    rate, sec = coverage(res, truth, "truth")
    assert 0.92 <= rate <= 0.98, rate
    np.testing.assert_allclose(sec["df_design"], ENTERPRISES - 1)  # the publication rule's
    assert (sec["df"] <= ENTERPRISES - 1).all() and sec["df"].mean() < ENTERPRISES - 3
    plain = compute_wave(*frames, settings=Settings(small_sample=False), margins=margins)
    plain_rate, plain_sec = coverage(plain, truth, "truth")
    assert plain_rate < rate
    np.testing.assert_allclose(plain_sec["estimate"], sec["estimate"])
    assert (sec["se"] >= plain_sec["se"] * (1 - 1e-12)).all()  # unequal shares: k > 1


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
