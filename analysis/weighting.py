"""Respondent weights: raking, post-stratification, trimming, Kish's design effect.

Raking is iterative proportional fitting (Deming & Stephan 1940, Ann. Math.
Stat. 11) from the base weights; post-stratification is its one-margin case.
The variance after calibration is computed in :mod:`analysis.design`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import optimize

MISSING_CODES = ("undisclosed",)


def _base(data: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(data))
    if weight not in data.columns:
        raise ValueError(f"weight column {weight!r} not in data")
    w = data[weight].to_numpy(float, na_value=np.nan)
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("base weights must be finite and positive")
    return w


def _margin_codes(data, column, totals, missing):
    """Codes of ``column`` against the levels of ``totals`` (-1 = missing)."""
    if column not in data.columns:
        raise ValueError(f"margin column {column!r} not in data")
    levels = list(totals)
    target = np.array([float(totals[lv]) for lv in levels])
    if np.any(~(target > 0)):
        raise ValueError(f"population totals of {column!r} must be positive")
    # factorize once, then match the few distinct values to the margin levels
    ucode, uniques = pd.factorize(data[column], use_na_sentinel=True)
    uniques = pd.Index(uniques, dtype=object)
    u_missing = uniques.isin(MISSING_CODES)
    u_level = pd.Index(levels, dtype=object).get_indexer(uniques)
    u_level = np.where(u_missing, -1, u_level)
    code = np.where(ucode >= 0, u_level[np.maximum(ucode, 0)], -1).astype(np.int64)
    na = (ucode < 0) | u_missing[np.maximum(ucode, 0)]
    stray = (code < 0) & ~na
    if stray.any():
        bad = sorted({str(v) for v in uniques[(u_level < 0) & ~u_missing]})
        raise ValueError(f"levels of {column!r} without a population total: {', '.join(bad)}")
    if na.any() and missing == "error":
        raise ValueError(f"{column!r} has missing values; pass missing='share' to rake them")
    return code, target


def rake(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[object, float]],
    *,
    weight: str | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    missing: str = "error",
) -> pd.Series:
    """Rake base weights to population margins by iterative proportional fitting.

    Each sweep multiplies, margin by margin, the weights of level ``l`` by
    ``N_l / W_l`` (population over current weighted total), until the largest
    relative margin error ``max |W_l - N_l| / N_l`` is at most ``tol``
    (Deming & Stephan 1940). With ``missing="share"`` respondents with a
    missing (or ``undisclosed``) value keep their factor for that margin and
    the margin is matched in proportion: targets become
    ``N_l (W - W_missing) / sum N``.

    Raises ``ValueError`` on a margin level with no respondents (an empty
    cell), on unknown levels and when IPF does not converge.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["m", "f", "f", "f"], "age": ["y", "y", "o", "o"]})
    >>> rake(df, {"sex": {"m": 40, "f": 60}, "age": {"y": 50, "o": 50}}).round(3).tolist()
    [40.0, 10.0, 25.0, 25.0]
    """
    if missing not in ("error", "share"):
        raise ValueError("missing must be 'error' or 'share'")
    if not margins:
        raise ValueError("no margins to rake to")
    w = _base(data, weight).copy()
    coded = [_margin_codes(data, col, tot, missing) for col, tot in margins.items()]
    for (code, target), col in zip(coded, margins, strict=True):
        have = np.bincount(code[code >= 0], minlength=len(target))
        if np.any(have == 0):
            empty = [str(lv) for lv, h in zip(margins[col], have, strict=True) if h == 0]
            raise ValueError(f"empty cell: no respondents in {col!r} level(s) {', '.join(empty)}")
    for _ in range(max_iter):
        for code, target in coded:
            w *= _factors(w, code, target)[code + 1]
        if _max_error(w, coded) <= tol:
            return pd.Series(w, index=data.index, name="weight")
    raise ValueError(f"raking did not converge to {tol:g} in {max_iter} sweeps")


def _targets(w: np.ndarray, code: np.ndarray, target: np.ndarray) -> np.ndarray:
    known = w[code >= 0].sum()
    return target * (known / target.sum()) if (code < 0).any() else target


def _factors(w: np.ndarray, code: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Adjustment factor per level, with a leading 1 for missing values."""
    have = np.bincount(code[code >= 0], weights=w[code >= 0], minlength=len(target))
    return np.concatenate([[1.0], _targets(w, code, target) / have])


def _max_error(w: np.ndarray, coded) -> float:
    err = 0.0
    for code, target in coded:
        t = _targets(w, code, target)
        have = np.bincount(code[code >= 0], weights=w[code >= 0], minlength=len(target))
        err = max(err, float(np.max(np.abs(have - t) / t)))
    return err


