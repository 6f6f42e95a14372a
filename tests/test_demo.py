"""The demo district and the latent model it is drawn from."""


import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

import instruments
from analysis.simulate import enterprise_effects, latent_loadings, simulate_responses
from survey.demo import family_spec, spec
from survey.demo.district import instrument_items
from survey.model import Answer, Category, CollectionLink, Enterprise, Response, Sector, Wave
from survey.ops.uscc import is_valid

REQUIRED_SECTORS = {
    "finance",
    "logistics",
    "transport",
    "information",
    "business",
    "technology",
    "catering",
    "tourism",
    "retail",
    "wholesale",
    "accommodation",
    "household",
    "culture_sport",
}


def test_truth_straddles_the_targets():
    targets = {code: target for code, _zh, _en, target, _w in spec.CATEGORIES}
    gaps = [s.truth["2026Q4"] - targets[s.category] for s in spec.SECTORS]
    assert any(g >= 1.5 for g in gaps), "some sector clearly above its target"
    assert any(g <= -1.5 for g in gaps), "some sector clearly below its target"
    assert sum(abs(g) < 1 for g in gaps) >= 3, "some sectors within a point of it"
    assert REQUIRED_SECTORS <= {s.code for s in spec.SECTORS}


@pytest.mark.parametrize("mu", [62.0, 80.0, 91.5])
def test_item_scores_have_the_true_mean(mu):
    # Closed form: E[100·(x−1)/9] = 100·E[p] = mu for x = 1 + Binomial(9, p).
    items = instrument_items(instruments.get("catering"))
    frame = simulate_responses(items, np.full(200_000, mu), np.random.default_rng(7))
    for code in items.satisfaction:
        score = 100 * (frame[code] - 1) / 9
        assert abs(score.mean() - mu) < 0.15
    assert frame[items.satisfaction[0]].isna().mean() == pytest.approx(0.03, abs=0.005)


def test_constructs_correlate_as_the_structure_says():
    items = instrument_items(instruments.get("finance"))
    frame = simulate_responses(items, np.full(50_000, 80.0), np.random.default_rng(3))
    corr = frame[["pq_overall", "sat_overall", "loy_recommend", "cmp_filed"]].corr()
    assert corr.loc["pq_overall", "sat_overall"] > 0.3
    assert corr.loc["sat_overall", "loy_recommend"] > 0.3
    assert corr.loc["sat_overall", "cmp_filed"] < -0.1
    for vec in latent_loadings().values():
        assert np.linalg.norm(vec) == pytest.approx(1.0)


def test_enterprise_effects_are_centred_within_sectors():
    sectors = pd.Series(["a"] * 5 + ["b"] * 7)
    z = enterprise_effects(sectors, np.random.default_rng(1))
    assert abs(z[:5].sum()) < 1e-12 and abs(z[5:].sum()) < 1e-12
    w = np.random.default_rng(2).lognormal(9.5, 0.8, 12)
    zw = enterprise_effects(sectors, np.random.default_rng(1), w)
    assert abs((w[:5] * zw[:5]).sum()) < 1e-6 * w[:5].sum()
    assert abs((w[5:] * zw[5:]).sum()) < 1e-6 * w[5:].sum()


def test_demo_district_is_big_enough(demo):
    n = lambda model: demo.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert n(Category) == 4 and n(Sector) >= 14
    assert n(Enterprise) >= 60 and n(Response) >= 6000
    assert {(w.code, w.status) for w in demo.scalars(select(Wave))} == {
        ("2026Q3", "closed"),
        ("2026Q4", "open"),
    }
    assert n(CollectionLink) >= 2 * n(Enterprise)
    enterprises = demo.scalars(select(Enterprise).where(Enterprise.kind == "enterprise")).all()
    assert all(is_valid(e.uscc) for e in enterprises)
    targets = {c.code: c.target for c in demo.scalars(select(Category))
               if c.target_kind == "threshold"}
    assert targets == {"producer": 85.0, "consumer": 80.0}


def test_demo_has_missing_and_not_applicable_answers(demo):
    total = demo.scalar(select(func.count()).select_from(Answer))
    missing = demo.scalar(select(func.count()).select_from(Answer).where(Answer.value.is_(None)))
    assert 0.02 < missing / total < 0.25
    assert demo.scalar(select(func.min(Answer.value)).where(Answer.item_code == "sat_overall")) >= 1


def test_demo_sample_means_track_the_truth(demo):
    rows = demo.execute(
        select(Sector.code, Wave.code, Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .join(Enterprise, Response.enterprise_id == Enterprise.id)
        .join(Sector, Enterprise.sector_id == Sector.id)
        .join(Wave, Response.wave_id == Wave.id)
        .where(Answer.item_code.in_(["sat_overall", "sat_expectation", "sat_ideal"]))
    ).all()
    frame = pd.DataFrame(rows, columns=["sector", "wave", "value"]).dropna()
    means = (100 * (frame["value"] - 1) / 9).groupby([frame["sector"], frame["wave"]]).mean()
    truth = pd.Series({(s.code, w): v for s in spec.SECTORS + family_spec.SERVICE_SECTORS
                       for w, v in s.truth.items()})
    means = means[means.index.isin(truth.index)]  # service sectors (products: own truths)
    gaps = (means - truth.reindex(means.index)).to_numpy()
    assert np.all(np.abs(gaps) < 5)
    assert abs(gaps.mean()) < 1.0


def test_frames_hold_every_answer_of_the_wave(demo):
    from survey.ops.frames import (
        categories_frame,
        enterprises_frame,
        item_columns,
        models_frame,
        responses_frame,
        sectors_frame,
    )

    wave = demo.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
    frame = responses_frame(demo, wave)
    n = demo.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id))
    assert len(frame) == n and frame["response_id"].is_unique
    stored = demo.scalar(
        select(func.count())
        .select_from(Answer)
        .join(Response)
        .where(Response.wave_id == wave.id, Answer.value.is_not(None))
    )
    assert int(frame[item_columns(frame)].notna().sum().sum()) == stored
    assert frame["sat_overall"].dropna().between(1, 10).all()
    sectors = sectors_frame(demo)
    models = models_frame(frame, sectors)
    assert set(models) == set(sectors["sector"])
    assert models["catering"]["blocks"]["satisfaction"] == [
        "sat_overall",
        "sat_expectation",
        "sat_ideal",
    ]
    assert models["catering"]["extra_items"] == {"complaint": ["cmp_handling"]}
    assert len(enterprises_frame(demo)) >= 60
    assert set(categories_frame(demo)["target"]) == {85.0, 80.0, 0.0}


def test_a_real_response_can_follow_the_demo(demo, demo_app):
    # The demo must leave the id sequence where PostgreSQL expects it.
    from tests.conftest import csrf_and_key
    from tests.test_survey import full_answers

    link = demo.scalars(
        select(CollectionLink).join(Wave).where(Wave.status == "open").limit(1)
    ).one()
    sector = demo.get(Enterprise, link.enterprise_id).sector.instrument_code
    client = demo_app.test_client()
    fields = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
    reply = client.post(f"/s/{link.token}", data=fields | full_answers(sector))
    assert reply.status_code == 303
