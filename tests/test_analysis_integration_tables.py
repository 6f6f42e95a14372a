"""The wave's integration tables against hand-computed values and simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.field_sim import draw, population, truth
from analysis.integration_tables import headline_scores, integration_tables

MODEL = {"blocks": {"satisfaction": ["s1", "s2"]}, "scales": {"s1": [1, 10], "s2": [1, 10]},
         "reverse": []}


def test_headline_score_is_the_weighted_mean_of_rescaled_items():
    responses = pd.DataFrame({"response_id": [1, 2], "sector": ["a", "a"],
                              "s1": [10.0, 1.0], "s2": [1.0, np.nan]})
    weights = pd.DataFrame({"sector": ["a", "a"], "construct": ["satisfaction"] * 2,
                            "item": ["s1", "s2"], "index_weight": [0.75, 0.25]})
    scores = headline_scores(responses, {"a": MODEL}, weights)
    # 0.75 * 100 + 0.25 * 0 = 75; the second answered only s1 (50% >= 2/3? no): missing
    assert scores.loc[1] == pytest.approx(75.0) and np.isnan(scores.loc[2])


def test_qr_sector_index_is_the_volume_weighted_enterprise_mean():
    qr = pd.DataFrame({"enterprise_id": [1, 1, 2, 2], "sector": ["a"] * 4,
                       "score": [80.0, 90.0, 60.0, 70.0], "verified": [True, False, False, False]})
    ents = pd.DataFrame({"enterprise_id": [1, 2], "sector": ["a", "a"], "volume": [300.0, 100.0]})
    field = pd.DataFrame(columns=["enterprise_id", "sector", "slot", "weight", "score"])
    out = integration_tables(qr, field, ents)
    row = out["integration_sectors"].set_index("unit").loc["a"]
    assert row["qr"] == pytest.approx(0.75 * 85 + 0.25 * 65)
    ent = out["integration_enterprises"].set_index("unit")
    assert ent.loc[1, "verified"] == pytest.approx(80.0) and np.isnan(ent.loc[2, "verified"])


def test_combined_index_recovers_the_simulated_truth_where_qr_is_biased():
    pop = population(seed=3)
    field, qr = draw(pop, seed=5)
    ents = pop[["enterprise_id", "sector", "volume"]]
    table = integration_tables(qr, field, ents)["integration_sectors"].set_index("unit")
    err = table["combined"] - truth(pop).reindex(table.index)
    qr_err = table["qr"] - truth(pop).reindex(table.index)
    assert qr_err.mean() > 3  # selective solicitation and stuffing push QR up
    assert abs(err.mean()) < 2 and (table["combined_se"] > 0).all()
    assert table["flag"].any()  # the gap is flagged somewhere
