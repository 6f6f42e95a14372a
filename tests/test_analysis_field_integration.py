"""Data-integration estimators against closed forms, and the simulated-truth check."""

import numpy as np
import pandas as pd
import pytest

from analysis import field_sim as fs
from analysis import integration as ig

RNG = np.random.default_rng(0)


def frame():
    return pd.DataFrame({"enterprise_id": ["a", "b", "c", "d", "e", "f"],
                         "sector": ["S"] * 3 + ["T"] * 3,
                         "volume": [10.0, 30.0, 60.0, 20.0, 20.0, 60.0]})


def one_per_enterprise(y):
    f = frame()
    return f.assign(slot="Mon 09:00", weight=1.0, score=y)


def test_field_index_equal_weights_is_plain_mean_and_se():
    y = np.array([70.0, 80.0, 96.0, 50.0, 60.0, 88.0])
    out = ig.field_index(one_per_enterprise(y))
    for s, part in (("S", y[:3]), ("T", y[3:])):
        assert out.loc[s, "estimate"] == pytest.approx(part.mean())
        assert out.loc[s, "se"] == pytest.approx(part.std(ddof=1) / np.sqrt(3))
        assert out.loc[s, "df"] == 2


def test_qr_index_is_volume_weighted_with_census_variance():
    qr = pd.DataFrame({"enterprise_id": list("aaabbbbcc"), "sector": "S",
                       "score": [60.0, 70, 80, 90, 85, 95, 75, 50, 70]})
    out = ig.qr_index(qr, frame()).loc["S"]
    g = qr.groupby("enterprise_id")["score"]
    a = pd.Series({"a": 0.1, "b": 0.3, "c": 0.6})
    assert out["estimate"] == pytest.approx((a * g.mean()).sum())
    assert out["se"] == pytest.approx(np.sqrt((a ** 2 * g.var() / g.count()).sum()))
    ent = ig.qr_index(qr, frame(), level="enterprise")
    assert ent.loc["b", "se"] == pytest.approx(g.std()["b"] / 2)


@pytest.mark.parametrize(("va", "vb", "b2", "c", "expected"), [
    (4.0, 1.0, 0.0, 0.0, 0.2), (4.0, 1.0, 3.0, 0.0, 0.5), (1.0, 1.0, 0.0, 0.5, 0.5),
    (2.0, 3.0, 0.0, 1.0, 2 / 3), (0.0, 5.0, 1.0, 0.0, 1.0),
])
def test_composite_weight_closed_form(va, vb, b2, c, expected):
    assert ig.composite_weight(va, vb, b2, c) == pytest.approx(expected)
    # the weight minimises the MSE lam^2 Va + (1-lam)^2 (Vb + b2) + 2 lam (1-lam) C
    grid = np.linspace(0, 1, 10001)
    mse = grid ** 2 * va + (1 - grid) ** 2 * (vb + b2) + 2 * grid * (1 - grid) * c
    assert grid[mse.argmin()] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("args", [(-1.0, 1.0), (1.0, 1.0, -1.0), (1.0, 1.0, 0.0, 1.0)])
def test_composite_weight_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ig.composite_weight(*args)


