"""Bootstrap: exact ideal-bootstrap variance, seed reproducibility, replicates re-estimate."""

import numpy as np
import pandas as pd
import pytest

from analysis import Settings, compute_wave
from analysis import bootstrap as boot
from analysis.coding import codes
from analysis.demo import demo_frames, demo_margins

KEY = ["level", "unit", "construct"]


def census_frames():
    """20 enterprises of 60 respondents, nothing missing or quarantined."""
    frames = list(demo_frames(seed=12, n_sectors=2, n_enterprises=20, per_enterprise=60,
                              missing=0.0))
    frames[0] = frames[0].assign(quarantined=False)
    return frames


def ideal_bootstrap_se(frames, res):
    """Closed-form SE of the ideal bootstrap (B = infinity) of the satisfaction indices.

    With fixed equal item weights, no raking and nothing missing, a replicate
    sector index is ``sum_e a_e ybar*_e`` with independent enterprise means of
    ``n_e`` draws from ``n_e``: ``V* = sum_e a_e^2 sigmahat_e^2 / n_e`` with
    the plug-in variance ``sigmahat_e^2 = sum (y - ybar_e)^2 / n_e`` (Efron &
    Tibshirani 1993, sec. 5.2); composites add ``(coef a_e)^2`` terms likewise.
    """
    r, ent, sectors, categories, _ = frames
    sat = ["sat_overall", "sat_expectation", "sat_ideal"]
    y = (r[sat].mean(axis=1) - 1) / 9 * 100
    g = y.groupby(r["enterprise_id"])
    v_e = g.var(ddof=0) / g.size()
    info = ent.set_index("enterprise_id").loc[v_e.index]
    a = info["weight"] / info["weight"].groupby(info["sector"]).transform("sum")
    out = {("enterprise", e): np.sqrt(v) for e, v in v_e.items()}
    b = sectors.set_index("sector")
    b = b["weight"] / b["weight"].groupby(b["category"]).transform("sum")
    cat_of = sectors.set_index("sector")["category"]
    gw = categories.set_index("category")["weight"]
    gw = gw / gw.sum()
    for level, coef in (("sector", a.groupby(info["sector"])),
                        ("category", (a * b[info["sector"]].to_numpy()).groupby(
                            cat_of[info["sector"]].to_numpy())),
                        ("district", (a * b[info["sector"]].to_numpy()
                                      * gw[cat_of[info["sector"]]].to_numpy()).groupby(
                            np.full(len(a), "district")))):
        for unit, c in coef:
            out[(level, unit)] = np.sqrt((c**2 * v_e[c.index]).sum())
    return pd.Series(out)


@pytest.fixture(scope="module")
def census_boot():
    frames = census_frames()
    settings = Settings(weight_method="equal", raking=False, design="census", bootstrap=2000)
    return frames, compute_wave(*frames, settings=settings)


def test_bootstrap_se_matches_the_exact_ideal_bootstrap(census_boot):
    """B = 2000: the Monte-Carlo s.d. of an SE estimate is about 1/sqrt(2B) = 1.6%."""
    frames, res = census_boot
    want = ideal_bootstrap_se(frames, res)
    sat = res.indices[res.indices["construct"] == "satisfaction"].set_index(["level", "unit"])
    got = sat.loc[want.index]
    np.testing.assert_allclose(got["se_boot"], want, rtol=0.06)
    # ... which is the exact linearised census SE times sqrt((n_e - 1) / n_e), n_e = 60
    np.testing.assert_allclose(want, got["se"] * np.sqrt(59 / 60), rtol=1e-9)
    # percentile limits near est -/+ 1.96 SE (means of 60 bounded scores: nearly normal)
    z = 1.959964 * want
    assert (abs(got["boot_low"] - (got["estimate"] - z)) < 0.25 * want).all()
    assert (abs(got["boot_high"] - (got["estimate"] + z)) < 0.25 * want).all()


def test_bootstrap_columns_join_every_table(census_boot):
    _, res = census_boot
    for name in ("district", "categories", "sectors", "enterprises", "indices"):
        t = res.tables[name]
        assert t[["se_boot", "boot_low", "boot_high"]].notna().all().all(), name
        assert ((t["boot_low"] <= t["estimate"]) & (t["estimate"] <= t["boot_high"])).all()
    assert (res.weighting[["boot_rake_unconverged", "boot_pls_unfitted"]] == 0).all().all()


def test_fixed_seed_reproduces_the_bootstrap():
    frames = demo_frames(seed=4, n_sectors=2, n_enterprises=12, per_enterprise=40)
    margins = demo_margins(frames[2], seed=4)
    runs = [compute_wave(*frames, settings=Settings(bootstrap=500, seed=s), margins=margins)
            for s in (1, 1, 2)]
    cols = ["se_boot", "boot_low", "boot_high"]
    pd.testing.assert_frame_equal(runs[0].indices[cols], runs[1].indices[cols])
    assert runs[0].to_json() == runs[1].to_json()
    assert not np.allclose(runs[0].indices["se_boot"], runs[2].indices["se_boot"])


@pytest.mark.parametrize("pooled_by", ["sector", "category"])
def test_a_replicate_equals_computing_its_resampled_rows(monkeypatch, pooled_by):
    """Replicate 1 (copy counts) against compute_wave on the explicitly resampled frame.

    The plain path refits PLS (``pls.fit``) and rakes and trims (``rake_trim``
    via the sector plans) on duplicated rows; the bootstrap does it with copy
    counts. Equal results show both weights are re-estimated in each replicate.
    """
    frames = list(demo_frames(seed=21, n_sectors=4, n_enterprises=12, per_enterprise=40))
    frames[0] = frames[0].assign(quarantined=False)
    margins = demo_margins(frames[2], seed=21)
    settings = Settings(bootstrap=500, seed=5, weights_pooled_by=pooled_by,
                        bootstrap_scheme="respondents")
    kept = {}
    real = boot._summarise
    monkeypatch.setattr(boot, "_summarise",
                        lambda reps, keys, level: kept.update(reps=reps, keys=keys)
                        or real(reps, keys, level))
    compute_wave(*frames, settings=settings, margins=margins)
    r = frames[0]
    ent_code, _ = codes(r["enterprise_id"])
    counts = next(boot.draw_counts(ent_code, 1, np.random.default_rng(settings.seed)))[0]
    resampled = r.loc[r.index.repeat(counts.astype(int))].reset_index(drop=True)
    resampled["response_id"] = np.arange(len(resampled))
    plain = compute_wave(resampled, *frames[1:], settings=Settings(weights_pooled_by=pooled_by),
                         margins=margins)
    assert (plain.item_weights["method"] == "pls").all()
    rep = kept["keys"].assign(replicate=kept["reps"][0])
    both = plain.indices.merge(rep, on=KEY)
    assert len(both) == len(plain.indices)
    np.testing.assert_allclose(both["replicate"], both["estimate"], rtol=1e-8)
