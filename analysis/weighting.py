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
    w = _base(data, weight)
    coded = coded_margins(data, margins, missing)
    return pd.Series(ipf(w[None, :], coded, tol=tol, max_iter=max_iter)[0], index=data.index,
                     name="weight")


def coded_margins(data: pd.DataFrame, margins: Mapping, missing: str = "error") -> list:
    """``[(codes, totals), ...]`` of each margin column (-1 = missing); empty cells raise."""
    coded = [_margin_codes(data, col, tot, missing) for col, tot in margins.items()]
    for (code, target), col in zip(coded, margins, strict=True):
        have = np.bincount(code[code >= 0], minlength=len(target))
        if np.any(have == 0):
            empty = [str(lv) for lv, h in zip(margins[col], have, strict=True) if h == 0]
            raise ValueError(f"empty cell: no respondents in {col!r} level(s) {', '.join(empty)}")
    return coded


def ipf(w: np.ndarray, coded: list, *, tol: float = 1e-10, max_iter: int = 1000) -> np.ndarray:
    """Iterative proportional fitting of each row of ``w`` (replicates x respondents).

    The rows are raked independently (a bootstrap replicate is a row of base
    weights times copy counts; a zero weight is a respondent not drawn).
    Raises ``ValueError`` on an empty cell or when a row does not converge.
    """
    w, converged = ipf_rows(w, coded, tol=tol, max_iter=max_iter)
    if not converged.all():
        raise ValueError(f"raking did not converge to {tol:g} in {max_iter} sweeps")
    return w


