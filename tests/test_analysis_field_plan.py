"""Field sampling plan: exact inclusion probabilities, seeded draws, design weights."""

import numpy as np
import pandas as pd
import pytest

from analysis import field_plan as fp

HOURS = {d: (9, 19) for d in range(6)}  # Mon-Sat, 10 hours: 60 slots


def frame(seed=0, per_sector=12):
    rng = np.random.default_rng(seed)
    n = 2 * per_sector
    vol = rng.lognormal(5, 1, n)
    vol[0] = vol.sum()  # one enterprise large enough to be a certainty unit
    return pd.DataFrame({"enterprise_id": [f"E{i:02d}" for i in range(n)],
                         "sector": ["A"] * per_sector + ["B"] * per_sector, "volume": vol})


@pytest.mark.parametrize(("size", "n", "expected"), [
    ([60, 20, 10, 10], 2, [1, 0.5, 0.25, 0.25]),
    ([50, 10, 10, 10, 10, 10], 2, [1, 0.2, 0.2, 0.2, 0.2, 0.2]),
    ([100, 90, 5, 5], 3, [1, 1, 0.5, 0.5]),  # the second certainty appears on recomputing
    ([1, 1, 1, 1], 3, [0.75] * 4),
    ([3, 1], 2, [1, 1]),
])
def test_pps_probabilities_hand_computed(size, n, expected):
    assert fp.pps_probabilities(size, n) == pytest.approx(expected)


@pytest.mark.parametrize(("size", "n"), [([1, 0, 2], 1), ([1, 2], 3), ([1, 2], 1.5),
                                          ([1, np.nan], 1)])
def test_pps_probabilities_rejects_bad_input(size, n):
    with pytest.raises(ValueError):
        fp.pps_probabilities(size, n)


def test_systematic_sample_has_size_n_and_takes_certainty_units():
    pi = fp.pps_probabilities([100, 90, 5, 5, 7, 3, 11], 4)
    rng = np.random.default_rng(1)
    for _ in range(200):
        s = fp.systematic_pps(pi, rng)
        assert s.sum() == 4 and s[0] and s[1]


def test_empirical_inclusion_frequencies_match_stated_pi():
    x = np.r_[400.0, np.random.default_rng(5).lognormal(3, 1, 29)]
    pi = fp.pps_probabilities(x, 8)
    assert pi.sum() == pytest.approx(8) and pi[0] == 1
    reps = 20_000
    rng = np.random.default_rng(6)
    freq = sum(fp.systematic_pps(pi, rng).astype(int) for _ in range(reps)) / reps
    se = np.sqrt(pi * (1 - pi) / reps)
    inner = pi < 1
    assert np.all(np.abs(freq - pi)[inner] < 4.5 * se[inner])
    assert np.all(freq[~inner] == 1)
    # chi-square over the non-certainty units
    chi2 = np.sum(((freq - pi)[inner] / se[inner]) ** 2)
    assert chi2 < 60  # 29 df: P(chi2 > 60) < 1e-3


def test_plan_is_reproducible_by_seed_and_changes_with_it():
    f = frame()
    a = fp.field_plan(f, 4, HOURS, seed=11)
    pd.testing.assert_frame_equal(a, fp.field_plan(f, 4, HOURS, seed=11))
    b = fp.field_plan(f, 4, HOURS, seed=12)
    assert not a[["enterprise_id", "slot"]].equals(b[["enterprise_id", "slot"]])


def test_plan_probabilities_weights_and_targets():
    f = frame()
    plan = fp.field_plan(f, {"A": 4, "B": 3}, HOURS, seed=2, slots=3, intercepts=5)
    per_ent = plan.drop_duplicates("enterprise_id")
    assert per_ent.groupby("sector").size().to_dict() == {"A": 4, "B": 3}
    assert "E00" in set(per_ent["enterprise_id"]) and per_ent["certainty"].iloc[0]
    expected = {s: fp.pps_probabilities(g["volume"], k)
                for (s, g), k in zip(f.groupby("sector"), (4, 3), strict=True)}
    for row in per_ent.itertuples():
        i = f.index[f["enterprise_id"] == row.enterprise_id][0] % 12
        assert row.pi_enterprise == pytest.approx(expected[row.sector][i])
    assert (plan.groupby("enterprise_id").size() == 3).all()
    assert np.allclose(plan["pi_slot"], 3 / 60) and (plan["target"] == 5).all()
    assert np.allclose(plan["weight"], 1 / (plan["pi_enterprise"] * plan["pi_slot"]))
    assert set(plan["weekday"]) <= set(range(6)) and plan["hour"].between(9, 18).all()


def test_slot_and_enterprise_inclusion_frequencies_over_repeated_plans():
    f = frame(per_sector=6)
    hours = pd.DataFrame({"enterprise_id": f["enterprise_id"], "weekday": 0, "open": 8,
                          "close": 12})  # 4 slots each
    pi = {s: fp.pps_probabilities(g["volume"], 2) for s, g in f.groupby("sector")}
    stated = np.concatenate([pi["A"], pi["B"]])
    reps = 600
    ent_hits = np.zeros(len(f))
    slot_hits = np.zeros(4)
    for seed in range(reps):
        plan = fp.field_plan(f, 2, hours, seed=seed, slots=1)
        ent_hits += f["enterprise_id"].isin(plan["enterprise_id"]).to_numpy()
        slot_hits += np.bincount(plan["hour"] - 8, minlength=4)
    se = np.sqrt(stated * (1 - stated) / reps) + 1e-12
    assert np.all(np.abs(ent_hits / reps - stated) <= 4.5 * se)
    share = slot_hits / slot_hits.sum()
    assert np.all(np.abs(share - 0.25) < 4.5 * np.sqrt(0.25 * 0.75 / slot_hits.sum()))


def test_equal_probability_stratified_draw():
    f = frame()
    out = fp.draw_enterprises(f, 3, seed=0, size=None)
    assert np.allclose(out["pi_enterprise"], 3 / 12) and len(out) == 6


def test_field_weights_spread_volume_over_slots_and_interviews():
    f = frame()
    plan = fp.field_plan(f, 2, HOURS, seed=3, slots=2)
    first = plan.iloc[[0, 0, 0, 1]][["enterprise_id", "slot"]].reset_index(drop=True)
    w = fp.field_weights(first, plan, f)
    row = plan.iloc[0]
    vol = f.set_index("enterprise_id").loc[row["enterprise_id"], "volume"]
    assert w.iloc[0] == pytest.approx(vol / 60 / (row["pi"] * 3))
    assert w.iloc[3] == pytest.approx(vol / 60 / plan.iloc[1]["pi"])
    counted = first.assign(n_customers=[30, 30, 30, 12])
    w2 = fp.field_weights(counted, plan, f, counted="n_customers")
    assert w2.iloc[0] == pytest.approx(30 / (row["pi"] * 3))


def test_field_weights_reject_unplanned_slots_and_bad_frames():
    f = frame()
    plan = fp.field_plan(f, 2, HOURS, seed=3)
    with pytest.raises(ValueError, match="not in the plan"):
        fp.field_weights(pd.DataFrame({"enterprise_id": ["E01"], "slot": ["Sun 03:00"]}),
                         plan, f)
    with pytest.raises(ValueError, match="lacks columns"):
        fp.field_plan(f.drop(columns="volume"), 2, HOURS, seed=0)
    with pytest.raises(ValueError, match="no opening hours"):
        fp.field_plan(f, 2, pd.DataFrame(columns=["enterprise_id", "weekday", "open",
                                                  "close"]), seed=0)
