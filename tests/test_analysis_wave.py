"""compute_wave: aggregation identities, JSON, provenance, change, bootstrap, R checks."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import Settings, WaveResult, change, compute_wave, methodology_text
from analysis.demo import demo_frames, demo_margins, demo_model

CONSTRUCT_ITEMS = demo_model()["blocks"]


@pytest.fixture(scope="module")
def demo_result():
    frames = demo_frames(seed=3)
    return frames, compute_wave(*frames, margins=demo_margins(frames[2], seed=3))


def test_sector_is_the_fixed_weight_combination_of_its_enterprises(demo_result):
    frames, res = demo_result
    ent = res.enterprises.set_index("unit")
    shares = frames[1].set_index("enterprise_id")["weight"]
    for _, row in res.sectors.iterrows():
        members = ent[ent["sector"] == row["unit"]]
        a = shares.loc[members.index] / shares.loc[members.index].sum()
        assert row["estimate"] == pytest.approx((a * members["estimate"]).sum(), rel=1e-12)


def test_category_and_district_are_weighted_sums_of_sectors(demo_result):
    frames, res = demo_result
    sectors = frames[2].set_index("sector")
    est = res.sectors.set_index("unit")["estimate"]
    cat = res.categories.set_index("unit")["estimate"]
    for c in cat.index:
        b = sectors.loc[sectors["category"] == c, "weight"]
        assert cat[c] == pytest.approx((b / b.sum() * est[b.index]).sum(), rel=1e-12)
    g = frames[3].set_index("category")["weight"]
    expected = (g / g.sum() * cat[g.index]).sum()
    assert res.district["estimate"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_every_unit_reports_n_neff_se_df_and_a_clipped_ci(demo_result):
    _, res = demo_result
    for name in ("district", "categories", "sectors", "enterprises"):
        t = res.tables[name]
        for col in ("estimate", "se", "df", "ci_low", "ci_high", "n", "n_eff", "published"):
            assert col in t.columns
        assert (t["ci_low"] >= 0).all() and (t["ci_high"] <= 100).all()
    assert set(res.indices["construct"]) == set(CONSTRUCT_ITEMS)


def test_insufficient_units_are_never_ranked(demo_result):
    _, res = demo_result
    ent = res.enterprises
    assert ent.loc[~ent["published"], "percentile_rank"].isna().all()
    assert ent.loc[ent["published"], "percentile_rank"].notna().all()


def test_quarantined_responses_are_excluded_by_default():
    frames = list(demo_frames(seed=4, n_sectors=2, n_enterprises=10, per_enterprise=40))
    q = frames[0]["quarantined"].to_numpy()
    base = compute_wave(*frames, settings=Settings(raking=False))
    frames[0] = frames[0].assign(sat_overall=np.where(q, 1.0, frames[0]["sat_overall"]))
    poisoned = compute_wave(*frames, settings=Settings(raking=False))
    assert poisoned.district["estimate"].iloc[0] == base.district["estimate"].iloc[0]
    included = compute_wave(*frames, settings=Settings(raking=False, include_quarantined=True))
    assert included.district["n"].iloc[0] > base.district["n"].iloc[0]


def test_sector_without_data_is_excluded_and_disclosed():
    frames = list(demo_frames(seed=5, n_sectors=3, n_enterprises=12, per_enterprise=30))
    frames[0] = frames[0][frames[0]["sector"] != "S02"]
    res = compute_wave(*frames, settings=Settings(raking=False))
    assert "S02" not in set(res.sectors["unit"])
    assert ((res.excluded["level"] == "sector") & (res.excluded["unit"] == "S02")).any()


def test_json_round_trip_and_recomputation_are_identical(demo_result):
    frames, res = demo_result
    text = res.to_json()
    back = WaveResult.from_json(text)
    assert back.to_json() == text
    for name, table in res.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], table, check_column_type=False)
    again = compute_wave(*frames, margins=demo_margins(frames[2], seed=3))
    assert again.to_json() == text


def test_provenance_tracks_inputs_and_settings(demo_result):
    frames, res = demo_result
    prov = res.provenance
    assert set(prov["versions"]) >= {"numpy", "pandas", "scipy", "python"}
    other = compute_wave(*frames, settings=Settings(raking=False))
    assert other.provenance["settings_sha256"] != prov["settings_sha256"]
    assert other.provenance["input_sha256"] != prov["input_sha256"]  # margins differ
    shuffled = frames[0].sample(frac=1.0, random_state=1)
    again = compute_wave(shuffled, *frames[1:], margins=demo_margins(frames[2], seed=3))
    assert again.provenance["input_sha256"] == prov["input_sha256"]


def test_census_design_ignores_between_enterprise_variance():
    frames = list(demo_frames(seed=6, n_sectors=2, n_enterprises=16, per_enterprise=200))
    frames[1] = frames[1].assign(weight=1.0)
    sample = compute_wave(*frames, settings=Settings(raking=False, design="sample"))
    census = compute_wave(*frames, settings=Settings(raking=False, design="census"))
    assert (census.sectors["se"].to_numpy() < sample.sectors["se"].to_numpy()).all()
    np.testing.assert_allclose(census.sectors["estimate"], sample.sectors["estimate"])


def test_change_of_a_wave_against_itself_is_zero_with_zero_se(demo_result):
    _, res = demo_result
    d = change(res, res)
    agg = d[d["level"] != "enterprise"]
    assert (agg["delta"] == 0).all() and np.allclose(agg["se"], 0)
    assert (agg["method"] == "joint").all()
    assert (d["change"] == "none").all()


def test_change_between_independent_census_waves_adds_variances():
    one = demo_frames(seed=8, n_sectors=2, n_enterprises=10, per_enterprise=40)
    two = demo_frames(seed=8, n_sectors=2, n_enterprises=10, per_enterprise=40,
                      response_seed=9)
    s = Settings(raking=False, design="census")
    a, b = compute_wave(*one, settings=s), compute_wave(*two, settings=s)
    d = change(a, b).set_index(["level", "unit", "construct"])
    ia = a.indices.set_index(["level", "unit", "construct"])
    ib = b.indices.set_index(["level", "unit", "construct"])
    key = ("sector", "S00", "satisfaction")
    assert d.loc[key, "method"] == "independent"
    assert d.loc[key, "se"] == pytest.approx(np.hypot(ia.loc[key, "se"], ib.loc[key, "se"]))
    assert d.loc[key, "delta"] == pytest.approx(ib.loc[key, "estimate"] - ia.loc[key, "estimate"])


def test_sector_estimates_and_joint_change_match_r_survey(tmp_path):
    """Two waves, same enterprises: sector means and their change against R's survey."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not installed (apt-get install r-base-core r-cran-survey)")
    # R's survey has no small-sample correction (checked in test_analysis_small_sample)
    settings = Settings(raking=False, aggregation="pooled", small_sample=False)
    waves = [demo_frames(seed=11, n_sectors=3, n_enterprises=18, per_enterprise=30,
                         response_seed=k) for k in (1, 2)]
    results = [compute_wave(*f, settings=settings) for f in waves]
    frames = []
    for k, (f, res) in enumerate(zip(waves, results, strict=True), start=1):
        r = f[0][~f[0]["quarantined"]].reset_index(drop=True)
        scores = _satisfaction_scores(r, res)
        frames.append(pd.DataFrame({"wave": k, "sector": r["sector"],
                                    "enterprise_id": r["enterprise_id"], "score": scores}))
    pd.concat(frames).to_csv(tmp_path / "scores.csv", index=False)
    script = Path(__file__).parent / "reference" / "change_reference.R"
    subprocess.run([rscript, str(script), str(tmp_path / "scores.csv"), str(tmp_path / "o.csv")],
                   check=True, capture_output=True, timeout=120)
    ref = pd.read_csv(tmp_path / "o.csv").set_index(["sector", "what"])
    d = change(*results).set_index(["level", "unit", "construct"])
    for sector in ("S00", "S01", "S02"):
        for k, res in enumerate(results, start=1):
            got = res.sectors.set_index("unit").loc[sector]
            want = ref.loc[(sector, f"wave{k}")]
            assert got["estimate"] == pytest.approx(want["estimate"], rel=1e-9)
            assert got["se"] == pytest.approx(want["se"], rel=1e-9)
        got = d.loc[("sector", sector, "satisfaction")]
        assert got["method"] == "joint"
        assert got["delta"] == pytest.approx(ref.loc[(sector, "change"), "estimate"], abs=1e-9)
        assert got["se"] == pytest.approx(ref.loc[(sector, "change"), "se"], rel=1e-9)


