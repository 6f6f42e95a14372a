"""Measurement-model diagnostics of a PLS fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

LOADING_FLOOR = 0.7


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha ``k/(k-1) (1 - sum var_j / var(sum))`` (Cronbach 1951).

    Complete rows only.

    Examples
    --------
    >>> cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 5]}))
    0.97196261682243
    """
    return _alpha(items.to_numpy(float, na_value=np.nan))


def _alpha(x: np.ndarray) -> float:
    """:func:`cronbach_alpha` of an array (rows x items), complete rows only."""
    # column-major, as pandas hands a float block over, so the sums run in the same order
    x = np.asfortranarray(x[~np.isnan(x).any(axis=1)])
    k = x.shape[1]
    if k < 2:
        return float("nan")
    item_var = x.var(axis=0, ddof=1).sum()
    return float(k / (k - 1) * (1 - item_var / x.sum(axis=1).var(ddof=1)))


def composite_reliability(loadings) -> float:
    """Dillon-Goldstein rho ``(sum l)^2 / ((sum l)^2 + sum (1 - l^2))``.

    Werts, Linn & Joereskog (1974); Tenenhaus et al. (2005), eq. (6).

    Examples
    --------
    >>> round(composite_reliability([0.8, 0.8, 0.8]), 4)
    0.8421
    """
    lam = np.asarray(loadings, dtype=float)
    s = lam.sum() ** 2
    return float(s / (s + (1 - lam**2).sum()))


def average_variance_extracted(loadings) -> float:
    """AVE ``mean(l^2)`` (Fornell & Larcker 1981).

    Examples
    --------
    >>> average_variance_extracted([0.8, 0.6])
    0.5
    """
    return float(np.mean(np.asarray(loadings, dtype=float) ** 2))


def model_diagnostics(result, data: pd.DataFrame) -> pd.DataFrame:
    """One row per construct: items, alpha, rho_DG, AVE, R2, weak loadings.

    ``result`` is an :class:`analysis.pls.PLSResult`; loadings below 0.7 are
    listed in ``weak_items``.
    """
    rows = []
    wanted = {i for items in result.blocks.values() for i in items}
    data = data[[c for c in data.columns if c in wanted]]  # frame order: a view
    x = data.to_numpy(float, na_value=np.nan)
    column = {c: j for j, c in enumerate(data.columns)}
    loading = result.loadings.to_dict()
    for construct, items in result.blocks.items():
        lam = np.array([loading[i] for i in items], dtype=float)
        block = x[:, [column[i] for i in items]]
        rows.append({
            "construct": construct,
            "items": len(items),
            "alpha": _alpha(block),
            "rho_dg": composite_reliability(lam),
            "ave": average_variance_extracted(lam),
            "r2": float(result.r2.get(construct, np.nan)),
            "weak_items": ",".join(i for i in items if loading[i] < LOADING_FLOOR),
            "iterations": result.iterations,
            "converged": result.converged,
            "equal_weight_fallback": construct in result.equal_weight_fallback,
        })
    return pd.DataFrame(rows)
