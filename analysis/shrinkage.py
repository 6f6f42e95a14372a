"""Empirical-Bayes shrinkage of enterprise indices for fair ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd


def shrink(estimate, se, *, min_tau2: float = 0.0) -> tuple[np.ndarray, float, float]:
    """Shrink estimates toward their precision-weighted mean.

    Normal-normal model ``y_e ~ N(theta_e, se_e^2)``, ``theta_e ~ N(mu, tau^2)``;
    ``tau^2`` by the DerSimonian-Laird moment estimator
    ``max(0, (Q - (k - 1)) / (sum v - sum v^2 / sum v))`` with ``v = 1/se^2``;
    ``mu = sum u y / sum u`` with ``u = 1/(se^2 + tau^2)``; the posterior
    mean is ``mu + B (y - mu)``, ``B = tau^2 / (tau^2 + se^2)``
    (DerSimonian & Laird 1986; Efron & Morris 1975).

    Examples
    --------
    >>> s, mu, tau2 = shrink([70.0, 80.0, 90.0], [1.0, 1.0, 1.0])
    >>> s.round(3).tolist(), mu, round(tau2, 3)
    ([70.1, 80.0, 89.9], 80.0, 99.0)
    """
    y, s2 = np.asarray(estimate, float), np.asarray(se, float) ** 2
    ok = np.isfinite(y) & np.isfinite(s2) & (s2 > 0)
    out = np.full_like(y, np.nan)
    if ok.sum() == 0:
        return out, float("nan"), float("nan")
    if ok.sum() == 1:
        out[ok] = y[ok]
        return out, float(y[ok][0]), 0.0
    v = 1 / s2[ok]
    mu_fixed = (v * y[ok]).sum() / v.sum()
    q = (v * (y[ok] - mu_fixed) ** 2).sum()
    tau2 = max(min_tau2, (q - (ok.sum() - 1)) / (v.sum() - (v**2).sum() / v.sum()))
    u = 1 / (s2[ok] + tau2)
    mu = float((u * y[ok]).sum() / u.sum())
    out[ok] = mu + tau2 / (tau2 + s2[ok]) * (y[ok] - mu)
    return out, mu, float(tau2)


def percentile_rank(values, eligible=None) -> np.ndarray:
    """Mid-rank percentile ``100 (rank - 0.5) / m`` among eligible values (NaN others).

    Examples
    --------
    >>> percentile_rank([3.0, 1.0, 2.0, 9.0], [True, True, True, False]).round(1).tolist()
    [83.3, 16.7, 50.0, nan]
    """
    x = np.asarray(values, float)
    ok = np.isfinite(x) if eligible is None else np.asarray(eligible, bool) & np.isfinite(x)
    out = np.full_like(x, np.nan)
    ranks = pd.Series(x[ok]).rank(method="average").to_numpy()
    out[ok] = 100 * (ranks - 0.5) / ok.sum()
    return out