def poststratify(
    data: pd.DataFrame,
    column: str,
    totals: Mapping[object, float],
    *,
    weight: str | None = None,
) -> pd.Series:
    """Post-stratified weights ``w_i N_l / sum_{j in l} w_j`` (Holt & Smith 1979).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["m", "f", "f"]})
    >>> poststratify(df, "sex", {"m": 50, "f": 50}).tolist()
    [50.0, 25.0, 25.0]
    """
    w = _base(data, weight)
    code, target = _margin_codes(data, column, totals, "error")
    have = np.bincount(code, weights=w, minlength=len(target))
    if np.any(have == 0):
        raise ValueError(f"empty cell in {column!r}: a level has no respondents")
    return pd.Series(w * (target / have)[code], index=data.index, name="weight")


def trim_weights(
    weights: pd.Series | np.ndarray,
    lower: float,
    upper: float,
    *,
    max_iter: int = 100,
) -> np.ndarray:
    """Trim weights to ``[lower, upper]`` times their mean, keeping their sum.

    ``w_i' = clip(c w_i, lower wbar, upper wbar)`` with the scale ``c`` solved
    so that ``sum w' = sum w``: weights beyond a bound are set to it and the
    others rescaled proportionally
    (Potter 1990, "A study of procedures to identify and trim extreme sampling
    weights", Proc. ASA Survey Research Methods Section).

    Examples
    --------
    >>> trim_weights(np.array([1.0, 1.0, 1.0, 9.0]), 0.5, 2.0).round(3).tolist()
    [2.0, 2.0, 2.0, 6.0]
    """
    w = np.asarray(weights, dtype=float)
    if not 0 < lower <= 1 <= upper:
        raise ValueError("trimming bounds must satisfy 0 < lower <= 1 <= upper")
    if np.any(~(w > 0)):
        raise ValueError("weights to trim must be positive")
    total = w.sum()
    lo, hi = lower * total / len(w), upper * total / len(w)

    def excess(c: float) -> float:
        return float(np.clip(c * w, lo, hi).sum() - total)

    # sum(clip(c w)) rises with c from n lo <= total to n hi >= total
    c = optimize.brentq(excess, lo / w.max(), hi / w.min(), xtol=1e-14, rtol=1e-15,
                        maxiter=max_iter)
    return np.clip(c * w, lo, hi)


def kish_neff(weights) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965, sec. 11.7).

    Examples
    --------
    >>> kish_neff([1.0, 1.0, 2.0, 4.0])
    2.909090909090909
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


def kish_deff(weights) -> float:
    """Kish's design effect due to weighting ``n sum w^2 / (sum w)^2``.

    Examples
    --------
    >>> kish_deff([1.0, 1.0, 1.0])
    1.0
    """
    return len(np.asarray(weights)) / kish_neff(weights)


def rake_trim(
    data: pd.DataFrame,
    margins: Mapping[str, Mapping[object, float]],
    *,
    weight: str | None = None,
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    rounds: int = 20,
    missing: str = "share",
) -> tuple[pd.Series, bool]:
    """Rake, then alternate trimming and re-raking.

    The trimmed quantity is the adjustment factor ``g_i = w_i / d_i`` over the
    base weight ``d_i`` (so a design's intended unequal weights are kept):
    ``g`` is trimmed to ``bounds`` times its mean (:func:`trim_weights`) and
    the weights re-raked, until after raking all factors lie within the
    bounds (5% slack) or ``rounds`` is reached. Returns the final raked
    weights (margins met to ``tol``) and whether the bounds hold.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["m", "f", "f", "f"]})
    >>> w, ok = rake_trim(df, {"sex": {"m": 50, "f": 50}}, bounds=(0.3, 3.0))
    >>> w.round(2).tolist(), ok
    ([50.0, 16.67, 16.67, 16.67], True)
    """
    d = _base(data, weight)
    w = rake(data, margins, weight=weight, tol=tol, max_iter=max_iter, missing=missing)
    if bounds is None:
        return w, True
    lo, hi = bounds
    frame = data.assign(_w=w.to_numpy())
    for _ in range(rounds):
        g = frame["_w"].to_numpy() / d
        ratio = g / g.mean()
        if ratio.min() >= lo * 0.95 and ratio.max() <= hi * 1.05:
            return frame["_w"].rename("weight"), True
        frame["_w"] = d * trim_weights(g, lo, hi)
        frame["_w"] = rake(frame, margins, weight="_w", tol=tol, max_iter=max_iter,
                           missing=missing).to_numpy()
    return frame["_w"].rename("weight"), False
