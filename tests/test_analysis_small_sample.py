"""The small-sample variance correction against closed forms and a Monte-Carlo reference."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from analysis import design as dsg
from analysis.small_sample import (
    critical_value,
    df_of_quantile,
    domain_parts,
    share_moments,
    unit_factors,
)


@pytest.mark.parametrize("m", [2, 5, 10, 40])
def test_trace_matches_the_dense_matrix(m):
    p = np.random.default_rng(m).lognormal(0, 0.8, m)
    p /= p.sum()
    b = np.diag(p) - np.outer(p, p)
    s2, tr_a = share_moments(p)
    assert s2 == pytest.approx(float(p @ p), rel=1e-12)
    assert tr_a == pytest.approx(np.trace(b.T @ b), rel=1e-12)


def test_equal_shares_leave_the_variance_alone():
    parts = domain_parts(np.full(8, 1 / 8), np.zeros(8, int), np.zeros(8, int),
                         np.array([8.0]), 1)
    assert unit_factors(sparse.identity(1, format="csr"), parts) == pytest.approx([1.0])


def test_corrected_variance_is_unbiased_under_the_working_model():
    """E[k v] = Var(sum p_g ybar_g) when PSU means are iid (Monte-Carlo, 40,000 draws)."""
    rng = np.random.default_rng(5)
    m, sigma = 10, 2.0
    p = rng.lognormal(0, 0.8, m)
    p /= p.sum()
    truth = sigma**2 * float(p @ p)
    e = rng.normal(0, sigma, (40_000, m))
    resid = e - (e @ p)[:, None]
    v_plain = m / (m - 1) * ((p * resid) ** 2).sum(axis=1)
    parts = domain_parts(p, np.zeros(m, int), np.zeros(m, int), np.array([float(m)]), 1)
    k = unit_factors(sparse.identity(1, format="csr"), parts)[0]
    assert k > 1.05
    assert v_plain.mean() < 0.95 * truth  # the plain estimator is biased down
    assert k * v_plain.mean() == pytest.approx(truth, rel=0.02)


def test_domain_composites_apply_it_per_sector():
    """One respondent per enterprise: the sector SE is the corrected PSU formula."""
    rng = np.random.default_rng(3)
    w = rng.lognormal(0, 0.8, 12)
    y = rng.normal(80, 5, 12)
    sector = np.repeat([0, 1], 6)
    d = dsg.prepare_design(w, strata=sector, psu=np.arange(12))
    plain = dsg.domain_composites(d, y, sector)
    fixed = dsg.domain_composites(d, y, sector, small_sample=True)
    for s in (0, 1):
        p = w[sector == s] / w[sector == s].sum()
        s2, tr_a = share_moments(p)
        k = s2 / (6 / 5 * tr_a)
        assert fixed.loc[s, "se"] == pytest.approx(plain.loc[s, "se"] * np.sqrt(k), rel=1e-12)
        ybar = float(p @ y[sector == s])
        by_hand = 6 / 5 * float(((p * (y[sector == s] - ybar)) ** 2).sum())
        assert plain.loc[s, "se"] == pytest.approx(np.sqrt(by_hand), rel=1e-12)
    np.testing.assert_array_equal(fixed["df_design"], plain["df"])
    assert (fixed["df"] <= plain["df"]).all()
    pd.testing.assert_series_equal(fixed["estimate"], plain["estimate"])


@pytest.mark.parametrize("m", [3, 10])
def test_equal_shares_give_students_t_on_m_minus_1(m):
    """The studentised mean of m iid normals is exactly t(m - 1) (closed form)."""
    q = critical_value(np.full(m, 1.0), 0.95, draws=200_000, seed=1)
    assert q == pytest.approx(stats.t.ppf(0.975, m - 1), rel=0.01)


def test_quantile_inverts_to_degrees_of_freedom():
    assert df_of_quantile(stats.t.ppf(0.975, 4.5), 0.95, 9) == pytest.approx(4.5, rel=1e-5)
    assert df_of_quantile(1.0, 0.95, 9) == 9  # lighter tails than t(9): capped
    assert df_of_quantile(50.0, 0.95, 9) == 1.0
