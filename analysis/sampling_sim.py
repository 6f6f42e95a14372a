"""Two-stage samples from enterprise populations whose index is known exactly.

For coverage checks of the sample design (enterprises as PSUs within sector
strata). Each sector ``S<k>`` is an independent sample of ``enterprises``
drawn without replacement from a population of ``population`` enterprises
with true means ``mu_e = mu + tau z_e``, ``z`` centred and scaled over the
population, so the population index (equal enterprise shares) is ``mu``
exactly. A respondent of enterprise ``e`` has a propensity
``p ~ Beta(c mu_e / 100, c (1 - mu_e / 100))`` and answers every 1-10 item
``1 + Binomial(9, p)``: each 0-100 rescaled item has expectation ``mu_e``,
so any item weights summing to 1 within a construct give a construct score
of expectation ``mu_e``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.demo import BLOCKS, demo_model


def population_samples(rng: np.random.Generator, *, samples: int = 200, mu: float = 80.0,
                       tau: float = 3.0, population: int = 1000, enterprises: int = 10,
                       per_enterprise: float = 26.0, concentration: float = 4.0):
    """Frames of one wave holding ``samples`` independent two-stage samples as sectors.

    Returns ``(responses, enterprises, sectors, categories, models)`` for
    :func:`analysis.compute_wave` and the true index of each sector (``mu``).
    Respondents per enterprise are ``max(2, Poisson(per_enterprise))``.

    Examples
    --------
    >>> frames, truth = population_samples(np.random.default_rng(0), samples=2)
    >>> len(frames[1]), truth.tolist()
    (20, [80.0, 80.0])
    """
    if not (0 < mu - 3 * tau and mu + 3 * tau < 100):
        raise ValueError("mu -/+ 3 tau must lie within (0, 100)")
    if samples < 1 or not 2 <= enterprises <= population or per_enterprise <= 0:
        raise ValueError("need samples >= 1, 2 <= enterprises <= population, "
                         "per_enterprise > 0")
    z = np.clip(rng.normal(size=population), -3, 3)
    mu_pop = mu + tau * (z - z.mean()) / z.std()
    pick = np.array([rng.choice(population, enterprises, replace=False)
                     for _ in range(samples)])
    mu_e = mu_pop[pick].ravel()
    codes = np.repeat([f"S{k}" for k in range(samples)], enterprises)
    n_e = np.maximum(2, rng.poisson(per_enterprise, mu_e.size))
    row_e = np.repeat(np.arange(mu_e.size), n_e)
    m = mu_e[row_e] / 100
    p = rng.beta(concentration * m, concentration * (1 - m))
    n = len(row_e)
    data = {"response_id": np.arange(n), "enterprise_id": row_e, "sector": codes[row_e]}
    for items in BLOCKS.values():
        for item in items:
            data[item] = (rng.random(n) < p).astype(float) if item == "cmp_filed" \
                else 1.0 + rng.binomial(9, p).astype(float)
    data["cmp_handling"] = np.where(data["cmp_filed"] == 1, 1.0 + rng.binomial(9, p), np.nan)
    responses = pd.DataFrame(data).assign(quarantined=False)
    ents = pd.DataFrame({"enterprise_id": np.arange(mu_e.size), "name": "e", "sector": codes,
                         "weight": 1.0})
    units = [f"S{k}" for k in range(samples)]
    sectors = pd.DataFrame({"sector": units, "category": "all", "weight": 1.0})
    categories = pd.DataFrame({"category": ["all"], "target": [80.0], "weight": [1.0]})
    models = {u: demo_model() for u in units}
    truth = pd.Series(mu, index=pd.Index(units, name="unit"), name="truth")
    return (responses, ents, sectors, categories, models), truth
