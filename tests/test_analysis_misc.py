"""Scoring, AHP, verdicts, Holm, shrinkage, quadrants, settings and methodology text."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import (
    Settings,
    ahp_weights,
    holm,
    methodology_text,
    publication_flags,
    quadrants,
    rescale_items,
    respondent_scores,
    shrink,
    target_verdicts,
)
from analysis.ahp import RANDOM_INDEX
from analysis.diagnostics import composite_reliability, cronbach_alpha


def test_rescale_uses_declared_scale_and_reverse_keying():
    df = pd.DataFrame({"a": [1.0, 4.0, 10.0], "r": [1.0, 5.0, 5.0]})
    out = rescale_items(df, {"a": (1, 10), "r": (1, 5)}, reverse=["r"])
    assert out["a"].tolist() == pytest.approx([0.0, 100 / 3, 100.0])
    assert out["r"].tolist() == pytest.approx([100.0, 0.0, 0.0])


def test_rescale_rejects_values_outside_the_scale():
    with pytest.raises(ValueError, match="outside its declared scale"):
        rescale_items(pd.DataFrame({"a": [11.0]}), {"a": (1, 10)})


@pytest.mark.parametrize("answered, expected", [
    ([10.0, 10.0, None], 100.0),  # 2 of 3 answered: weights renormalised
    ([10.0, None, None], None),  # 1 of 3: below two-thirds, missing
    ([1.0, 10.0, 10.0], 75.0),
])
def test_construct_score_renormalises_over_answered_items(answered, expected):
    df = pd.DataFrame([answered], columns=["x", "y", "z"], dtype=float)
    got = respondent_scores(df, {"c": ["x", "y", "z"]}, {"x": 0.25, "y": 0.25, "z": 0.5},
                            {k: (1, 10) for k in "xyz"})["c"].iloc[0]
    assert (np.isnan(got) if expected is None else got == pytest.approx(expected))


def test_not_applicable_is_missing_never_zero():
    df = pd.DataFrame({"x": [10.0, np.nan], "y": [10.0, 10.0]})
    got = respondent_scores(df, {"c": ["x", "y"]}, {"x": 0.5, "y": 0.5},
                            {"x": (1, 10), "y": (1, 10)}, min_share=0.5)
    assert got["c"].tolist() == [100.0, 100.0]


# Saaty, T. L. (2008), "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1), 83-98: "Which drink is consumed more in the U.S.?", judgements of 30
# participants. Published derived scale .177 .019 .042 .116 .190 .129 .327 and C.R. 0.022
# (also reproduced by the AHPy package's README and tests: test_drinks_weights_*_saaty,
# test_drinks_cr_saaty).
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINK_JUDGEMENTS = [  # upper triangle, row by row
    [9, 5, 2, 1, 1, 1 / 2],
    [1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 1, 1 / 3],
    [2, 1 / 2],
    [1 / 3],
]


def test_ahp_reproduces_saatys_drink_consumption_example():
    a = np.eye(len(DRINKS))
    for i, row in enumerate(DRINK_JUDGEMENTS):
        for k, v in enumerate(row, start=i + 1):
            a[i, k], a[k, i] = v, 1 / v
    got = ahp_weights(a, DRINKS)
    assert got.weights.round(3).tolist() == [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    assert round(got.cr, 3) == 0.022
    assert got.ci == pytest.approx((got.lambda_max - 7) / 6)
    assert got.cr == pytest.approx(got.ci / 1.32)  # RI_7 of Saaty's table


def test_saaty_random_index_table():
    """RI_n for n = 1..10 as tabulated by Saaty (1980) from 500 random reciprocal matrices."""
    assert [RANDOM_INDEX[n] for n in range(1, 11)] == [
        0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


def test_ahp_consistent_matrix_returns_its_ratios():
    w = np.array([0.5, 0.3, 0.15, 0.05])
    got = ahp_weights(np.outer(w, 1 / w))
    np.testing.assert_allclose(got.weights, w, rtol=1e-12)
    assert got.cr == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("matrix, message", [
    ([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], "inconsistent"),
    ([[1, 2], [2, 1]], "reciprocal"),
    ([[1, 2, 3]], "square"),
])
def test_ahp_rejects_bad_matrices(matrix, message):
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix)


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    got = holm(p)
    order = np.argsort(p[:4])
    m = 4
    expected = np.maximum.accumulate([min(1, (m - i) * p[order[i]]) for i in range(m)])
    np.testing.assert_allclose(got[order], expected)
    assert np.isnan(got[4])


def test_verdict_bounds_use_the_t_quantile_at_the_verdict_level():
    table = pd.DataFrame({"estimate": [86.5], "se": [0.8], "df": [12.0]})
    got = target_verdicts(table, 85.0, level=0.90).iloc[0]
    q = stats.t.ppf(0.95, 12)
    assert got.verdict_low == pytest.approx(86.5 - q * 0.8)
    assert got.verdict == ("met" if 86.5 - q * 0.8 >= 85 else "not_different")
    assert got.p_one_sided == pytest.approx(stats.t.sf(1.5 / 0.8, 12))
    assert got.verdict_zh in ("达标", "与目标无显著差异")


def test_publication_rule_thresholds_are_settings():
    t = pd.DataFrame({"n_eff": [29.0, 31.0, 31.0], "df": [20.0, 7.0, 8.0],
                      "ci_low": [70.0, 70.0, 70.0], "ci_high": [80.0, 80.0, 80.0]})
    assert publication_flags(t)["insufficient"].tolist() == [True, True, False]
    assert publication_flags(t, min_n_eff=20, min_df=5)["insufficient"].tolist() == [
        False, False, False]


def test_shrinkage_moves_imprecise_estimates_more():
    est, se = np.array([60.0, 90.0, 75.0, 80.0]), np.array([10.0, 1.0, 1.0, 1.0])
    shrunk, mu, tau2 = shrink(est, se)
    assert abs(shrunk[0] - est[0]) > abs(shrunk[1] - est[1])
    assert tau2 > 0 and shrunk[0] == pytest.approx(mu + tau2 / (tau2 + 100) * (60 - mu))


@pytest.mark.parametrize("split, expected", [
    ("mean", ["strength", "fix_first", "opportunity", "maintain"]),
    ("midpoint", ["strength", "strength", "maintain", "maintain"]),
])
def test_quadrant_split(split, expected):
    pts = pd.DataFrame({"importance": [0.5, 0.4, 0.1, 0.2],
                        "performance": [90.0, 60.0, 60.0, 90.0]})
    assert quadrants(pts, split=split)["quadrant"].tolist() == expected


def test_reliability_closed_forms():
    assert composite_reliability([0.7, 0.7]) == pytest.approx(1.96 / (1.96 + 1.02))
    x = np.random.default_rng(0).normal(size=(200, 1))
    items = pd.DataFrame(np.hstack([x, x]), columns=["a", "b"])
    assert cronbach_alpha(items) == pytest.approx(1.0)


def test_settings_round_trip_and_validation():
    s = Settings(scheme="centroid", trim_bounds=(0.5, 2.0), bootstrap=0)
    assert Settings.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="design"):
        Settings(design="panel")
    with pytest.raises(ValueError, match="bootstrap"):
        Settings(bootstrap=100)
    with pytest.raises(ValueError, match="unknown settings"):
        Settings.from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="census"):
        Settings(design="census", bootstrap_scheme="rao_wu")
    with pytest.raises(ValueError, match="bootstrap_scheme"):
        Settings(bootstrap_scheme="jackknife")


@pytest.mark.parametrize("design, scheme, resolved", [
    ("sample", "by_design", "rao_wu"), ("census", "by_design", "respondents"),
    ("sample", "respondents", "respondents"), ("sample", "rao_wu", "rao_wu")])
def test_bootstrap_scheme_follows_the_design(design, scheme, resolved):
    assert Settings(design=design, bootstrap_scheme=scheme).resolved_bootstrap_scheme == resolved


def test_stored_settings_without_the_bootstrap_scheme_still_load():
    stored = Settings(bootstrap=500).to_dict()
    del stored["bootstrap_scheme"]
    assert Settings.from_dict(stored) == Settings(bootstrap=500)


@pytest.mark.parametrize("lang, fragment", [("zh_CN", "路径"), ("en", "path weighting")])
def test_methodology_text_follows_settings(lang, fragment):
    text = methodology_text(Settings(), lang)
    assert fragment in text and "0.9" not in text.split("\n")[0]
    assert ("90%" in text) and ("30" in text)


@pytest.mark.parametrize("settings, present, absent", [
    (Settings(trim_bounds=None), [", not trimmed"], ["None", "bootstrap"]),
    (Settings(bootstrap=500, seed=7), ["500 replicates, seed 7", "Rao-Wu", "r n/(n-1)"],
     ["percentile intervals (this"]),
    (Settings(bootstrap=500, design="census"), ["within each enterprise and reports"],
     ["Rao-Wu"]),
    (Settings(), ["marked tied, with no ranks", "divisor N"], ["bootstrap"]),
    (Settings(frozen_weights={"S00": {"x": 1.0}}),
     ["frozen from an earlier wave, so that waves stay comparable: S00"], []),
    (Settings(weights_pooled_by="category"), ["pooled sample of each category"], []),
    (Settings(min_answered_share=0.5), ["fewer than 50% were answered"], ["two-thirds"]),
    (Settings(include_quarantined=True), ["quality checks are included"], []),
])
def test_methodology_text_describes_the_settings_used(settings, present, absent):
    text = methodology_text(settings, "en")
    for fragment in present:
        assert fragment in text
    for fragment in absent:
        assert fragment not in text
    assert "{" not in methodology_text(settings, "zh_CN")