def ipf_rows(w: np.ndarray, coded: list, *, tol: float = 1e-10,
             max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ipf` returning each row's last iterate and whether it converged.

    A margin's totals are one per level, or one row of them per row of ``w``
    (a replicate whose enterprise targets follow its resampled enterprises);
    a level with total 0 in a row must have no weight there and is left out.
    """
    w = np.array(w, dtype=float)
    sums = [_level_sums(code, len(target.T), len(w)) for code, target in coded]
    totals = [np.broadcast_to(target, (len(w), target.shape[-1])) for _, target in coded]
    # a missing value's code points at the last factor (1): it keeps its weight
    ext = [np.where(code >= 0, code, len(target.T)) for code, target in coded]
    active = np.arange(len(w))
    for _ in range(max_iter):
        a = w[active]
        for (code, _), total, level_sums, code_ext in zip(coded, totals, sums, ext,
                                                          strict=True):
            have = level_sums(a)
            t = _targets(have, code, total[active])
            if np.any(~(have > 0) & (t > 0)):
                raise ValueError("empty cell: a margin level has no weight in a replicate")
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(t > 0, t / have, 1.0)
            f = np.concatenate([ratio, np.ones((len(a), 1))], axis=1)
            a *= f[:, code_ext]
        w[active] = a
        active = active[_row_errors(a, coded, sums, [t[active] for t in totals]) > tol]
        if not len(active):
            break
    converged = np.ones(len(w), bool)
    converged[active] = False
    return w, converged


def _level_sums(code: np.ndarray, k: int, rows: int):
    """Function of weights (rows x n) giving their totals per level (rows x k)."""
    ok = code >= 0
    if rows == 1:  # one row: bincount, no dense dummies (large samples)
        # missing values go to an extra bin that is dropped (no masked copy per call)
        c = np.where(ok, code, k)
        return lambda w: np.bincount(c, weights=w[0], minlength=k + 1)[None, :k]
    dummies = np.zeros((len(code), k))
    dummies[np.flatnonzero(ok), code[ok]] = 1.0
    return lambda w: w @ dummies


def _targets(have: np.ndarray, code: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Targets per row (rows x k); with missing values, in proportion to the known weight.

    ``have`` holds the weight per level (rows x k): its row sums are the known weight.
    """
    if not (code < 0).any():
        return target
    known = have.sum(axis=1, keepdims=True)
    return target * (known / target.sum(axis=1, keepdims=True))


def _row_errors(w: np.ndarray, coded, sums, totals) -> np.ndarray:
    """Largest relative margin error of each row (levels with total 0 left out)."""
    err = np.zeros(len(w))
    for (code, _), level_sums, total in zip(coded, sums, totals, strict=True):
        have = level_sums(w)
        t = _targets(have, code, total)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(t > 0, np.abs(have - t) / t, 0.0)
        err = np.maximum(err, np.max(rel, axis=1))
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
    freq: np.ndarray | None = None,
) -> np.ndarray:
    """Trim weights to ``[lower, upper]`` times their mean, keeping their sum.

    ``w_i' = clip(c w_i, lower wbar, upper wbar)`` with the scale ``c`` solved
    so that ``sum w' = sum w``: weights beyond a bound are set to it and the
    others rescaled proportionally
    (Potter 1990, "A study of procedures to identify and trim extreme sampling
    weights", Proc. ASA Survey Research Methods Section). ``freq`` counts each
    weight's copies (means and sums are then over the copies).

    Examples
    --------
    >>> trim_weights(np.array([1.0, 1.0, 1.0, 9.0]), 0.5, 2.0).round(3).tolist()
    [2.0, 2.0, 2.0, 6.0]
    """
    w = np.asarray(weights, dtype=float)
    f = np.ones(len(w)) if freq is None else np.asarray(freq, dtype=float)
    if not 0 < lower <= 1 <= upper:
        raise ValueError("trimming bounds must satisfy 0 < lower <= 1 <= upper")
    if np.any(~(w > 0)):
        raise ValueError("weights to trim must be positive")
    total = f @ w
    lo, hi = lower * total / f.sum(), upper * total / f.sum()

    def excess(c: float) -> float:
        return float(f @ np.clip(c * w, lo, hi) - total)

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
    coded = coded_margins(data, margins, missing)
    w, ok, converged = rake_trim_rows(d[None, :], coded, bounds=bounds, tol=tol,
                                      max_iter=max_iter, rounds=rounds)
    if not converged[0]:
        raise ValueError(f"raking did not converge to {tol:g} in {max_iter} sweeps")
    return pd.Series(w[0], index=data.index, name="weight"), bool(ok[0])


def rake_trim_rows(
    base: np.ndarray,
    coded: list,
    *,
    freq: np.ndarray | None = None,
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    rounds: int = 20,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`rake_trim` of each row of ``base`` (replicates x respondents).

    For a bootstrap replicate a row holds each respondent's base weight times
    ``freq``, its number of copies (0: not drawn), so the row is raked and
    trimmed exactly as the resampled rows would be. ``coded`` is
    :func:`coded_margins` output. Returns the weights and, per row, whether
    the bounds hold and whether raking converged (a row that did not keeps
    its last iterate; the caller decides).
    """
    base = np.asarray(base, dtype=float)
    freq = np.ones_like(base) if freq is None else np.asarray(freq, dtype=float)
    w, converged = ipf_rows(base, coded, tol=tol, max_iter=max_iter)
    ok = np.ones(len(w), bool)
    if bounds is None:
        return w, ok, converged
    todo = np.flatnonzero(converged)
    for _ in range(rounds):
        trimmed = {r: _trimmed(w[r], base[r], freq[r], bounds) for r in todo}
        ok[[r for r, t in trimmed.items() if t is None]] = True
        todo = np.array([r for r, t in trimmed.items() if t is not None], dtype=np.int64)
        if not len(todo):
            break
        ok[todo] = False  # unless a later round finds the re-raked factors within bounds
        w[todo], converged[todo] = ipf_rows(np.array([trimmed[r] for r in todo]),
                                            _rows_of(coded, todo), tol=tol, max_iter=max_iter)
        todo = todo[converged[todo]]
    return w, ok, converged


def _rows_of(coded: list, rows: np.ndarray) -> list:
    """``coded`` for a subset of rows: per-row targets (2-d) are subset too."""
    return [(code, target[rows] if target.ndim == 2 else target) for code, target in coded]


def _trimmed(w, base, freq, bounds) -> np.ndarray | None:
    """Base weights times trimmed factors, or None when the factors are within bounds."""
    lo, hi = bounds
    drawn = freq > 0
    g = w[drawn] / base[drawn]  # adjustment factor of each copy
    ratio = g / (freq[drawn] @ g / freq[drawn].sum())
    if ratio.min() >= lo * 0.95 and ratio.max() <= hi * 1.05:
        return None
    out = np.zeros_like(w)
    out[drawn] = base[drawn] * trim_weights(g, lo, hi, freq=freq[drawn])
    return out
