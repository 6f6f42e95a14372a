"""Design-based means, SEs and weights against R's survey package and closed forms."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design_frame import survey_composite, survey_mean
from analysis.weighting import kish_neff, poststratify, rake, trim_weights

REFERENCE = Path(__file__).parent / "reference" / "survey_reference.R"
RSCRIPT = shutil.which("Rscript")
POP_A = {"a1": 3000.0, "a2": 5000.0, "a3": 2000.0}
POP_B = {"b1": 4500.0, "b2": 5500.0}


def make_sample(seed=3, n=600):
    """A stratified cluster sample with domains, margins and 5% missing y."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"stratum": rng.integers(0, 4, n), "psu": rng.integers(0, 6, n)})
    d["y"] = rng.normal(50, 10, n) + d.stratum * 3 + d.psu
    d.loc[rng.random(n) < 0.05, "y"] = np.nan
    d["w"] = rng.uniform(1, 3, n)
    d["Nh"] = d.stratum.map({0: 40, 1: 30, 2: 25, 3: 60})
    d["dom"] = rng.choice(["d1", "d2", "d3"], n)
    d["a"] = rng.choice(["a1", "a2", "a3"], n, p=[0.3, 0.5, 0.2])
    d["b"] = rng.choice(["b1", "b2"], n)
    d["g"] = np.where(d.stratum < 2, "g1", "g2")
    d["sa"] = d.g + "_" + d.a
    d["sb"] = d.g + "_" + d.b
    return d


@pytest.fixture(scope="module")
def r_reference(tmp_path_factory):
    """Run tests/reference/survey_reference.R on the generated sample."""
    if RSCRIPT is None:
        pytest.skip("Rscript not installed (apt-get install r-base-core r-cran-survey)")
    tmp = tmp_path_factory.mktemp("r")
    data = make_sample()
    data.to_csv(tmp / "data.csv", index=False)
    subprocess.run([RSCRIPT, str(REFERENCE), str(tmp / "data.csv"), str(tmp / "out.csv")],
                   check=True, capture_output=True, timeout=120)
    read = lambda name: pd.read_csv(tmp / name)  # noqa: E731
    margins = read("out_rg_margins.csv")
    data["w_ps"] = read("out_ps_w.csv")["w"]
    data["w_rake"] = read("out_rake_w.csv")["w"]
    data["w_rg"] = read("out_rg_w.csv")["w"]
    data["w_srs"] = read("out_srs_w.csv")["w"]
    group_margins = {c: dict(zip(g.lev, g.Freq, strict=True)) for c, g in margins.groupby("col")}
    return data, read("out.csv"), group_margins


DESIGNS = {
    "srs": dict(weight="w"),
    "strat_clus": dict(weight="w", strata="stratum", psu="psu"),
    "fpc": dict(weight="w", strata="stratum", psu="psu", fpc="Nh"),
    "poststrat": dict(weight="w_ps", strata="stratum", psu="psu", calibrate=["a"],
                      base_weight="w"),
    "calibrate_raking": dict(weight="w_rake", strata="stratum", psu="psu",
                             calibrate=["a", "b"], base_weight="w"),
    "rake_groups": dict(weight="w_rg", strata="stratum", psu="psu", calibrate=["a", "b"],
                        base_weight="w", calibration_group="g"),
    "cal_srs": dict(weight="w_srs", calibrate=["a", "b"], base_weight="w"),
}
COMPOSITE_CASES = ["strat_clus", "calibrate_raking", "rake_groups", "cal_srs"]


