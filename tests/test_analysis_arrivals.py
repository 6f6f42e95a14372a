"""Closed-form checks of the arrival model, the surge scan, the day cap and the shift tests."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import gammaln

from analysis.answer_shift import half_estimates, under_review, welch_test
from analysis.arrivals import CLOSED_FLOOR, expected_arrivals, peer_levels
from analysis.influence import capped_counts, day_cap_factors, improbable_day, typical_day
from analysis.link_evidence import copied_link_score, minutes_outside
from analysis.settings import Settings
from analysis.surge import nb_tail, poisson_tail, scan_bound, window_maxima

UTC = pd.Timestamp("2026-10-01", tz="UTC")


@pytest.mark.parametrize("k,mu", [(0, 2.0), (1, 0.3), (5, 2.0), (30, 4.5), (90, 0.01)])
def test_poisson_tail_matches_scipy(k, mu):
    assert poisson_tail(k, mu) == pytest.approx(stats.poisson.sf(k - 1, mu), rel=1e-10,
                                                abs=1e-300)


@pytest.mark.parametrize("k,mu,cv2", [(1, 0.5, 0.3), (8, 2.0, 1.2), (40, 5.0, 0.1)])
def test_nb_tail_matches_scipy(k, mu, cv2):
    r = 1 / cv2
    assert nb_tail(k, mu, cv2) == pytest.approx(stats.nbinom.sf(k - 1, r, r / (r + mu)),
                                                rel=1e-10)


def test_tails_reject_bad_input():
    with pytest.raises(ValueError):
        poisson_tail(3, -1.0)
    with pytest.raises(ValueError):
        nb_tail(3, 1.0, 0.0)


def test_window_maxima_equal_a_brute_force_search():
    rates = np.random.default_rng(1).gamma(1.0, 1.0, 30)
    c = np.r_[0, np.cumsum(rates)]
    for hours in (0.25, 1.0, 2.6):
        starts = np.linspace(0, 30, 30 * 400 + 1)[:-1]
        cum = np.interp(np.clip(starts + hours, 0, 30), np.arange(31), c) - np.interp(
            starts, np.arange(31), c)
        brute = pd.Series(cum).groupby(np.floor(starts).astype(int)).max().to_numpy()
        got = window_maxima(rates, hours)
        assert np.all(got >= brute - 1e-12) and np.allclose(got, brute, atol=rates.max() / 400)


def test_scan_bound_covers_the_simulated_scan_probability():
    """Homogeneous Poisson, 0.5/h over 200 h, 1 h windows: P(some window >= 6) <= B <= 2 P."""
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(4000):
        t = np.sort(rng.uniform(0, 200, rng.poisson(100)))
        hits += np.any(np.searchsorted(t, t + 1.0) - np.arange(len(t)) >= 6)
    p = hits / 4000
    bound = scan_bound(6, np.full(200, 0.5), 1.0, 1e-9)[0]
    assert p <= bound <= 2 * p + 0.01, (p, bound)


def test_peer_levels_follow_the_gamma_poisson_posterior():
    y = np.array([10.0, 20, 30, 40, 0])
    x = np.array([1.0, 1, 1, 1, 0])  # the last enterprise is new
    theta, cv2 = peer_levels(y, x, np.array(["a"] * 5), np.ones(5), drift_cv=0.0)
    m = (100 + 1) / (4 + 1 / (100 / 4))  # sector ratio with its one pseudo-response
    mu = m * x[:4]
    inv_a = np.clip(np.sum((y[:4] - mu) ** 2 - mu) / np.sum(mu ** 2), 0.02, 3)
    a = 1 / inv_a
    np.testing.assert_allclose(theta, (a + y) / (a / m + x))
    np.testing.assert_allclose(cv2, 1 / (a + y))
    assert theta[4] == pytest.approx(m)  # a new enterprise gets its peers' level


def test_without_history_the_wave_so_far_sets_the_scale_within_opening_hours():
    ents = pd.DataFrame({"enterprise_id": [1, 2], "sector": "s", "volume": [1.0, 4.0],
                         "opens_minute": [540.0, np.nan], "closes_minute": [1080.0, np.nan]})
    current = pd.DataFrame({"enterprise_id": [1] * 30 + [2] * 50,
                            "submitted_at": UTC + pd.to_timedelta(np.arange(80), unit="h")})
    model = expected_arrivals(ents, UTC, UTC + pd.Timedelta(days=7), tz="Asia/Shanghai",
                              current=current, grace=0)
    assert model.rates.to_numpy().sum() == pytest.approx(80)
    r1, r2 = model.rates[1], model.rates[2]
    assert r2.sum() / r1.sum() == pytest.approx(2 / (9 / 24 + 15 / 24 * CLOSED_FLOOR))
    local = (model.rates.index + pd.Timedelta(minutes=30)).tz_convert("Asia/Shanghai").hour
    assert set(np.round(r1[(local >= 9) & (local < 18)] / r1.max(), 9)) == {1.0}
    assert set(np.round(r1[(local < 9) | (local >= 18)] / r1.max(), 9)) == {CLOSED_FLOOR}


def test_capped_counts_water_fill_to_the_share_limit():
    c = np.r_[60, np.full(30, 2)]
    v = capped_counts(c, 5)  # t = 60 / (120/5 - 1): the day holds 5 of 120 responses' weight
    assert v.sum() == pytest.approx(120) and v[0] / 120 == pytest.approx(5 / 120)
    np.testing.assert_allclose(v[0] / v[1], (60 / 23) / 2)
    np.testing.assert_allclose(capped_counts([3, 2, 4], 5), [3, 2, 4])  # nothing above K
    # fewer than n/K active days: no level works, the active days weigh the same
    np.testing.assert_allclose(capped_counts([90, 2, 0, 8], 5), [100 / 3, 100 / 3, 0, 100 / 3])


def test_typical_day_is_scipys_trimmed_mean():
    c = np.random.default_rng(2).poisson(2.0, 31)
    assert typical_day(c) == pytest.approx(stats.trim_mean(c, 0.1))


def test_day_cap_bounds_a_packed_day_and_keeps_enterprise_totals():
    days = np.r_[np.arange(30) % 30, np.full(60, 12)]  # one a day, then 60 on day 12
    t = pd.Series(UTC + pd.to_timedelta(days * 24 + 4, unit="h"))
    ent = pd.Series([7] * 90)
    f = day_cap_factors(ent, t, tz="UTC", cap=5.0, floor=10.0)
    k = improbable_day(1.0, 30)
    assert 10 < k < 60
    assert f.mean() == pytest.approx(1.0)
    assert f[days == 12].sum() / f.sum() == pytest.approx(k / 90)
    honest = day_cap_factors(ent[:30], t[:30], tz="UTC")
    np.testing.assert_allclose(honest, 1.0)
    # the former rule (day_cv2=None): K = max(5 x 1 typical, 10) = 10 responses' worth
    former = day_cap_factors(ent, t, tz="UTC", cap=5.0, floor=10.0, day_cv2=None)
    assert former[days == 12].sum() / former.sum() == pytest.approx(10 / 90)


@pytest.mark.parametrize("typical, days, cv2", [(1.2, 31, 3.0), (5.0, 7, 1.0), (0.3, 31, 0.5)])
def test_improbable_day_is_the_gamma_poisson_quantile(typical, days, cv2):
    """Against the Poisson-Gamma mixture's pmf summed term by term (closed form)."""
    r = 1.0 / cv2
    p = typical / (typical + r)
    k = np.arange(2000)
    log_pmf = gammaln(k + r) - gammaln(r) - gammaln(k + 1) + r * np.log1p(-p) + k * np.log(p)
    cdf = np.cumsum(np.exp(log_pmf))
    expected = int(np.argmax(cdf >= 1 - 0.01 / days))
    assert improbable_day(typical, days, alpha=0.01, day_cv2=cv2) == expected
    with pytest.raises(ValueError):
        improbable_day(-1.0, days)


