"""Rao-Wu enterprise bootstrap of the sample design: closed forms, R survey, coverage."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import Settings, compute_wave
from analysis import bootstrap as boot
from analysis.coding import codes
from analysis.demo import demo_frames, demo_margins
from analysis.sampling_sim import population_samples

REFERENCE = Path(__file__).parent / "reference" / "subbootstrap_reference.R"
RSCRIPT = shutil.which("Rscript")
AGGREGATES = ["sector", "category", "district"]
SAT = ["sat_overall", "sat_expectation", "sat_ideal"]


def test_multipliers_have_unit_mean_unit_variance_and_negative_covariance():
    """r ~ Multinomial(n - 1, 1/n), m = r n / (n - 1): E m = 1, V m = 1, C = -1 / (n - 1)."""
    stratum = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2])
    m = np.vstack(list(boot.rao_wu_multipliers(stratum, 40_000, np.random.default_rng(1))))
    np.testing.assert_allclose(m[:, :5].sum(axis=1), 5.0, rtol=1e-12)
    np.testing.assert_allclose(m[:, 5:8].sum(axis=1), 3.0, rtol=1e-12)
    assert (m[:, 8] == 1.0).all()  # a single-PSU stratum is a certainty PSU
    np.testing.assert_allclose(m[:, :8].mean(axis=0), 1.0, atol=0.025)
    cov = np.cov(m[:, :8].T)
    np.testing.assert_allclose(np.diag(cov), 1.0, atol=0.05)
    np.testing.assert_allclose(cov[0, 1:5], -1 / 4, atol=0.03)
    np.testing.assert_allclose(cov[5, 6:8], -1 / 2, atol=0.03)
    np.testing.assert_allclose(cov[0, 5:8], 0.0, atol=0.03)


@pytest.mark.parametrize("stratum, replicates", [
    (np.array([0.5, 1.0]), 10), (np.array([-1, 0]), 10), (np.array([0, 0]), 0)])
def test_multipliers_reject_bad_input(stratum, replicates):
    with pytest.raises(ValueError):
        next(boot.rao_wu_multipliers(stratum, replicates, np.random.default_rng(0)))


def test_a_replicate_equals_computing_its_resampled_enterprises(monkeypatch):
    """Replicate 1 against compute_wave on the drawn enterprises, each copy a new enterprise.

    The multiplier ``r_e n_h / (n_h - 1)`` is constant within a sector, so the
    replicate must equal the plain computation (PLS refitted to a tight
    tolerance, raked to the margins and the copies' enterprise shares, trimmed)
    on ``r_e`` copies of each drawn enterprise's respondents. Nothing is
    missing: PLS divides an item's s.d. by its answer count minus 1, which the
    rescaling shifts by a relative 1e-6 when items have different counts.
    """
    frames = list(demo_frames(seed=21, n_sectors=3, n_enterprises=15, per_enterprise=40,
                              missing=0.0))
    frames[0] = frames[0].assign(quarantined=False)
    margins = demo_margins(frames[2], seed=21)
    settings = Settings(bootstrap=500, seed=5, pls_tol=1e-12)
    kept = {}
    real = boot._t_intervals
    monkeypatch.setattr(boot, "_t_intervals", lambda reps, keys, indices, level:
                        kept.update(reps=reps, keys=keys) or real(reps, keys, indices, level))
    compute_wave(*frames, settings=settings, margins=margins)
    r, ent = frames[0], frames[1]
    ent_code, ent_levels = codes(r["enterprise_id"])
    sector_of = ent.set_index("enterprise_id")["sector"].reindex(ent_levels)
    stratum = pd.Index(frames[2]["sector"]).get_indexer(sector_of)
    rng = np.random.default_rng(settings.seed)
    for _ in boot.draw_counts(ent_code, settings.bootstrap, rng):  # the respondent stage first
        pass
    m = next(boot.rao_wu_multipliers(stratum, settings.bootstrap, rng))[0]
    n_h = np.bincount(stratum)[stratum]
    copies = np.rint(m * (n_h - 1) / n_h).astype(int)
    rows, ents = [], []
    for e, k in zip(ent_levels, copies, strict=True):
        for j in range(k):
            new_id = f"{e}.{j}"
            rows.append(r[r["enterprise_id"] == e].assign(enterprise_id=new_id))
            ents.append(ent[ent["enterprise_id"] == e].assign(enterprise_id=new_id))
    resampled = pd.concat(rows, ignore_index=True).assign(response_id=lambda d: d.index)
    plain = compute_wave(resampled, pd.concat(ents, ignore_index=True), *frames[2:],
                         settings=Settings(pls_tol=1e-12), margins=margins)
    assert (plain.item_weights["method"] == "pls").all()
    rep = kept["keys"].assign(replicate=kept["reps"][0])
    both = plain.indices.merge(rep, on=["level", "unit", "construct"])
    assert set(both["level"]) == set(AGGREGATES) and len(both) == len(rep)
    np.testing.assert_allclose(both["replicate"], both["estimate"], rtol=1e-8)


def test_enterprise_indices_keep_the_respondent_stage():
    frames = demo_frames(seed=6, n_sectors=2, n_enterprises=12, per_enterprise=30)
    runs = {scheme: compute_wave(*frames, settings=Settings(
                weight_method="equal", raking=False, bootstrap=500, seed=3,
                bootstrap_scheme=scheme)).indices
            for scheme in ("by_design", "respondents")}
    cols = ["se_boot", "boot_low", "boot_high"]
    ent = {k: v[v["level"] == "enterprise"] for k, v in runs.items()}
    pd.testing.assert_frame_equal(ent["by_design"][cols], ent["respondents"][cols])
    sec = {k: v[v["level"] == "sector"]["se_boot"].to_numpy() for k, v in runs.items()}
    assert not np.allclose(sec["by_design"], sec["respondents"], rtol=0.05)


def test_se_of_a_linear_index_matches_the_linearised_se():
    """Equal shares, fixed weights, no raking: the index is linear in the multipliers.

    A sector index is then ``sum_e m_e ybar_e / n_h`` (the multipliers sum to
    ``n_h``), whose ideal bootstrap variance ``sum (ybar_e - ybar)^2 /
    (n_h (n_h - 1))`` is the linearised variance exactly; composites likewise.
    B = 2000: Monte-Carlo s.d. of an SE about 1.6-2.5%.
    """
    frames, _ = population_samples(np.random.default_rng(4), samples=6)
    res = compute_wave(*frames, settings=Settings(weight_method="equal", raking=False,
                                                  small_sample=False, bootstrap=2000))
    t = res.indices[res.indices["level"].isin(AGGREGATES)]
    np.testing.assert_allclose(t["se_boot"], t["se"], rtol=0.1)
    assert (t["se_boot"] ** 2 / t["se"] ** 2).mean() == pytest.approx(1.0, abs=0.05)
    head = res.sectors
    q = stats.t.ppf(0.975, head["df"])
    np.testing.assert_allclose(head["boot_low"], head["estimate"] - q * head["se_boot"])
    np.testing.assert_allclose(head["boot_high"], head["estimate"] + q * head["se_boot"])


@pytest.fixture(scope="module")
def r_subbootstrap(tmp_path_factory):
    """R survey's subbootstrap SEs on enterprises with unequal (lognormal) shares."""
    if RSCRIPT is None:
        pytest.skip("Rscript not installed (apt-get install r-base-core r-cran-survey)")
    frames, _ = population_samples(np.random.default_rng(9), samples=4)
    r, ent = frames[0], frames[1]
    ent = ent.assign(weight=np.random.default_rng(10).lognormal(0, 0.8, len(ent)))
    frames = (r, ent, *frames[2:])
    share = ent.set_index("enterprise_id")["weight"]
    share = share / share.groupby(ent.set_index("enterprise_id")["sector"]).transform("sum")
    n_e = r.groupby("enterprise_id").size()
    data = pd.DataFrame({"y": (r[SAT].mean(axis=1) - 1) / 9 * 100,
                         "w": (share / n_e).reindex(r["enterprise_id"]).to_numpy(),
                         "sector": r["sector"], "enterprise": r["enterprise_id"]})
    tmp = tmp_path_factory.mktemp("rw")
    data.to_csv(tmp / "data.csv", index=False)
    subprocess.run([RSCRIPT, str(REFERENCE), str(tmp / "data.csv"), str(tmp / "out.csv"),
                    "2000", "11"], check=True, capture_output=True, timeout=300)
    return frames, pd.read_csv(tmp / "out.csv").set_index("sector")


def test_sector_se_matches_r_survey_subbootstrap(r_subbootstrap):
    """Unequal shares make the index a ratio; both bootstraps (B = 2000) agree within MC error."""
    frames, ref = r_subbootstrap
    res = compute_wave(*frames, settings=Settings(weight_method="equal", raking=False,
                                                  small_sample=False, bootstrap=2000))
    sec = res.sectors.set_index("unit").loc[ref.index]
    np.testing.assert_allclose(sec["estimate"], ref["estimate"], rtol=1e-9)
    np.testing.assert_allclose(sec["se"], ref["se"], rtol=1e-9)  # same linearised design
    np.testing.assert_allclose(sec["se_boot"], ref["se_boot"], rtol=0.12)


@pytest.mark.slow
def test_sample_design_bootstrap_cis_cover_the_population_index():
    """250 two-stage samples of 10 enterprises: the bootstrap CIs cover 92-98%, SE as linearised."""
    frames, truth = population_samples(np.random.default_rng(20240603), samples=250)
    res = compute_wave(*frames, settings=Settings(weight_method="equal", raking=False,
                                                  small_sample=False, bootstrap=500))
    sec = res.sectors.set_index("unit").loc[truth.index]
    hit = (sec["boot_low"] <= truth) & (truth <= sec["boot_high"])
    assert 0.92 <= hit.mean() <= 0.98, hit.mean()
    # E(se_boot^2) = se^2 for this linear index; 250 ratios of B = 500 replicates
    assert (sec["se_boot"] ** 2 / sec["se"] ** 2).mean() == pytest.approx(1.0, abs=0.04)
    lin = (sec["ci_low"] <= truth) & (truth <= sec["ci_high"])
    assert abs(hit.mean() - lin.mean()) <= 0.03
