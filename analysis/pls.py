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


def _standardise(x: np.ndarray, scaled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Centre (and scale to unit n-1 variance) the columns; missing -> mean."""
    mean = np.nanmean(x, axis=0)
    sd = np.nanstd(x, axis=0, ddof=1)
    if np.any(~(sd > 0)):
        raise ValueError("every PLS item needs a positive variance")
    z = x - mean
    if scaled:
        z = z / sd
    return np.nan_to_num(z), sd


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
    x, sd = _standardise(data[items].to_numpy(dtype=float, na_value=np.nan), scaled)
    n = x.shape[0]
    if n < 3:
        raise ValueError("PLS needs at least 3 rows")
    member = np.zeros((len(items), len(names)))
    for j, c in enumerate(names):
        for i in blocks[c]:
            member[items.index(i), j] = 1.0
    # every step needs only the item covariance matrix (Lohmoeller 1989, ch. 2)
    cov = x.T @ x / (n - 1)
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
    return _finish(data, x, cov, sd, w, member, names, items, adj, blocks, paths, scaled,
                   iteration, converged)


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
    """Sign-fix the blocks and derive loadings, paths, effects and index weights."""
    sign = np.sign(w.sum(axis=0))
    sign[sign == 0] = 1.0
    w = w * sign / np.sqrt(np.einsum("ij,ik,kj->j", w, cov, w))
    y = x @ w
    wvec = (w * member).sum(axis=1)
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
        scores=pd.DataFrame(y, index=data.index, columns=names),
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