def test_stored_results_read_with_the_rule_they_were_computed_with():
    stored = Settings().to_dict()
    del stored["influence_cap"], stored["influence_floor"], stored["time_zone"]
    assert Settings.from_stored(stored).influence_cap is None
    before_quantile = Settings().to_dict()
    del before_quantile["influence_alpha"], before_quantile["influence_day_cv2"]
    former = Settings.from_stored(before_quantile)
    assert former.influence_cap == 5.0 and former.influence_day_cv2 is None
    assert Settings.from_stored(Settings().to_dict()) == Settings()
    # a wave's configuration takes today's defaults for what it leaves out
    configured = Settings.from_dict({"design": "census"})
    assert configured.influence_day_cv2 == Settings().influence_day_cv2
    assert Settings.from_dict({}).influence_cap == Settings().influence_cap
    with pytest.raises(ValueError):
        Settings(influence_cap=-1.0)


def test_welch_test_matches_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(80, 10, 25), rng.normal(70, 20, 60)
    ref = stats.ttest_ind(a, b, equal_var=False)
    got = welch_test(a, b)
    assert got["t"] == pytest.approx(ref.statistic) and got["p_value"] == pytest.approx(ref.pvalue)
    with pytest.raises(ValueError):
        welch_test([1.0], b)


@pytest.mark.parametrize("jump,early,late,surge,indep,indep_n,recorded,review,halves", [
    # both halves show it and no surge, but nothing independent: under review (hint only)
    (12.0, 86.0, 86.0, False, np.nan, 0, False, True, True),
    (12.0, 86.0, 76.5, False, np.nan, 0, False, True, False),  # only one half
    (12.0, 86.0, 86.0, False, 83.0, 6, False, False, True),  # the field sample moved 7 of 12
    (12.0, 86.0, 86.0, False, 80.0, 6, False, True, True),  # it moved 4 of 12: not enough
    (12.0, 86.0, 86.0, False, 88.0, 4, False, True, True),  # too few independent responses
    (-12.0, 64.0, 64.0, False, 68.0, 8, False, False, True),  # a fall, shown by the field
    (-12.0, 64.0, 64.0, False, 84.0, 8, False, True, True),  # field moved the other way
    (12.0, 76.0, 76.0, True, np.nan, 0, True, False, False),  # an inspection record
    (4.0, 80.0, 80.0, True, np.nan, 0, False, False, False),  # below min_jump: no jump at all
])
def test_under_review_needs_independent_evidence(jump, early, late, surge, indep, indep_n,
                                                 recorded, review, halves):
    prev = pd.DataFrame({"enterprise_id": [1], "estimate": [76.0], "se": [1.0]})
    cur = pd.DataFrame({"enterprise_id": [1], "estimate": [76.0 + jump], "se": [1.0],
                        "early": [early], "late": [late], "surge": [surge],
                        "independent": [indep], "independent_n": [indep_n],
                        "corroborated": [recorded]})
    out = under_review(cur, prev).iloc[0]
    assert bool(out["under_review"]) is review and bool(out["halves"]) is halves