def test_greg_slope_matches_weighted_least_squares_with_sector_dummies():
    n = 40
    s = np.repeat(["S", "T"], n // 2)
    x = RNG.normal(70, 5, n)
    y = 10 + 0.7 * x + (s == "T") * 3 + RNG.normal(0, 2, n)
    w = RNG.uniform(0.5, 2, n)
    design = np.column_stack([s == "S", s == "T", x]).astype(float)
    coef = np.linalg.lstsq(design * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    assert ig.greg_slope(y, x, s, w) == pytest.approx(coef[2])
    assert ig.greg_slope(y, np.r_[np.full(20, 1.0), np.full(20, 2.0)], s, w) == 0


def test_combined_index_is_the_regression_estimator():
    pop = fs.population(1, per_sector=20)
    field, qr = fs.draw(pop, 5)
    out = ig.combined_index(field, qr, pop)
    b = out.attrs["slope"]
    x = ig.auxiliary(qr, pop)["x"]
    for s, f in field.groupby("sector"):
        w = f["weight"]
        ybar = (w * f["score"]).sum() / w.sum()
        xbar_f = (w * f["enterprise_id"].map(x)).sum() / w.sum()
        p = pop[pop["sector"] == s]
        xbar = (p["volume"] * p["enterprise_id"].map(x)).sum() / p["volume"].sum()
        assert out.loc[s, "estimate"] == pytest.approx(ybar + b * (xbar - xbar_f))
    assert 0 < b < 1.5


def test_combined_index_without_qr_variation_is_the_field_index():
    pop = fs.population(2, per_sector=20)
    field, qr = fs.draw(pop, 1)
    flat = qr.assign(score=qr["sector"].map({"S1": 70.0, "S2": 75.0, "S3": 80.0, "S4": 85.0}))
    comb, fld = ig.combined_index(field, flat, pop), ig.field_index(field)
    assert comb.attrs["slope"] == 0
    pd.testing.assert_frame_equal(comb[["estimate", "se", "df"]], fld[["estimate", "se", "df"]])


def test_auxiliary_prefers_enough_verified_rows_then_qr_then_sector_mean():
    qr = pd.DataFrame({"enterprise_id": ["a"] * 6 + ["b"] * 4 + ["d"] * 2, "sector": "S",
                       "score": [50.0] * 5 + [80.0] + [60.0] * 3 + [90.0] + [70.0, 70.0],
                       "verified": [True] * 5 + [False] + [False] * 3 + [True] * 3})
    qr.loc[qr["enterprise_id"] == "d", "sector"] = "T"
    aux = ig.auxiliary(qr, frame())
    assert aux.loc["a"].tolist() == [50.0, 5]  # five verified rows
    assert aux.loc["b"].tolist() == [67.5, 4]  # one verified row only: the QR mean
    assert aux.loc["c", "x"] == pytest.approx((50 + 67.5) / 2) and aux.loc["c", "n"] == 0


def test_combined_enterprises_composite_parts_are_consistent():
    pop = fs.population(3, per_sector=20)
    field, qr = fs.draw(pop, 2)
    out = ig.combined_enterprises(field, qr, pop)
    sampled = out["field"].notna()
    assert sampled.sum() == 48 and out["gamma"].between(0, 1).all()
    assert (out.loc[~sampled, "gamma"] == 0).all()
    expected = out["gamma"] * out["field"].fillna(0) + (1 - out["gamma"]) * out["model"]
    assert np.allclose(out["estimate"], expected)
    lam = ig.composite_weight(out.loc[sampled, "psi"], 0.0, out.loc[sampled, "model_mse"])
    assert np.allclose(out.loc[sampled, "gamma"], lam)


def test_gap_uses_summed_variances_welch_df_and_flags_significant_excess():
    qr_est = pd.DataFrame({"estimate": [85.0, 80.0], "se": [1.0, 1.0], "df": [50.0, 50.0]},
                          index=["S", "T"])
    field_est = pd.DataFrame({"estimate": [78.0, 79.0], "se": [2.0, 2.0], "df": [9.0, 9.0]},
                             index=["S", "T"])
    out = ig.qr_field_gap(qr_est, field_est)
    assert out.loc["S", "gap"] == 7 and out.loc["S", "se"] == pytest.approx(np.sqrt(5))
    assert out.loc["S", "df"] == pytest.approx(25 / (1 / 50 + 16 / 9))
    assert out["flag"].tolist() == [True, False]


def test_receipt_rates_per_batch():
    batches = pd.DataFrame({"batch_id": [1, 2, 3], "enterprise_id": ["a", "a", "b"],
                            "wave_id": "W", "issued": [100, 50, 200]})
    out = ig.receipt_rates(batches, pd.DataFrame({"batch_id": [1] * 20 + [3] * 5}))
    assert out["used"].tolist() == [20, 0, 5] and out["rate"].tolist() == [0.2, 0.0, 0.025]
    with pytest.raises(ValueError, match="unknown batches"):
        ig.receipt_rates(batches, pd.DataFrame({"batch_id": [9]}))
    with pytest.raises(ValueError, match="positive issued"):
        ig.receipt_rates(batches.assign(issued=0), pd.DataFrame({"batch_id": [1]}))


def test_solicitation_report_flags_low_rate_with_high_scores():
    ents = pd.DataFrame({"enterprise_id": list("abcdefg"), "sector": "S"})
    rate = [0.15, 0.16, 0.14, 0.15, 0.17, 0.13, 0.05]
    rates = pd.DataFrame({"batch_id": range(7), "enterprise_id": list("abcdefg"),
                          "wave_id": "W", "issued": 1000, "used": [int(r * 1000) for r in rate]})
    score = [78.0, 80.0, 79.0, 81.0, 77.0, 80.0, 95.0]
    verified = pd.DataFrame({"enterprise_id": list("abcdefg"), "score": score})
    out = ig.solicitation_report(rates, verified, ents)
    assert out["flag"].tolist() == [False] * 6 + [True]
    peers = np.array(score[:6])
    assert out.loc["g", "z_score"] == pytest.approx((95 - peers.mean()) / peers.std(ddof=1))
    peers_r = np.array(rate[1:])
    assert out.loc["a", "z_rate"] == pytest.approx((0.15 - peers_r.mean()) / peers_r.std(ddof=1))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_methodology_paragraph_cites_the_method(lang):
    text = ig.integration_methodology(lang)
    assert "GREG" in text and "2021" in text and "Valliant" in text


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="level"):
        ig.field_index(one_per_enterprise(np.ones(6)), level="district")
    with pytest.raises(ValueError, match="lacks columns"):
        ig.field_index(one_per_enterprise(np.ones(6)).drop(columns="weight"))
    with pytest.raises(ValueError, match="not in the frame"):
        ig.qr_index(pd.DataFrame({"enterprise_id": ["zz"], "sector": ["S"], "score": [1.0]}),
                    frame())
    with pytest.raises(ValueError, match="lang"):
        ig.integration_methodology("fr")


def test_simulated_truth_combined_unbiased_and_covers_qr_only_biased():
    table = fs.simulation_table(replicates=120, seed=0)
    comb, qr = table.loc["combined"], table.loc["QR only"]
    assert comb["max_abs_bias"] < 1.0
    assert 0.92 <= comb["coverage"] <= 0.98
    assert qr["bias"] > 3.0 and qr["coverage"] < 0.5
    assert comb["rmse"] <= table.loc["field only", "rmse"] * 1.05
