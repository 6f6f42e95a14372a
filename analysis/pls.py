"""PLS path modelling (Lohmoeller's algorithm) for the satisfaction model.

Reference: Lohmoeller, J.-B. (1989), *Latent Variable Path Modeling with Partial
Least Squares*, Physica; Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005),
"PLS path modeling", Computational Statistics & Data Analysis 48, 159-205.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SCHEMES = ("path", "centroid", "factorial")


@dataclass(frozen=True)
class PLSResult:
    """Estimates of one PLS path model fit."""

    outer_weights: pd.Series
    loadings: pd.Series
    path_coefficients: pd.Series
    r2: pd.Series
    total_effects: pd.Series
    index_weights: pd.Series
    scores: pd.DataFrame
    iterations: int
    converged: bool
    blocks: dict = field(default_factory=dict)
    equal_weight_fallback: tuple = ()


def _standardise(x: np.ndarray, scaled: bool, freq: np.ndarray | None = None):
    """Centre (and scale to unit n-1 variance) the columns; missing -> mean.

    ``freq`` counts each row's copies (a bootstrap replicate), so nothing is
    duplicated. Returns the standardised items, their s.d. and covariance.
    """
    if freq is None:
        # nanmean and nanstd(ddof=1) spelled out (the same sums, one pass fewer each)
        ok = ~np.isnan(x)
        cnt = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(ok, x, 0.0).sum(axis=0) / cnt
            z = np.where(ok, x - mean, 0.0)
            sd = np.sqrt((z * z).sum(axis=0) / (cnt - 1))
        f_sum = len(x)
    else:
        ok = ~np.isnan(x)
        f = np.asarray(freq, float)
        cnt = f @ ok
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (f @ np.where(ok, x, 0.0)) / cnt
            z = np.where(ok, x - mean, 0.0)
            sd = np.sqrt((f @ (z * z)) / (cnt - 1))
        f_sum = f.sum()
    if np.any(~(sd > 0)):
        raise ValueError("every PLS item needs a positive variance")
    if scaled:
        z = z / sd
    # z.T @ z is computed symmetrically (BLAS syrk); a replicate weights rows by copies
    cov = (z.T @ z if freq is None else (z.T * f) @ z) / (f_sum - 1)
    return z, sd, cov


def _check_model(data, blocks, paths, scheme):
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if not blocks:
        raise ValueError("blocks must name at least one construct")
    names = list(blocks)
    for construct, items in blocks.items():
        if not list(items):
            raise ValueError(f"construct {construct!r} has no items")
        absent = [i for i in items if i not in data.columns]
        if absent:
            raise ValueError(f"items of {construct!r} not in data: {', '.join(absent)}")
    for source, target in paths:
        if source not in blocks or target not in blocks:
            raise ValueError(f"path ({source!r}, {target!r}) names an unknown construct")
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for source, target in paths:
        adj[names.index(source), names.index(target)] = True
    isolated = [n for i, n in enumerate(names) if not (adj[i].any() or adj[:, i].any())]
    if isolated and len(names) > 1:
        raise ValueError(f"constructs without paths: {', '.join(isolated)}")
    return names, adj


def fit(
    data: pd.DataFrame,
    blocks: Mapping[str, Iterable[str]],
    paths: Iterable[tuple[str, str]],
    *,
    scheme: str = "path",
    scaled: bool = True,
    tol: float = 1e-7,
    max_iter: int = 300,
) -> PLSResult:
    """Fit a PLS path model with Lohmoeller's algorithm (Mode A outer weights).

    Iterate, from outer weights of 1: outer estimates ``Y_j = X_j w_j`` scaled
    to unit variance; inner estimates ``Z_j = sum_k e_kj Y_k`` (``e`` from the
    scheme); Mode A update ``w_j = X_j' Z_j / (n - 1)``; stop when the largest
    change of a (unit-variance normalised) weight is below ``tol``. Blocks are
    signed so that their weights are positive on average. Path coefficients are
    OLS regressions of each endogenous score on its predecessors; loadings are
    item-score correlations; total effects ``(I - B)^-1 - I``. Index weights
    are the outer weights in raw item units (``w / sd`` when ``scaled``),
    normalised to sum to 1 within a block; if any is <= 0 the block falls back
    to equal weights (listed in ``equal_weight_fallback``). Missing item values
    are replaced by the item mean (as seminr's default ``mean_replacement``).
    Source: Lohmoeller (1989); Tenenhaus et al. (2005), section 2.

    Variance divisor (R ``plspm``'s convention, Sanchez 2013, *PLS Path
    Modeling with R*, ch. 4; ``get_treated_data`` and ``get_weights``):
    ``plspm`` computes every variance with divisor ``n``: items are
    standardised ``(x - mean) / sd_n`` when ``scaled`` and only centred
    otherwise, and outer weights make ``var_n(X_j w_j) = 1``. With ``scaled``
    the divisor cancels (items and scores carry the same factor), so the
    outer weights here, standardised with ``n - 1`` as seminr does, equal
    ``plspm``'s and seminr's. With ``scaled=False`` it does not cancel, and the
    outer weights are rescaled to ``plspm``'s ``var_n(X_j w_j) = 1``:
    ``w = w_(n-1) sqrt(n / (n - 1))``; ``scores`` (``X_j w_j`` on the centred
    items) are then ``plspm``'s ``scores``. With ``scaled`` the scores have unit
    ``n - 1`` variance (seminr's; ``plspm``'s are these times
    ``sqrt(n / (n - 1))``). Loadings, paths, R2, effects and the normalised
    index weights do not depend on the divisor. SmartPLS 4 estimates on
    standardised data (its default "Standardized" results, equal to
    ``scaled=True``); its "Mean centered" and "Unstandardized" result types
    are reported in the data metric, and its documentation does not state a
    divisor, so compare those with the index weights (divisor-free), not with
    the raw outer weights.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a = rng.normal(size=200)
    >>> df = pd.DataFrame({"x": a, "y": a + rng.normal(size=200)})
    >>> res = fit(df, {"A": ["x"], "B": ["y"]}, [("A", "B")])
    >>> bool(np.isclose(res.path_coefficients[("A", "B")], df.x.corr(df.y)))
    True
    """
    if not tol > 0 or max_iter < 1:
        raise ValueError("tol must be positive and max_iter at least 1")
    paths = [tuple(p) for p in paths]
    names, adj = _check_model(data, blocks, paths, scheme)
    blocks = {c: list(items) for c, items in blocks.items()}
    items = [i for c in names for i in blocks[c]]
    if len(set(items)) != len(items):
        raise ValueError("an item belongs to more than one block")
    x, sd, cov = _standardise(data[items].to_numpy(dtype=float, na_value=np.nan), scaled)
    n = x.shape[0]
    if n < 3:
        raise ValueError("PLS needs at least 3 rows")
    member = _membership(names, items, blocks)
    w, iteration, converged = _iterate(cov, member, adj, scheme, tol, max_iter)
    return _finish(data, x, cov, sd, w, member, names, items, adj, blocks, paths, scaled,
                   iteration, converged)


def fit_from_moments(cov: np.ndarray, sd: np.ndarray, n: float,
                     blocks: Mapping[str, Iterable[str]], paths: Iterable[tuple[str, str]], *,
                     scheme: str = "path", tol: float = 1e-7, max_iter: int = 300) -> PLSResult:
    """:func:`fit` (``scaled=True``) from sufficient statistics instead of the rows.

    ``cov`` is the covariance matrix of the standardised, mean-replaced items
    (``z' z / (n - 1)``, item order of ``blocks``), ``sd`` their standard deviations and
    ``n`` the number of rows: everything Lohmoeller's iterations, the loadings, paths,
    effects and index weights read. ``scores`` is then an empty frame (it needs the rows).
    """
    if not tol > 0 or max_iter < 1:
        raise ValueError("tol must be positive and max_iter at least 1")
    if n < 3:
        raise ValueError("PLS needs at least 3 rows")
    paths = [tuple(p) for p in paths]
    blocks = {c: list(items) for c, items in blocks.items()}
    items = [i for c in blocks for i in blocks[c]]
    names, adj = _check_model(pd.DataFrame(columns=items), blocks, paths, scheme)
    if np.any(~(np.asarray(sd) > 0)):
        raise ValueError("every PLS item needs a positive variance")
    member = _membership(names, items, blocks)
    w, iteration, converged = _iterate(cov, member, adj, scheme, tol, max_iter)
    return _finish(None, n, cov, sd, w, member, names, items, adj, blocks, paths, True,
                   iteration, converged)


def _membership(names, items, blocks) -> np.ndarray:
    member = np.zeros((len(items), len(names)))
    for j, c in enumerate(names):
        for i in blocks[c]:
            member[items.index(i), j] = 1.0
    return member


def _iterate(cov, member, adj, scheme, tol, max_iter):
    """Lohmoeller's iterations on the item covariance matrix (Lohmoeller 1989, ch. 2)."""
    w = member.copy()
    converged, iteration = False, 0
    while iteration < max_iter:
        iteration += 1
        w = w / np.sqrt(np.einsum("ij,ik,kj->j", w, cov, w))
        corr = w.T @ cov @ w
        w_new = member * (cov @ w @ _inner(corr, adj, scheme))
        w_new = w_new / np.sqrt(np.einsum("ij,ik,kj->j", w_new, cov, w_new))
        delta = np.max(np.abs(w_new - w))
        w = w_new
        if delta < tol:
            converged = True
            break
    return w, iteration, converged


def _signed(w, cov, scaled: bool, n: float):
    """Blocks signed so their weights are positive on average, unit-variance scores.

    The scores get unit ``n - 1`` variance, or unit ``n`` variance (plspm's
    convention) when the items are only centred: see :func:`fit`.
    """
    sign = np.sign(w.sum(axis=0))
    sign[sign == 0] = 1.0
    divisor = 1.0 if scaled else np.sqrt(n / (n - 1))
    return w * sign * divisor / np.sqrt(np.einsum("ij,ik,kj->j", w, cov, w))


def replicate_index_weights(x: np.ndarray, freq: np.ndarray, blocks: Mapping, paths,
                            *, scheme: str = "path", scaled: bool = True, tol: float = 1e-7,
                            max_iter: int = 300) -> np.ndarray:
    """Index weights (item order of ``blocks``) refitted on a bootstrap replicate.

    ``x`` holds the items of the original rows and ``freq`` each row's number
    of copies in the replicate; the fit is :func:`fit`'s on the resampled
    rows (same standardisation, iterations, sign rule and equal-weight
    fallback, and variance divisor), without building the resampled frame.
    """
    names = list(blocks)
    items = [i for c in names for i in blocks[c]]
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for source, target in paths:
        adj[names.index(source), names.index(target)] = True
    _, sd, cov = _standardise(x, scaled, freq)
    member = _membership(names, items, blocks)
    w = _signed(_iterate(cov, member, adj, scheme, tol, max_iter)[0], cov, scaled,
                float(np.sum(freq)))
    raw = (w * member).sum(axis=1)
    return _index_weights(raw / sd if scaled else raw, member.argmax(axis=1), names)[0]


def _inner(corr: np.ndarray, adj: np.ndarray, scheme: str) -> np.ndarray:
    """Inner weight matrix ``m[k, j]`` (weight of Y_k in Z_j) from the score correlations."""
    link = adj | adj.T
    if scheme == "centroid":
        return np.where(link, np.sign(corr), 0.0)
    if scheme == "factorial":
        return np.where(link, corr, 0.0)
    m = np.where(adj.T, corr, 0.0)  # j -> k: Y_k enters Z_j with corr(j, k)
    for j in range(adj.shape[0]):
        pred = np.flatnonzero(adj[:, j])
        if pred.size:
            m[pred, j] = np.linalg.solve(corr[np.ix_(pred, pred)], corr[pred, j])
    return m


def _finish(data, x, cov, sd, w, member, names, items, adj, blocks, paths, scaled,
            iteration, converged) -> PLSResult:
    """Sign-fix the blocks and derive loadings, paths, effects and index weights (``x``:
    the standardised rows, or their number when only moments are known: no scores)."""
    n = x if data is None else x.shape[0]
    w = _signed(w, cov, True, n)  # unit n - 1 variance: correlations below
    out_w = w if scaled else _signed(w, cov, scaled, n)
    scores = (pd.DataFrame(columns=names, dtype=float) if data is None
              else pd.DataFrame(x @ out_w, index=data.index, columns=names, copy=False))
    wvec = (out_w * member).sum(axis=1)
    block_of = member.argmax(axis=1)
    loadings = (cov @ w)[np.arange(len(items)), block_of] / np.sqrt(np.diag(cov))
    corr = w.T @ cov @ w
    beta = np.zeros_like(corr)
    r2 = {}
    for j in range(len(names)):
        pred = np.flatnonzero(adj[:, j])
        if pred.size:
            b = np.linalg.solve(corr[np.ix_(pred, pred)], corr[pred, j])
            beta[pred, j] = b
            r2[names[j]] = float(b @ corr[pred, j])
    total = np.linalg.inv(np.eye(len(names)) - beta) - np.eye(len(names))
    raw = wvec / sd if scaled else wvec.copy()
    index_w, fallback = _index_weights(raw, block_of, names)
    return PLSResult(
        outer_weights=pd.Series(wvec, index=items, dtype=float),
        loadings=pd.Series(loadings, index=items, dtype=float),
        path_coefficients=pd.Series(
            [beta[names.index(s), names.index(t)] for s, t in paths],
            index=pd.MultiIndex.from_tuples(paths, names=["source", "target"]), dtype=float),
        r2=pd.Series(r2, dtype=float),
        total_effects=pd.Series(
            {(s, t): total[i, j] for i, s in enumerate(names) for j, t in enumerate(names)
             if total[i, j] != 0.0}, dtype=float).rename_axis(["source", "target"]),
        index_weights=pd.Series(index_w, index=items, dtype=float),
        scores=scores,
        iterations=iteration,
        converged=converged,
        blocks=blocks,
        equal_weight_fallback=tuple(fallback),
    )


def _index_weights(raw: np.ndarray, block_of: np.ndarray, names: list[str]):
    """Normalise raw-unit weights to sum 1 per block; equal weights if any <= 0."""
    out = np.empty_like(raw)
    fallback = []
    for j, name in enumerate(names):
        sel = block_of == j
        if np.any(raw[sel] <= 0):
            out[sel] = 1.0 / sel.sum()
            fallback.append(name)
        else:
            out[sel] = raw[sel] / raw[sel].sum()
    return out, fallback
