"""Target kinds: improvement over a baseline, share satisfied, families (analysis.targets).

References are independent of the code: hand-written t tests, closed-form proportions and
their linearised SEs, and R's survey package (tests/reference/targets_reference.R).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import Settings, compute_wave
from analysis.demo import BLOCKS, demo_frames, demo_model
from analysis.index import respondent_scores
from analysis.result import WaveResult
from analysis.simulate import TAU, Items, enterprise_effects, simulate_responses
from analysis.targets import improvement, normalise_categories

ALPHA = 0.05  # (1 - verdict_level) / 2 with the default verdict_level 0.90


def _result(rows):
    cols = ["level", "unit", "estimate", "se", "df"]
    t = pd.DataFrame(rows, columns=cols).assign(construct="satisfaction")
    return WaveResult(tables={"indices": t}, settings={})


def _units(rows):
    return pd.DataFrame(rows, columns=["level", "unit", "target"]).assign(
        category="construction", family="construction", kind="improvement")


def test_improvement_is_a_one_sided_t_test_of_the_change_with_independent_ses():
    base = _result([("sector", "A", 70.0, 1.0, 20), ("sector", "B", 70.0, 1.0, 20),
                    ("sector", "C", 75.0, 0.5, 40), ("sector", "D", 70.0, 0.5, 12)])
    cur = _result([("sector", "A", 74.0, 1.2, 30), ("sector", "B", 71.0, 1.0, 25),
                   ("sector", "C", 72.0, 0.5, 35), ("sector", "D", 73.0, 0.5, 50),
                   ("enterprise", 7, 80.0, 2.0, 39)])
    units = _units([("sector", "A", 0.0), ("sector", "B", 0.0), ("sector", "C", 0.0),
                    ("sector", "D", 2.0), ("enterprise", 7, 0.0)])
    got = improvement(cur, base, units, level=0.90).set_index("unit")
    cases = {"A": (70, 1.0, 20, 74, 1.2, 30, 0.0, "met"),
             "B": (70, 1.0, 20, 71, 1.0, 25, 0.0, "not_different"),
             "C": (75, 0.5, 40, 72, 0.5, 35, 0.0, "not_met"),
             "D": (70, 0.5, 12, 73, 0.5, 50, 2.0, "not_different")}
    for unit, (e0, s0, d0, e1, s1, d1, target, verdict) in cases.items():
        se = np.sqrt(s0**2 + s1**2)
        t = ((e1 - e0) - target) / se
        df = min(d0, d1)
        p_up = 1 - stats.t.cdf(t, df)  # H0: change <= target
        p_down = stats.t.cdf(t, df)  # H0: change >= target
        row = got.loc[unit]
        assert row["change"] == pytest.approx(e1 - e0, abs=1e-12)
        assert row["se_change"] == pytest.approx(se, rel=1e-12)
        assert row["statistic"] == pytest.approx(t, rel=1e-12)
        assert row["p_one_sided"] == pytest.approx(min(p_up, p_down), rel=1e-9)
        want = "met" if p_up < ALPHA else "not_met" if p_down < ALPHA else "not_different"
        assert want == verdict == row["verdict"]
        assert row["se_method"] == "independent"
    assert got.loc[7, "verdict"] == "no_baseline"
    assert np.isnan(got.loc[7, "change"])
    assert (improvement(cur, None, units)["verdict"] == "no_baseline").all()


def test_share_satisfied_of_an_enterprise_is_the_proportion_with_its_closed_form_se():
    frames = demo_frames(seed=3, n_sectors=2, n_enterprises=6, per_enterprise=40)
    res = compute_wave(*frames, settings=Settings(raking=False))
    r = frames[0][~frames[0]["quarantined"]]
    got = res.shares[res.shares["level"] == "enterprise"].set_index("unit")
    for ent, part in r.groupby("enterprise_id"):
        x = part["sat_overall"].dropna().to_numpy()
        big_n, n, p = len(part), len(x), np.mean(x >= 8)
        # N respondents (PSUs) of whom n answered: z_i = (y_i - p) / n, 0 if unanswered;
        # V = N/(N-1) sum z_i^2 = N/(N-1) p(1-p)/n, i.e. p(1-p)/(n-1) when all answered
        se = np.sqrt(big_n / (big_n - 1) * p * (1 - p) / n)
        assert got.loc[ent, "estimate"] == pytest.approx(100 * p, abs=1e-9)
        assert got.loc[ent, "se"] == pytest.approx(100 * se, abs=1e-9)
        if big_n == n:
            assert se == pytest.approx(np.sqrt(p * (1 - p) / (n - 1)), rel=1e-12)
        assert got.loc[ent, "n"] == n


def test_share_satisfied_of_a_pooled_sector_has_the_ultimate_cluster_se():
    frames = demo_frames(seed=4, n_sectors=1, n_enterprises=7, per_enterprise=25)
    settings = Settings(raking=False, aggregation="pooled", small_sample=False)
    res = compute_wave(*frames, settings=settings)
    r = frames[0][~frames[0]["quarantined"]].dropna(subset=["sat_overall"])
    y = (r["sat_overall"] >= 8).astype(float)
    n, p = len(y), y.mean()
    t_e = ((y - p) / n).groupby(r["enterprise_id"]).sum()  # PSU totals of z
    m = len(t_e)
    se = np.sqrt(m / (m - 1) * ((t_e - t_e.mean()) ** 2).sum())
    got = res.shares.set_index(["level", "unit"]).loc[("sector", "S00")]
    assert got["estimate"] == pytest.approx(100 * p, abs=1e-9)
    assert got["se"] == pytest.approx(100 * se, abs=1e-9)
    assert got["df"] == m - 1


def _scores(r, res):
    """Respondent satisfaction scores rebuilt from the result's item weights."""
    iw, model = res.item_weights, demo_model()
    out = np.full(len(r), np.nan)
    for sector, part in r.groupby("sector"):
        w = iw[iw["sector"] == sector].set_index("item")["index_weight"]
        s = respondent_scores(part, {"satisfaction": model["blocks"]["satisfaction"]}, w,
                              model["scales"])
        out[np.flatnonzero(r.index.isin(part.index))] = s["satisfaction"].to_numpy()
    return out


