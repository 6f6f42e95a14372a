"""Simulated truth for the data-integration estimators (tests and ``bench/field.py``).

A fixed population of enterprises per sector with weekly customer volumes ``V_e``
(lognormal) and true means ``theta_e = mu_s + 4 z_e``; a customer's score is
``100 Beta(k p, k (1 - p))`` with ``p = theta / 100`` (mean exactly ``theta``, s.d. about
18 at ``k = 4``). The sector truth is ``sum V_e theta_e / sum V_e``. Each replicate draws:

- the field sample: :func:`analysis.field_plan.field_plan` (12 enterprises PPS per sector,
  3 one-hour slots of 60, 6 intercepts per slot), scores from the truth;
- the QR sample: ``Poisson(0.1 V_e)`` respondents scoring ``theta_e + delta_e`` with a fixed
  solicitation bias ``delta_e ~ N(5, 2^2)`` (+5 on average), plus stuffing at 15% of
  enterprises (``Poisson(n_e / 2)`` fake responses with mean 95);
- receipt codes: ``V_e / 5`` issued per enterprise; honest enterprises' customers use
  them with probability 0.15 and score ``theta_e + 1``; the 20% that hand codes only to
  happy customers see a 0.06 rate and ``theta_e + 10``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import integration as ig
from analysis.field_plan import field_plan, field_weights

HOURS = {d: (9, 19) for d in range(6)}
SECTOR_MEANS = {"S1": 72.0, "S2": 78.0, "S3": 84.0, "S4": 88.0}
K = 4.0


def population(seed: int = 0, per_sector: int = 50) -> pd.DataFrame:
    """Enterprises with ``volume``, ``theta``, QR ``bias``, ``stuffed`` and ``selective``."""
    rng = np.random.default_rng(seed)
    n = per_sector * len(SECTOR_MEANS)
    sector = np.repeat(list(SECTOR_MEANS), per_sector)
    return pd.DataFrame({
        "enterprise_id": [f"E{i:03d}" for i in range(n)], "sector": sector,
        "volume": np.round(rng.lognormal(np.log(300), 0.8, n)) + 20,
        "theta": np.array([SECTOR_MEANS[s] for s in sector]) + 4.0 * rng.normal(size=n),
        "bias": 5.0 + 2.0 * rng.normal(size=n), "stuffed": rng.random(n) < 0.15,
        "selective": rng.random(n) < 0.20})


def truth(pop: pd.DataFrame) -> pd.Series:
    """Volume-weighted sector means of ``theta``."""
    return (pop["volume"] * pop["theta"]).groupby(pop["sector"]).sum() / \
        pop.groupby("sector")["volume"].sum()


def _scores(rng, mean):
    p = np.clip(np.asarray(mean, dtype=float) / 100, 0.01, 0.99)
    return 100 * rng.beta(K * p, K * (1 - p))


def draw(pop: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(field, qr) samples of one replicate; ``qr.verified`` marks receipt-code rows."""
    rng = np.random.default_rng([seed, 7])
    plan = field_plan(pop, 12, HOURS, seed=seed, slots=3, intercepts=6)
    field = plan.loc[plan.index.repeat(plan["target"]), ["sector", "enterprise_id", "slot"]]
    field = field.reset_index(drop=True)
    theta = pop.set_index("enterprise_id")["theta"]
    field["score"] = _scores(rng, field["enterprise_id"].map(theta))
    field["weight"] = field_weights(field, plan, pop)
    n_qr = rng.poisson(0.1 * pop["volume"])
    n_fake = np.where(pop["stuffed"], rng.poisson(n_qr / 2), 0)
    n_ver = rng.binomial(np.round(pop["volume"] / 5).astype(int),
                         np.where(pop["selective"], 0.06, 0.15))
    shift = np.where(pop["selective"], 10.0, 1.0)
    parts = []
    for count, mean, verified in ((n_qr, pop["theta"] + pop["bias"], False),
                                  (n_fake, np.full(len(pop), 95.0), False),
                                  (n_ver, pop["theta"] + shift, True)):
        rows = pop.loc[pop.index.repeat(count), ["enterprise_id", "sector"]]
        parts.append(rows.assign(score=_scores(rng, np.repeat(np.asarray(mean), count)),
                                 verified=verified))
    return field, pd.concat(parts, ignore_index=True)


def replicate(pop: pd.DataFrame, seed: int, ci: float = 0.95) -> pd.DataFrame:
    """Sector estimates and CIs of the three estimators on one replicate (long format)."""
    field, qr = draw(pop, seed)
    frames = {"QR only": ig.qr_index(qr, pop, ci=ci), "field only": ig.field_index(field, ci=ci),
              "combined": ig.combined_index(field, qr, pop, ci=ci)}
    out = pd.concat({k: v[["estimate", "ci_low", "ci_high"]] for k, v in frames.items()},
                    names=["estimator", "sector"]).reset_index()
    return out.assign(replicate=seed)


def simulation_table(replicates: int = 200, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Bias, RMSE and CI coverage per estimator over replicates and sectors.

    ``bias`` is the mean error over all sector estimates, ``max_abs_bias`` the largest
    sector's absolute mean error, ``coverage`` the share of CIs holding the sector truth.
    """
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    pop = population(seed)
    t = truth(pop)
    est = pd.concat([replicate(pop, 1000 * seed + r, ci) for r in range(replicates)])
    est["error"] = est["estimate"] - est["sector"].map(t)
    est["covered"] = (est["ci_low"] <= est["sector"].map(t)) & \
        (est["sector"].map(t) <= est["ci_high"])
    g = est.groupby("estimator", sort=False)
    per_sector = est.groupby(["estimator", "sector"], sort=False)["error"].mean().abs()
    return pd.DataFrame({
        "bias": g["error"].mean(), "max_abs_bias": per_sector.groupby(level=0).max(),
        "rmse": np.sqrt(g["error"].apply(lambda e: (e ** 2).mean())),
        "coverage": g["covered"].mean(), "n": g.size()})
