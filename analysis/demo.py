"""Synthetic wave frames for examples and benchmarks (not for validation).

Enterprise means ``mu_e = mu_s + tau z_e`` around sector means; respondent
construct propensities are logit-normal around ``mu_e / 100`` with a common
factor (correlated constructs); a 1-10 item is ``1 + Binomial(9, p)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

BLOCKS = {
    "image": ["img_reputation", "img_trust"],
    "expectation": ["exp_overall", "exp_reliability"],
    "quality": ["pq_1", "pq_2", "pq_3", "pq_4", "pq_5", "pq_6"],
    "value": ["val_price_quality", "val_quality_price"],
    "satisfaction": ["sat_overall", "sat_expectation", "sat_ideal"],
    "complaint": ["cmp_filed"],
    "loyalty": ["loy_repurchase", "loy_recommend", "loy_price_tolerance"],
}
PATHS = [["image", "expectation"], ["image", "satisfaction"], ["image", "loyalty"],
         ["expectation", "quality"], ["expectation", "value"], ["expectation", "satisfaction"],
         ["quality", "value"], ["quality", "satisfaction"], ["value", "satisfaction"],
         ["satisfaction", "complaint"], ["satisfaction", "loyalty"], ["complaint", "loyalty"]]
PROFILE = {"age_band": ["18-29", "30-44", "45-59", "60+"], "sex": ["f", "m"],
           "residence": ["local", "nonlocal"], "frequency": ["often", "sometimes", "rarely"]}


def demo_model() -> dict:
    """The standard satisfaction model as a plain dict."""
    items = [i for b in BLOCKS.values() for i in b]
    scales = {i: [0, 1] if i == "cmp_filed" else [1, 10] for i in items}
    scales["cmp_handling"] = [1, 10]
    return {"blocks": BLOCKS, "paths": PATHS, "scales": scales, "reverse": [],
            "extra_items": {"complaint": ["cmp_handling"]}}


def demo_frames(seed: int = 0, n_sectors: int = 4, n_enterprises: int = 40,
                per_enterprise: int = 60, missing: float = 0.03, response_seed: int | None = None):
    """(responses, enterprises, sectors, categories, models) of a synthetic wave.

    ``response_seed`` draws new respondents for the same enterprises (a new wave).
    """
    rng = np.random.default_rng(seed)
    codes = [f"S{j:02d}" for j in range(n_sectors)]
    sectors = pd.DataFrame({
        "sector": codes, "category": ["producer" if j % 2 else "consumer"
                                      for j in range(n_sectors)],
        "weight": rng.uniform(0.5, 2.0, n_sectors), "weight_source": "demo",
        "name_zh": [f"行业{j}" for j in range(n_sectors)], "name_en": codes})
    categories = pd.DataFrame({"category": ["producer", "consumer"], "target": [85.0, 80.0],
                               "weight": [0.4, 0.6], "name_zh": ["生产性", "生活性"],
                               "name_en": ["Producer", "Consumer"]})
    sec_of = rng.integers(0, n_sectors, n_enterprises)
    sec_of[:n_sectors] = np.arange(min(n_sectors, n_enterprises))
    mu_s = rng.uniform(72, 88, n_sectors)
    mu_e = np.clip(mu_s[sec_of] + 3.0 * rng.normal(size=n_enterprises), 5, 95)
    enterprises = pd.DataFrame({"enterprise_id": np.arange(1, n_enterprises + 1),
                                "name": [f"E{i}" for i in range(1, n_enterprises + 1)],
                                "sector": np.asarray(codes, dtype=object)[sec_of],
                                "weight": rng.lognormal(3, 1, n_enterprises)})
    if response_seed is not None:
        rng = np.random.default_rng([seed, response_seed])
    e = np.repeat(np.arange(n_enterprises), per_enterprise)
    n = len(e)
    common = rng.normal(size=(n, 1))
    latent = logit(mu_e[e] / 100)[:, None] + 0.8 * common + 0.6 * rng.normal(size=(n, 7))
    p = dict(zip(BLOCKS, expit(latent).T, strict=True))
    data = {"response_id": np.arange(1, n + 1), "enterprise_id": e + 1,
            "sector": np.asarray(codes, dtype=object)[sec_of[e]]}
    for construct, items in BLOCKS.items():
        for item in items:
            if item == "cmp_filed":
                data[item] = (rng.random(n) < 0.4 * (1 - p["satisfaction"])).astype(float)
            else:
                data[item] = 1.0 + rng.binomial(9, p[construct]).astype(float)
    data["cmp_handling"] = np.where(data["cmp_filed"] == 1, 1.0 + rng.binomial(9, 0.6, n),
                                    np.nan)
    responses = pd.DataFrame(data)
    for item in [i for b in BLOCKS.values() for i in b if i != "cmp_filed"]:
        responses.loc[rng.random(n) < missing, item] = np.nan
    for col, levels in PROFILE.items():
        values = np.asarray(levels + ["undisclosed"], dtype=object)
        probs = np.r_[np.full(len(levels), 0.97 / len(levels)), 0.03]
        responses[col] = pd.array(values[rng.choice(len(values), n, p=probs)], dtype="str")
    responses["quarantined"] = rng.random(n) < 0.01
    models = {c: demo_model() for c in codes}
    return responses, enterprises, sectors, categories, models


def demo_margins(sectors: pd.DataFrame, seed: int = 0) -> dict:
    """Population shares per sector for age band, sex and residence."""
    rng = np.random.default_rng(seed)
    out = {}
    for code in sectors["sector"]:
        out[code] = {col: dict(zip(PROFILE[col], rng.dirichlet(np.full(len(PROFILE[col]), 20)),
                                   strict=True))
                     for col in ("age_band", "sex", "residence")}
    return out
