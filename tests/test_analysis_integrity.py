"""The identity-free defences on simulated waves: attacks held, honest answers kept, and the
day cap's effect on honest indices and on CI coverage."""

import numpy as np
import pandas as pd
import pytest

from analysis import Settings, compute_wave
from analysis.arrival_sim import attack, defended, place_times, simulate_wave, targets, with_fakes
from tests.test_analysis_coverage import VOLUME_SIGMA, coverage, simulate_stacked


def estimates(result, level):
    return getattr(result, level).set_index("unit")["estimate"]


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_patient_attack_is_held_and_moves_nothing(seed):
    """90 high fakes to a below-target enterprise and 45 low ones to a competitor, each
    paced over four minutes on top of an honest wave."""
    sim = simulate_wave(seed)
    _, honest = defended(sim, sim.responses, screen=False)
    up, down = targets(sim, honest)
    rng = np.random.default_rng(seed)
    at = sim.start + pd.Timedelta(days=12, hours=3)
    r = with_fakes(sim, attack(sim, up, 90, at, pd.Timedelta(minutes=4), True, rng),
                   attack(sim, down, 45, at + pd.Timedelta(seconds=40),
                          pd.Timedelta(minutes=4), False, rng))
    held, res = defended(sim, r)
    assert held[r["fake"]].mean() >= 0.9
    _, naive = defended(sim, r, screen=False, settings=Settings(influence_cap=None))
    sector = sim.enterprises.set_index("enterprise_id")["sector"]
    for e in (up, down):
        assert abs(estimates(naive, "enterprises")[e] - estimates(honest, "enterprises")[e]) > 5
        assert abs(estimates(res, "enterprises")[e] - estimates(honest, "enterprises")[e]) < 2
        s = sector[e]
        assert abs(estimates(res, "sectors")[s] - estimates(honest, "sectors")[s]) < 0.5


def test_slow_attack_over_a_week_is_held():
    sim = simulate_wave(2)
    rng = np.random.default_rng(9)
    fakes = attack(sim, 3, 300, sim.start + pd.Timedelta(days=8), pd.Timedelta(days=7), True,
                   rng)
    r = with_fakes(sim, fakes)
    held, _ = defended(sim, r)
    assert held[r["fake"]].mean() >= 0.9


def test_honest_waves_with_promotions_keep_99_percent_of_answers():
    held = [defended(sim, sim.responses)[0] for sim in map(simulate_wave, range(20, 28))]
    share = pd.concat(held).mean()
    assert share <= 0.01, share


def test_day_cap_changes_honest_indices_by_less_than_a_tenth():
    """The worst case over ten honest waves (promotion days, groups), other seeds than the
    bench's, at every level."""
    for seed in range(40, 50):
        sim = simulate_wave(seed)
        frames = (sim.responses, sim.enterprises, sim.sectors, sim.categories, sim.models)
        on = compute_wave(*frames)
        off = compute_wave(*frames, settings=Settings(influence_cap=None))
        for level in ("enterprises", "sectors", "categories"):
            change = (estimates(on, level) - estimates(off, level)).abs()
            assert change.max() < 0.1, (seed, level, change.max())


@pytest.mark.slow
def test_day_cap_keeps_ci_coverage_on_a_week_long_wave():
    """Coverage of the stacked samples of test_analysis_coverage, answered over 7 days with
    promotion days, so that the cap binds on some days: 92-98% of 300 CIs."""
    rng = np.random.default_rng(20240603)
    frames, margins, truth = simulate_stacked(rng, replicates=150, volume_sigma=VOLUME_SIGMA)
    r, e, s, c, m = frames
    e = e.assign(opens_minute=600.0, closes_minute=1320.0)
    start = pd.Timestamp("2026-10-01", tz="Asia/Shanghai").tz_convert("UTC")
    r = r.assign(submitted_at=place_times(r["enterprise_id"], e, start, 7, rng))
    res = compute_wave(r, e, s, c, m, margins=margins)
    rate, _ = coverage(res, truth, "truth")
    assert 0.92 <= rate <= 0.98, rate