def _satisfaction_scores(r, res):
    """Respondent satisfaction scores rebuilt from the result's item weights."""
    from analysis.index import respondent_scores

    iw = res.item_weights
    out = np.full(len(r), np.nan)
    model = demo_model()
    for sector, part in r.groupby("sector"):
        w = iw[iw["sector"] == sector].set_index("item")["index_weight"]
        s = respondent_scores(part, {"satisfaction": model["blocks"]["satisfaction"]}, w,
                              model["scales"])
        out[part.index] = s["satisfaction"].to_numpy()
    return out


def test_frozen_weights_from_an_earlier_wave_are_used_and_labelled(demo_result):
    from analysis.item_weights import frozen_weights

    frames, res = demo_result
    frozen = frozen_weights(res)
    again = compute_wave(*frames, settings=Settings(frozen_weights=frozen),
                         margins=demo_margins(frames[2], seed=3))
    assert (again.item_weights["method"] == "frozen").all()
    pd.testing.assert_frame_equal(again.sectors[["unit", "estimate", "se"]],
                                  res.sectors[["unit", "estimate", "se"]])


def test_weights_pooled_by_category_are_shared_by_its_sectors():
    frames = demo_frames(seed=13, n_sectors=4, n_enterprises=16, per_enterprise=40)
    res = compute_wave(*frames, settings=Settings(raking=False, weights_pooled_by="category"))
    iw = res.item_weights
    assert set(iw["pool"]) == {"producer", "consumer"}
    spread = iw.groupby(["pool", "item"])["index_weight"].nunique()
    assert (spread == 1).all()


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.__setitem__(0, f[0].assign(enterprise_id=999)), "unknown enterprises"),
    (lambda f: f.__setitem__(2, f[2][f[2]["sector"] != "S01"]), "missing from the sectors"),
    (lambda f: f.__setitem__(4, {k: v for k, v in f[4].items() if k != "S00"}), "no model"),
    (lambda f: f.__setitem__(3, f[3].drop(columns="target")), "lacks columns"),
])
def test_compute_wave_rejects_inconsistent_inputs(mutate, message):
    frames = list(demo_frames(seed=14, n_sectors=2, n_enterprises=6, per_enterprise=20))
    mutate(frames)
    with pytest.raises(ValueError, match=message):
        compute_wave(*frames, settings=Settings(raking=False))