@pytest.mark.parametrize("case", list(DESIGNS))
def test_survey_mean_matches_r_survey(r_reference, case):
    data, ref, _ = r_reference
    ref = ref[ref.case == case].set_index("group")
    whole = survey_mean(data, "y", **DESIGNS[case]).iloc[0]
    domains = survey_mean(data, "y", by="dom", **DESIGNS[case])
    np.testing.assert_allclose(whole[["estimate", "se"]].to_numpy(float),
                               ref.loc["all", ["estimate", "se"]].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(domains[["estimate", "se"]].to_numpy(float),
                               ref.loc[domains.index, ["estimate", "se"]].to_numpy(float),
                               rtol=1e-9)


@pytest.mark.parametrize("case", COMPOSITE_CASES)
def test_composite_matches_r_svycontrast(r_reference, case):
    data, ref, _ = r_reference
    ref = ref[ref.case == f"{case}_composite"].iloc[0]
    coef = pd.DataFrame({"d1": [0.2], "d2": [0.3], "d3": [0.5]})
    got = survey_composite(data, "y", coef, by="dom", **DESIGNS[case]).iloc[0]
    assert got.estimate == pytest.approx(ref.estimate, rel=1e-9)
    assert got.se == pytest.approx(ref.se, rel=1e-9)


def test_design_degrees_of_freedom_match_r_degf(r_reference):
    data, ref, _ = r_reference
    degf = ref.loc[ref.case == "strat_clus_degf", "estimate"].iloc[0]
    assert survey_mean(data, "y", **DESIGNS["strat_clus"])["df"].iloc[0] == degf


def test_rake_and_poststratify_weights_match_r(r_reference):
    data, _, group_margins = r_reference
    raked = rake(data, {"a": POP_A, "b": POP_B}, weight="w")
    np.testing.assert_allclose(raked, data.w_rake, rtol=1e-6)
    np.testing.assert_allclose(rake(data, group_margins, weight="w"), data.w_rg, rtol=1e-6)
    np.testing.assert_allclose(poststratify(data, "a", POP_A, weight="w"), data.w_ps,
                               rtol=1e-12)


def test_rake_meets_margins_to_tolerance():
    data = make_sample()
    w = rake(data, {"a": POP_A, "b": POP_B})
    for col, pop in (("a", POP_A), ("b", POP_B)):
        got = w.groupby(data[col]).sum()
        np.testing.assert_allclose(got[list(pop)], list(pop.values()), rtol=1e-10)


@pytest.mark.parametrize("margins, message", [
    ({"a": {"a1": 1.0, "a2": 1.0, "a3": 1.0, "a4": 1.0}}, "empty cell"),
    ({"a": {"a1": 1.0, "a2": 1.0}}, "without a population total"),
    ({"nope": {"x": 1.0}}, "not in data"),
    ({"a": {"a1": -1.0, "a2": 1.0, "a3": 1.0}}, "positive"),
])
def test_rake_rejects_bad_margins(margins, message):
    with pytest.raises(ValueError, match=message):
        rake(make_sample(), margins)


def test_rake_reports_non_convergence():
    data = pd.DataFrame({"s": ["m", "f", "f", "f"], "a": ["y", "y", "o", "o"]})
    with pytest.raises(ValueError, match="did not converge"):
        rake(data, {"s": {"m": 50, "f": 50}, "a": {"y": 40, "o": 60}})


def test_srs_se_is_s_over_root_n():
    y = np.random.default_rng(5).normal(size=500)
    got = survey_mean(pd.DataFrame({"y": y}), "y").iloc[0]
    assert got.se == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)), rel=1e-12)
    assert got.df == len(y) - 1 and got.n_eff == pytest.approx(len(y))


@pytest.mark.parametrize("design", ["srs", "strat_clus", "fpc"])
def test_scaling_weights_leaves_mean_and_se_unchanged(design):
    data = make_sample().assign(w2=lambda d: d.w * 37.5)
    spec = dict(DESIGNS[design])
    first = survey_mean(data, "y", by="dom", **spec)
    second = survey_mean(data, "y", by="dom", **(spec | {"weight": "w2"}))
    pd.testing.assert_frame_equal(first, second, rtol=1e-12)


def test_trim_keeps_total_and_bounds():
    w = np.random.default_rng(2).lognormal(sigma=1.0, size=1000)
    t = trim_weights(w, 0.3, 3.0)
    assert t.sum() == pytest.approx(w.sum())
    assert t.max() <= 3.0 * w.mean() * (1 + 1e-12) and t.min() >= 0.3 * w.mean() * (1 - 1e-12)


def test_kish_neff_of_equal_weights_is_n():
    assert kish_neff(np.full(40, 2.5)) == pytest.approx(40)


def test_survey_mean_rejects_unknown_columns():
    with pytest.raises(ValueError, match="not in data"):
        survey_mean(pd.DataFrame({"y": [1.0]}), "y", weight="w")


@pytest.mark.parametrize("calibrated", [False, True])
def test_one_row_psus_give_the_same_estimates_as_explicit_row_psus(calibrated):
    """The one-row-PSU fast path (no ``psu``) equals PSUs given as row numbers."""
    d = make_sample(seed=11).assign(row=lambda f: np.arange(len(f)))
    extra = dict(calibrate=["a", "b"], base_weight="w") if calibrated else {}
    d["wc"] = rake(d, {"a": POP_A, "b": POP_B}, weight="w") if calibrated else d["w"]
    fast = survey_mean(d, "y", weight="wc", strata="stratum", by="dom", **extra)
    slow = survey_mean(d, "y", weight="wc", strata="stratum", psu="row", by="dom", **extra)
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=0)


def test_rows_sorted_by_psu_give_the_same_estimates_as_shuffled_rows():
    """The run-sum fast path (each cell's rows adjacent) equals the bincount route."""
    d = make_sample(seed=12, n=2000)
    grouped = d.sort_values(["stratum", "psu", "dom"], kind="stable")
    shuffled = d.sample(frac=1.0, random_state=5)
    fast, slow = (survey_mean(f, "y", weight="w", strata="stratum", psu="psu", by="dom")
                  for f in (grouped, shuffled))
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=0)
