"""A latent model of customer satisfaction whose true indices are known exactly.

The demo district and the statistical tests draw respondents from it.

Model
-----
For enterprise *e* in sector *s* at wave *w* the true satisfaction index is
``mu_e = mu_sw + tau * z_e`` (0–100), with ``z_e`` centred within each sector (weighted by
the enterprises' aggregation weights) so that the sector's true index is exactly ``mu_sw``.
Each construct *c* has its own mean ``mu_e + offset_c``.

A respondent's propensity for construct *c* is ``p_c = F⁻¹_Beta(Φ(ζ_c))`` where ``ζ_c`` are
standard normal latent variables linked by the ACSI structural model (image → expectation →
quality → value → satisfaction → loyalty, satisfaction → complaint) and ``F_Beta`` has mean
``(mu_e + offset_c) / 100`` and concentration ``KAPPA``. This Gaussian copula makes the
constructs correlate as the model says while every marginal mean stays exact.

Each 1–10 item is ``1 + Binomial(9, p_c)``, so its expected 0–100 score,
``100·(x − 1)/9``, equals ``100·p_c`` and the expected satisfaction index of a sector is
exactly ``mu_sw`` whatever item weights sum to one. Answers are missing or "not applicable"
completely at random, which leaves the expectations unchanged. The respondent profile is
drawn independently of satisfaction, with a sample composition that differs from the
population margins (so weighting changes precision but not the truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

KAPPA = 7.0  # Beta concentration: respondents' spread around their enterprise's mean.
TAU = 3.0  # s.d. of enterprise effects within a sector, index points.
# Construct means relative to satisfaction (index points).
OFFSETS = {
    "image": 2.0,
    "expectation": 4.0,
    "quality": 1.0,
    "value": -3.0,
    "satisfaction": 0.0,
    "loyalty": -1.5,
    "handling": -8.0,
}
# Structural model on the latent normals: target -> {source: coefficient}.
STRUCTURE = {
    "image": {},
    "expectation": {"image": 0.5},
    "quality": {"expectation": 0.6},
    "value": {"expectation": 0.3, "quality": 0.6},
    "satisfaction": {"image": 0.25, "expectation": 0.1, "quality": 0.55, "value": 0.3},
    "loyalty": {"image": 0.2, "satisfaction": 0.7},
    "complaint": {"satisfaction": -0.6},
    "handling": {"satisfaction": 0.4},
}
ERROR_SD = 0.7
COMPLAINT_RATE = 0.08
MISSING_RATE = 0.03  # any rating item skipped or "don't know"
NOT_APPLICABLE_RATE = 0.07  # extra rate for sector-specific quality items
# Population margins (shares) and the skewed sample composition, for weighting.
POPULATION = {
    "age_band": {"18_29": 0.22, "30_44": 0.30, "45_59": 0.28, "60_plus": 0.20},
    "sex": {"male": 0.51, "female": 0.49},
    "residence": {"local": 0.72, "nonlocal": 0.28},
}
SAMPLE = {
    "age_band": {"18_29": 0.36, "30_44": 0.34, "45_59": 0.20, "60_plus": 0.10},
    "sex": {"male": 0.45, "female": 0.55},
    "residence": {"local": 0.62, "nonlocal": 0.38},
    "frequency": {"first": 0.2, "occasional": 0.4, "monthly": 0.25, "weekly": 0.15},
}
UNDISCLOSED_RATE = 0.08
SKIPPED_PROFILE_RATE = 0.05


@dataclass(frozen=True)
class Items:
    """Item codes of one instrument by construct (what the simulator fills)."""

    image: tuple[str, ...]
    expectation: tuple[str, ...]
    quality: tuple[str, ...]
    value: tuple[str, ...]
    satisfaction: tuple[str, ...]
    loyalty: tuple[str, ...]
    complaint_filed: str = "cmp_filed"
    complaint_handling: str = "cmp_handling"


def latent_loadings() -> dict[str, np.ndarray]:
    """Each construct's latent normal as coefficients on independent N(0,1) errors.

    Returns unit-variance coefficient vectors, so ζ_c = loadings[c] @ errors.
    """
    names = list(STRUCTURE)
    raw: dict[str, np.ndarray] = {}
    for i, target in enumerate(names):
        vec = np.zeros(len(names))
        vec[i] = 1.0 if not STRUCTURE[target] else ERROR_SD
        for source, coef in STRUCTURE[target].items():
            vec = vec + coef * raw[source]
        raw[target] = vec
    return {name: vec / np.linalg.norm(vec) for name, vec in raw.items()}


def enterprise_effects(
    sectors: pd.Series, rng: np.random.Generator, weights: np.ndarray | None = None
) -> np.ndarray:
    """Enterprise effects z_e ~ N(0, 1), centred within each sector.

    With `weights` (the enterprises' aggregation weights, e.g. customer volume) the centring
    is weighted, Σ_e w_e z_e = 0 in each sector, so that the weighted sector index — what the
    platform publishes by default — has exactly the sector's true value μ_s.
    """
    z = rng.standard_normal(len(sectors))
    w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=float)
    frame = pd.DataFrame({"sector": sectors.to_numpy(), "wz": w * z, "w": w})
    sums = frame.groupby("sector")[["wz", "w"]].transform("sum")
    return z - (sums["wz"] / sums["w"]).to_numpy()


def _beta_quantile(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    m = np.clip(mean / 100.0, 0.02, 0.98)
    return stats.beta.ppf(u, m * KAPPA, (1 - m) * KAPPA)


def simulate_responses(
    items: Items, enterprise_means: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw one response per entry of `enterprise_means` (true index of its enterprise).

    Returns a wide frame: one column per item code (float, NaN = missing) plus the
    profile columns ``age_band``, ``sex``, ``residence``, ``frequency``.
    """
    n = len(enterprise_means)
    loadings = latent_loadings()
    errors = rng.standard_normal((n, len(loadings)))
    zeta = {name: errors @ vec for name, vec in loadings.items()}
    out: dict[str, np.ndarray] = {}
    for construct in ("image", "expectation", "quality", "value", "satisfaction", "loyalty"):
        p = _beta_quantile(stats.norm.cdf(zeta[construct]), enterprise_means + OFFSETS[construct])
        na_rate = MISSING_RATE + (NOT_APPLICABLE_RATE if construct == "quality" else 0.0)
        for code in getattr(items, construct):
            if construct == "quality" and code != items.quality[0]:
                na = rng.random(n) < na_rate
            else:
                na = rng.random(n) < MISSING_RATE
            out[code] = np.where(na, np.nan, 1.0 + rng.binomial(9, p))
    filed = _complaints(zeta["complaint"])
    out[items.complaint_filed] = np.where(rng.random(n) < MISSING_RATE, np.nan, filed)
    handling_p = _beta_quantile(
        stats.norm.cdf(zeta["handling"]), enterprise_means + OFFSETS["handling"]
    )
    out[items.complaint_handling] = np.where(filed == 1, 1.0 + rng.binomial(9, handling_p), np.nan)
    frame = pd.DataFrame(out)
    for column, shares in SAMPLE.items():
        frame[column] = _profile(shares, n, rng)
    return frame


def _complaints(zeta: np.ndarray) -> np.ndarray:
    # Complain when the latent propensity exceeds the quantile giving the base rate.
    return (zeta > stats.norm.ppf(1 - COMPLAINT_RATE)).astype(float)


def _profile(shares: dict[str, float], n: int, rng: np.random.Generator) -> pd.Series:
    levels = list(shares)
    drawn = rng.choice(levels, size=n, p=np.array(list(shares.values())))
    u = rng.random(n)
    values = np.where(u < UNDISCLOSED_RATE, "undisclosed", drawn).astype(object)
    values[u > 1 - SKIPPED_PROFILE_RATE] = None
    return pd.Series(values, dtype="string")