def test_raked_sector_estimates_match_r_calibrate(tmp_path):
    """Raking within sectors and calibrated SEs inside compute_wave, against R's survey."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not installed (apt-get install r-base-core r-cran-survey)")
    frames = list(demo_frames(seed=15, n_sectors=3, n_enterprises=18, per_enterprise=40))
    r = frames[0].assign(quarantined=False)
    for col, first in (("age_band", "30-44"), ("sex", "f"), ("residence", "local")):
        r[col] = r[col].where(r[col] != "undisclosed", first)  # R cannot rake in proportion
    frames[0] = r
    margins = demo_margins(frames[2], seed=15)
    res = compute_wave(*frames, settings=Settings(aggregation="pooled", trim_bounds=None,
                                                  small_sample=False), margins=margins)
    scores = _satisfaction_scores(r, res)
    n_s = r["sector"].value_counts()
    data = pd.DataFrame({"sector": r["sector"], "enterprise_id": r["enterprise_id"],
                         "score": scores, "base": 1.0})
    pop = [("(Intercept)", float(len(r)))]
    for short, col in (("sa", "age_band"), ("sb", "sex"), ("sr", "residence")):
        data[short] = r["sector"] + "_" + r[col]
        totals = {f"{s}_{lv}": n_s[s] * share / sum(m[col].values())
                  for s, m in margins.items() for lv, share in m[col].items()}
        pop += [(short + key, total) for key, total in sorted(totals.items())[1:]]
    data.to_csv(tmp_path / "scores.csv", index=False)
    pd.DataFrame(pop, columns=["name", "total"]).to_csv(tmp_path / "pop.csv", index=False)
    script = Path(__file__).parent / "reference" / "wave_raking_reference.R"
    subprocess.run([rscript, str(script), str(tmp_path / "scores.csv"), str(tmp_path / "pop.csv"),
                    str(tmp_path / "o.csv")], check=True, capture_output=True, timeout=120)
    ref = pd.read_csv(tmp_path / "o.csv").set_index("sector")
    got = res.sectors.set_index("unit").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-9)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-9)


def test_extra_items_are_reported_outside_the_model(demo_result):
    frames, res = demo_result
    items = res.items
    extra = items[items["item"] == "cmp_handling"]
    assert len(extra) == frames[2].shape[0] and (~extra["in_model"]).all()
    r = frames[0][~frames[0]["quarantined"]]
    assert extra["n"].sum() == r["cmp_handling"].notna().sum()
    assert extra["mean"].between(0, 100).all()


def test_change_between_stored_results_uses_the_joint_variance():
    """Two results stored as JSON and reloaded give the same change as the fresh ones."""
    one = demo_frames(seed=8, n_sectors=2, n_enterprises=12, per_enterprise=30)
    two = demo_frames(seed=8, n_sectors=2, n_enterprises=12, per_enterprise=30,
                      response_seed=3)
    a, b = (compute_wave(*f, margins=demo_margins(f[2], seed=8)) for f in (one, two))
    fresh = change(a, b)
    stored = change(*(WaveResult.from_json(r.to_json()) for r in (a, b)))
    pd.testing.assert_frame_equal(stored, fresh, check_dtype=False)
    agg = stored[stored["level"] != "enterprise"]
    assert (agg["method"] == "joint").all()
    assert (stored.loc[stored["level"] == "enterprise", "method"] == "independent").all()


def test_weights_frozen_from_a_stored_wave_score_the_next_wave():
    from analysis.index import respondent_scores
    from analysis.item_weights import frozen_weights

    one = demo_frames(seed=9, n_sectors=2, n_enterprises=10, per_enterprise=40)
    two = demo_frames(seed=9, n_sectors=2, n_enterprises=10, per_enterprise=40,
                      response_seed=4)
    first = WaveResult.from_json(compute_wave(*one, settings=Settings(raking=False)).to_json())
    settings = Settings.from_dict(Settings(raking=False, frozen_weights=frozen_weights(first))
                                  .to_dict())
    second = compute_wave(*two, settings=settings)
    assert (second.item_weights["method"] == "frozen").all()
    got = second.item_weights.set_index(["sector", "item"])["index_weight"]
    want = first.item_weights.set_index(["sector", "item"])["index_weight"]
    pd.testing.assert_series_equal(got, want.loc[got.index])
    # the next wave's sector index, rebuilt by hand from the first wave's weights
    r = two[0][~two[0]["quarantined"]]
    model = demo_model()
    for sector, part in r.groupby("sector"):
        w = want.loc[sector]
        s = respondent_scores(part, {"satisfaction": model["blocks"]["satisfaction"]}, w,
                              model["scales"])["satisfaction"]
        share = two[1].set_index("enterprise_id")["weight"]
        ent = s.groupby(part["enterprise_id"]).mean()
        a = share.loc[ent.index] / share.loc[ent.index].sum()
        assert second.sectors.set_index("unit").loc[sector, "estimate"] == pytest.approx(
            (a * ent).sum(), rel=1e-12)
    assert "frozen from an earlier wave" in methodology_text(settings, "en")


def test_sector_with_one_enterprise_has_no_verdict_and_is_not_published():
    frames = demo_frames(seed=9, n_sectors=2, n_enterprises=10, per_enterprise=40)
    assert (frames[1]["sector"] == "S00").sum() == 1
    res = compute_wave(*frames, settings=Settings(raking=False))
    row = res.sectors.set_index("unit").loc["S00"]
    assert row["df"] == 0 and not row["published"]
    assert pd.isna(row["verdict"]) and pd.isna(row["verdict_en"])