def _star_weight(r, enterprises, valid):
    """Weight share_e / (answered rows of e): each enterprise its share in its sector."""
    e = enterprises.set_index("enterprise_id")
    share = e["weight"] / e["weight"].groupby(e["sector"]).transform("sum")
    count = pd.Series(valid, index=r.index).groupby(r["enterprise_id"]).transform("sum")
    return np.where(valid, share.reindex(r["enterprise_id"]).to_numpy() / count, 0.0)


def test_shares_and_the_se_of_a_change_agree_with_r_survey(tmp_path):
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not installed (apt-get install r-base-core r-cran-survey)")
    settings = Settings(raking=False, small_sample=False)  # R has no small-sample correction
    now = demo_frames(seed=21, n_sectors=3, n_enterprises=15, per_enterprise=30)
    before = list(demo_frames(seed=21, n_sectors=3, n_enterprises=15, per_enterprise=30,
                              response_seed=5))
    # disjoint enterprises between the waves: independent samples
    before[0] = before[0].assign(enterprise_id=before[0]["enterprise_id"] + 1000)
    before[1] = before[1].assign(enterprise_id=before[1]["enterprise_id"] + 1000)
    categories = now[3].assign(target_kind="improvement", target=0.0)
    before[3] = categories
    base = compute_wave(*before, settings=settings)
    res = compute_wave(*now[:3], categories, now[4], settings=settings,
                       baselines={c: base for c in categories["category"]})
    r = now[0][~now[0]["quarantined"]].reset_index(drop=True)
    valid = r["sat_overall"].notna().to_numpy()
    share = pd.DataFrame({"sector": r["sector"], "enterprise_id": r["enterprise_id"],
                          "ind": np.where(valid, (r["sat_overall"] >= 8).astype(float), np.nan),
                          "w_ind": _star_weight(r, now[1], valid), "w_resp": 1.0})
    share.to_csv(tmp_path / "share.csv", index=False)
    sec, cat = now[2].set_index("sector"), categories.set_index("category")
    b = sec["weight"] / sec["weight"].groupby(sec["category"]).transform("sum")
    g = cat["weight"] / cat["weight"].sum()
    pd.DataFrame({"sector": sec.index, "coef": b * g.reindex(sec["category"]).to_numpy()}
                 ).to_csv(tmp_path / "coef.csv", index=False)
    frames = []
    for k, (f, out) in enumerate(((before, base), (now, res)), start=1):
        rk = f[0][~f[0]["quarantined"]].reset_index(drop=True)
        y = _scores(rk, out)
        frames.append(pd.DataFrame({"wave": k, "sector": rk["sector"],
                                    "enterprise_id": rk["enterprise_id"], "score": y,
                                    "w": _star_weight(rk, f[1], ~np.isnan(y))}))
    pd.concat(frames).to_csv(tmp_path / "change.csv", index=False)
    script = Path(__file__).parent / "reference" / "targets_reference.R"
    files = [str(tmp_path / n) for n in ("share.csv", "coef.csv", "change.csv", "o.csv")]
    proc = subprocess.run([rscript, str(script), *files], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    ref = pd.read_csv(tmp_path / "o.csv", dtype={"unit": str})
    shares = res.shares.assign(unit=res.shares["unit"].astype(str)).set_index(["level", "unit"])
    for level in ("sector", "district", "enterprise"):
        want = ref[ref["level"] == level].set_index(["level", "unit"])
        got = shares.loc[want.index]
        np.testing.assert_allclose(got["estimate"], 100 * want["estimate"], rtol=1e-9)
        np.testing.assert_allclose(got["se"], 100 * want["se"], rtol=1e-9)
    want = ref[ref["level"] == "change"].set_index("unit")
    got = res.targets[res.targets["level"] == "sector"].set_index("unit").loc[want.index]
    assert (got["se_method"] == "independent").all()
    np.testing.assert_allclose(got["change"], want["estimate"], rtol=1e-9)
    np.testing.assert_allclose(got["se_change"], want["se"], rtol=1e-9)


FAMILY_OF = {"producer": "service", "consumer": "service", "products": "product",
             "construction": "construction"}


def _three_kinds(seed=5):
    responses, enterprises, sectors, _, models = demo_frames(
        seed=seed, n_sectors=6, n_enterprises=36, per_enterprise=30)
    sectors = sectors.assign(category=["consumer", "producer", "products", "products",
                                       "construction", "construction"])
    categories = pd.DataFrame({
        "category": list(FAMILY_OF), "family": list(FAMILY_OF.values()),
        "target_kind": ["threshold", "threshold", "share", "improvement"],
        "target": [85.0, 80.0, 80.0, 0.0], "weight": [0.4, 0.6, 1.0, 1.0]})
    return responses, enterprises, sectors, categories, models


def test_three_kinds_give_targets_shares_and_families():
    frames = _three_kinds()
    res = compute_wave(*frames, settings=Settings(raking=False))
    sectors, categories = frames[2], frames[3]
    t = res.targets
    by_cat = sectors.groupby("category")["sector"].apply(set)
    for cat, kind in (("products", "share"), ("construction", "improvement")):
        rows = t[t["category"] == cat]
        assert set(rows["kind"]) == {kind}
        assert set(rows.loc[rows["level"] == "sector", "unit"]) == by_cat[cat]
        ents = frames[1].loc[frames[1]["sector"].isin(by_cat[cat]), "enterprise_id"]
        assert set(rows.loc[rows["level"] == "enterprise", "unit"]) == set(ents)
    assert set(t["category"]) == {"products", "construction"}
    assert (t.loc[t["kind"] == "improvement", "verdict"] == "no_baseline").all()
    share_rows = t[t["kind"] == "share"].set_index(["level", "unit"])
    sh = res.shares.set_index(["level", "unit"]).loc[share_rows.index]
    np.testing.assert_allclose(share_rows["estimate"], sh["estimate"])
    assert set(share_rows["verdict"]) <= {"met", "not_met", "not_different"}
    assert set(res.shares["level"]) == {"enterprise", "sector", "category", "district",
                                        "family"}
    fam = res.families.set_index("unit")
    assert list(fam.index) == ["service", "product", "construction"]
    assert fam.loc["service", "estimate"] == res.district["estimate"].iloc[0]
    assert fam.loc["product", "estimate"] == pytest.approx(
        res.categories.set_index("unit").loc["products", "estimate"], rel=1e-12)
    head = res.categories.set_index("unit")
    for cat in ("products", "construction"):
        assert np.isnan(head.loc[cat, "target"]) and pd.isna(head.loc[cat, "verdict"])
    assert head.loc["consumer", "verdict"] in {"met", "not_met", "not_different"}
    sec = res.sectors.set_index("unit")
    assert sec.loc[list(by_cat["products"]), "verdict"].isna().all()
    # the district is the service index: what the service sectors alone give
    service = sectors.loc[sectors["category"].isin(["producer", "consumer"]), "sector"]
    alone = compute_wave(frames[0][frames[0]["sector"].isin(service)],
                         frames[1][frames[1]["sector"].isin(service)],
                         sectors[sectors["sector"].isin(service)],
                         categories[categories["family"] == "service"], frames[4],
                         settings=Settings(raking=False))
    for col in ("estimate", "se", "n"):
        assert res.district[col].iloc[0] == pytest.approx(alone.district[col].iloc[0],
                                                          rel=1e-9)
    back = WaveResult.from_json(res.to_json())
    for name in ("targets", "shares", "families"):
        pd.testing.assert_frame_equal(back.tables[name], res.tables[name])


def test_district_is_unchanged_when_every_category_is_a_service_one():
    frames = demo_frames(seed=6, n_sectors=4, n_enterprises=20, per_enterprise=30)
    old = compute_wave(*frames)
    cats = frames[3].assign(family="service")
    new = compute_wave(*frames[:3], cats, frames[4])
    cols = ["estimate", "se", "df", "ci_low", "ci_high", "n", "received"]
    pd.testing.assert_frame_equal(new.district[cols], old.district[cols])
    pd.testing.assert_frame_equal(new.categories.drop(columns="family", errors="ignore"),
                                  old.categories)
    assert new.families["unit"].tolist() == ["service"]
    assert new.families["estimate"].iloc[0] == old.district["estimate"].iloc[0]
    assert old.families["unit"].tolist() == ["service"]
    assert len(old.targets) == 0


ITEMS = Items(**{c: tuple(BLOCKS[c]) for c in ("image", "expectation", "quality", "value",
                                                "satisfaction", "loyalty")})
SIM_SECTORS = ["retail", "housing", "public_works"]


def _simulated_wave(mu, z, sector_of, per, rng):
    """Respondents whose enterprise's true index is ``mu[sector] + TAU * z_e``."""
    e = np.repeat(np.arange(len(z)), per)
    truth = np.array([mu[s] for s in sector_of]) + TAU * z
    frame = simulate_responses(ITEMS, truth[e], rng)
    frame.insert(0, "response_id", np.arange(1, len(e) + 1))
    frame.insert(1, "enterprise_id", e + 1)
    frame.insert(2, "sector", np.asarray(sector_of, dtype=object)[e])
    return frame


def test_planted_improvement_is_met_and_no_change_is_not_different():
    rng = np.random.default_rng(16)
    sector_of = np.repeat(SIM_SECTORS, 8)
    enterprises = pd.DataFrame({"enterprise_id": np.arange(1, 25), "sector": sector_of,
                                "weight": 1.0})
    z = enterprise_effects(enterprises["sector"], rng)
    sectors = pd.DataFrame({"sector": SIM_SECTORS,
                            "category": ["consumer", "construction", "construction"],
                            "weight": [1.0, 2.0, 1.0]})
    categories = normalise_categories(pd.DataFrame({
        "category": ["consumer", "construction"], "family": ["service", "construction"],
        "target_kind": ["threshold", "improvement"], "target": [80.0, np.nan],
        "weight": [1.0, 1.0]}))
    assert categories["target"].tolist() == [80.0, 0.0]  # improvement defaults to 0
    models = {s: demo_model() for s in SIM_SECTORS}
    settings = Settings(raking=False)
    before = {"retail": 78.0, "housing": 70.0, "public_works": 72.0}
    after = {"retail": 78.0, "housing": 80.0, "public_works": 72.0}
    base = compute_wave(_simulated_wave(before, z, sector_of, 40, rng), enterprises, sectors,
                        categories, models, settings=settings)
    stored = WaveResult.from_json(base.to_json())
    res = compute_wave(_simulated_wave(after, z, sector_of, 40, rng), enterprises, sectors,
                       categories, models, settings=settings,
                       baselines={"construction": stored})
    t = res.targets.set_index(["level", "unit"])
    assert t.loc[("sector", "housing"), "verdict"] == "met"
    assert t.loc[("sector", "housing"), "verdict_zh"] == "显著提高"
    assert t.loc[("sector", "public_works"), "verdict"] == "not_different"
    assert set(t.loc["sector", "se_method"]) == {"joint"}  # same enterprises, both waves
    assert t.loc[("sector", "housing"), "change"] == pytest.approx(10.0, abs=3.0)
    again = compute_wave(_simulated_wave(after, z, sector_of, 40, np.random.default_rng(0)),
                         enterprises, sectors, categories, models, settings=settings)
    assert (again.targets["verdict"] == "no_baseline").all()


@pytest.mark.parametrize("bad, message", [
    ({"target_kind": "rising"}, "unknown target kinds"),
    ({"family": "farming"}, "unknown families"),
    ({"target_kind": "share", "target": 120.0}, "percentage"),
])
def test_bad_category_targets_are_refused_with_a_message(bad, message):
    cats = pd.DataFrame({"category": ["x"], "target": [80.0], "weight": [1.0]}).assign(**bad)
    with pytest.raises(ValueError, match=message):
        normalise_categories(cats)


def test_baselines_of_unknown_categories_are_refused():
    frames = demo_frames(seed=7, n_sectors=2, n_enterprises=8, per_enterprise=20)
    with pytest.raises(ValueError, match="unknown categories"):
        compute_wave(*frames, settings=Settings(raking=False), baselines={"nope": None})