def test_half_estimates_split_at_the_weighted_median_time():
    t = pd.Series(UTC + pd.to_timedelta(np.arange(4), unit="D"))
    out = half_estimates(pd.Series([10.0, 20, 30, 50]), [1, 1, 1, 1], pd.Series([1] * 4), t)
    assert out.loc[0, "early"] == pytest.approx(15) and out.loc[0, "late"] == pytest.approx(40)


@pytest.mark.parametrize("minute,extra,score", [
    (600, {}, 0),  # inside the hours
    (1080 + 150, {}, 1),  # beyond the two-hour grace
    (120, {}, 2),  # 2:00, far from 9:00-18:00
    (120, {"reprinted_at": UTC - pd.Timedelta(hours=3)}, 3),
    (600, {"generation": 1, "current_generation": 2,
           "rotated_at": UTC - pd.Timedelta(hours=1)}, 3),
])
def test_copied_link_points(minute, extra, score):
    frame = pd.DataFrame({"submitted_at": [UTC], "local_minute": [minute],
                          "opens_minute": [540.0], "closes_minute": [1080.0], **extra})
    out = copied_link_score(frame)
    assert out["score"].iloc[0] == score and out["copied_link"].iloc[0] == (score >= 3)


def test_minutes_outside_handles_hours_past_midnight():
    np.testing.assert_allclose(minutes_outside([1400, 200, 600], [1200] * 3, [120] * 3),
                               [0, 80, 600 - 120])
