"""Ranking ties: a sector whose between-enterprise variance estimate is 0 ranks nobody."""

import numpy as np
import pytest

from analysis import Settings, WaveResult, compute_wave
from analysis.demo import demo_frames

TIED = "S00"


def tied_frames():
    """Demo wave whose sector S00 gives every enterprise the same respondents' answers."""
    frames = list(demo_frames(seed=8, n_sectors=3, n_enterprises=18, per_enterprise=40,
                              missing=0.0))
    r = frames[0].assign(quarantined=False)
    ents = r.loc[r["sector"] == TIED, "enterprise_id"].unique()
    first = r[r["enterprise_id"] == ents[0]]
    items = [c for c in r.columns if c not in ("response_id", "enterprise_id", "sector")]
    for e in ents[1:]:
        rows = r.index[r["enterprise_id"] == e]
        r.loc[rows, items] = first[items].to_numpy()
    frames[0] = r
    return frames


@pytest.fixture(scope="module")
def tied_result():
    return compute_wave(*tied_frames(), settings=Settings(raking=False))


def dersimonian_laird_q(t):
    """Cochran's Q and k - 1 of a sector's enterprise estimates (tau^2 = 0 iff Q <= k - 1)."""
    v = 1 / t["se"] ** 2
    mean = (v * t["estimate"]).sum() / v.sum()
    return float((v * (t["estimate"] - mean) ** 2).sum()), len(t) - 1


def test_zero_between_variance_marks_the_sector_tied_and_leaves_ranks_missing(tied_result):
    sec = tied_result.sectors.set_index("unit")
    ent = tied_result.enterprises
    tied = ent[ent["sector"] == TIED]
    assert bool(sec.loc[TIED, "ranking_tied"]) and sec.loc[TIED, "ranking_tau2"] == 0.0
    assert tied["published"].sum() >= 2
    assert tied["ranking_tied"].all()
    assert tied[["percentile_rank", "league_position"]].isna().all().all()
    # every shrunk estimate is the common precision-weighted mean (identical enterprises)
    np.testing.assert_allclose(tied["shrunk"], tied["estimate"].iloc[0], rtol=1e-12)


def test_sectors_with_between_variance_are_ranked(tied_result):
    sec = tied_result.sectors.set_index("unit")
    ent = tied_result.enterprises
    for code in sec.index.drop(TIED):
        part = ent[ent["sector"] == code]
        q, dof = dersimonian_laird_q(part)
        assert bool(sec.loc[code, "ranking_tied"]) == (q <= dof)
        if not sec.loc[code, "ranking_tied"]:
            pub = part[part["published"]]
            assert pub[["percentile_rank", "league_position"]].notna().all().all()
            assert sorted(pub["league_position"]) == list(range(1, len(pub) + 1))
            assert not part["ranking_tied"].any()


def test_tie_flags_survive_the_json_round_trip(tied_result):
    back = WaveResult.from_json(tied_result.to_json())
    assert back.sectors["ranking_tied"].tolist() == tied_result.sectors["ranking_tied"].tolist()
    tied = back.enterprises[back.enterprises["sector"] == TIED]
    assert tied["percentile_rank"].isna().all() and tied["ranking_tied"].all()
