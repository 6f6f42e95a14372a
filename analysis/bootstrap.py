"""Bootstrap SEs and percentile intervals with item and respondent weights re-estimated.

Each of ``B = settings.bootstrap`` replicates (seed ``settings.seed``)
resamples respondents with replacement within each enterprise (``n_e`` draws
from ``n_e``: Rao & Wu 1988, JASA 83, resampling within strata, here the
enterprises), then redoes what the point estimate did with the resampled rows:
the PLS index weights of every weight pool are refitted (frozen, equal and AHP
weights stay fixed, as in the estimate), respondents rescored, respondent
weights rebuilt (base weights giving each enterprise its configured share,
then raking, trimming and re-raking within sector), and every enterprise,
sector, category and district index of every construct recomputed.
``se_boot`` is the standard deviation of the replicates and
``boot_low``/``boot_high`` their ``settings.ci_level`` percentile interval
(Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 6 and 13).

A replicate is held as copy counts per original row, never as a resampled
frame: PLS moments, raking and means are weighted by the counts, which gives
the same numbers as the resampled rows.

Resampling respondents within enterprises holds the enterprises fixed, so it
estimates the variance of the census design (``design="census"``); with
``design="sample"`` the linearised SE also carries the between-enterprise
variance, which this bootstrap does not.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from analysis import pls
from analysis.item_weights import CONSTRUCTS

CHUNK_CELLS = 4_000_000  # replicates x rows of copy counts held at once


def draw_counts(ent_code: np.ndarray, replicates: int,
                rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Copy counts (replicates x rows) of respondents resampled within their enterprise.

    Each replicate draws, for each enterprise, ``n_e`` of its ``n_e`` rows
    with replacement; yields the counts in chunks of replicates.

    Examples
    --------
    >>> counts = np.vstack(list(draw_counts(np.array([0, 0, 1, 1, 1]), 3,
    ...                                     np.random.default_rng(0))))
    >>> counts.shape, counts[:, :2].sum(axis=1).tolist(), counts[:, 2:].sum(axis=1).tolist()
    ((3, 5), [2.0, 2.0, 2.0], [3.0, 3.0, 3.0])
    """
    n = len(ent_code)
    order = np.argsort(ent_code, kind="stable")
    size = np.bincount(ent_code)
    start = np.r_[0, np.cumsum(size)[:-1]]
    e_sorted = ent_code[order]
    chunk = max(1, CHUNK_CELLS // max(n, 1))
    for first in range(0, replicates, chunk):
        k = min(chunk, replicates - first)
        u = rng.random((k, n))
        pick = order[start[e_sorted] + (u * size[e_sorted]).astype(np.int64)]
        flat = (np.arange(k)[:, None] * n + pick).ravel()
        yield np.bincount(flat, minlength=k * n).reshape(k, n).astype(float)


class _Pool:
    """One weight pool's items as arrays: what a replicate rescoring needs."""

    def __init__(self, members: list, settings):
        first = members[0]
        self.model, self.iw, self.members = first.model, first.iw, members
        self.items = [i for b in self.model["blocks"].values() for i in b]
        self.weights = self.iw.weights.reindex(self.items).to_numpy(float)
        self.refit = self.iw.method == "pls"
        self.x = [f.scored[self.items].to_numpy(float) for f in members]
        self.x_all = np.vstack(self.x)
        self.rows = np.concatenate([f.idx for f in members])
        self.paths = [tuple(p) for p in self.model["paths"]]
        self.cols = [(CONSTRUCTS.index(c), [self.items.index(i) for i in block])
                     for c, block in self.model["blocks"].items()]
        self.unfitted = 0  # replicates where PLS could not be fitted (a constant item)

    def index_weights(self, counts: np.ndarray, settings) -> np.ndarray:
        """The pool's index weights, refitted (PLS) on the replicate's copy counts."""
        if not self.refit:
            return self.weights
        freq = counts[self.rows]
        drawn = freq > 0
        try:
            return pls.replicate_index_weights(
                self.x_all[drawn], freq[drawn], self.model["blocks"], self.paths,
                scheme=settings.scheme, tol=settings.pls_tol, max_iter=settings.pls_max_iter)
        except ValueError:  # an item constant in this replicate: keep the wave's weights
            self.unfitted += 1
            return self.weights

    def score(self, out: np.ndarray, weights: np.ndarray, min_share: float) -> None:
        """:func:`analysis.index.respondent_scores` of the pool's rows, written into ``out``."""
        for f, x in zip(self.members, self.x, strict=True):
            answered = ~np.isnan(x)
            x0 = np.where(answered, x, 0.0)
            for j, cols in self.cols:
                w = weights[cols]
                den = answered[:, cols] @ w
                with np.errstate(invalid="ignore", divide="ignore"):
                    score = (x0[:, cols] @ w) / den
                enough = answered[:, cols].sum(axis=1) >= min_share * len(cols) - 1e-12
                out[f.idx, j] = np.where(enough & (den > 0), score, np.nan)


class _Scorer:
    """Respondent construct scores of a replicate, refitting PLS weights per pool."""

    def __init__(self, fits: dict, n: int, settings):
        self.settings, self.n = settings, n
        by_pool: dict[str, list] = {}
        for fit in fits.values():
            by_pool.setdefault(fit.pool, []).append(fit)
        self.pools = [_Pool(members, settings) for members in by_pool.values()]
        self.fixed = None

    def scores(self, counts: np.ndarray) -> np.ndarray:
        """Scores (rows x constructs); computed once when no pool refits its weights."""
        if self.fixed is not None:
            return self.fixed
        out = np.full((self.n, len(CONSTRUCTS)), np.nan)
        for pool in self.pools:
            pool.score(out, pool.index_weights(counts, self.settings),
                       self.settings.min_answered_share)
        if not any(pool.refit for pool in self.pools):
            self.fixed = out
        return out


def bootstrap_indices(fits: dict, est, plans: list, settings):
    """``level, unit, construct, se_boot, boot_low, boot_high`` of every index.

    ``fits`` are the sector fits of :func:`analysis.compute_wave`, ``est`` its
    :class:`analysis.estimates.UnitEstimates` and ``plans`` its respondent
    weight plans (:func:`analysis.respondent_weights.weight_plans`). Also
    returns, per sector, the number of replicates whose raking had no solution
    (e.g. a dominant enterprise whose resampled respondents cannot meet the
    margins: they keep the last IPF iterate, as R's ``survey::rake`` keeps
    its last iterate with a warning) and whose PLS model could not be fitted
    (an item constant in the replicate: the wave's index weights are used).
    """
    rng = np.random.default_rng(settings.seed)
    n = len(est.w)
    scorer = _Scorer(fits, n, settings)
    reps, unconverged = [], dict.fromkeys((p.sector for p in plans), 0)
    for counts in draw_counts(est.ent_code, settings.bootstrap, rng):
        w = np.zeros(counts.shape)
        for plan in plans:
            w[:, plan.idx], _, converged = plan.weights(counts[:, plan.idx], settings)
            unconverged[plan.sector] += int((~converged).sum())
        for b in range(len(counts)):
            reps.append(est.replicate(scorer.scores(counts[b]), w[b]))
    out = _summarise(np.array(reps), est.replicate_keys(), settings.ci_level)
    report = pd.DataFrame({"boot_rake_unconverged": pd.Series(unconverged),
                           "boot_pls_unfitted": pd.Series(
                               {f.sector: p.unfitted for p in scorer.pools for f in p.members})})
    return out, report.rename_axis("sector")


def _summarise(reps: np.ndarray, keys: pd.DataFrame, level: float) -> pd.DataFrame:
    """Replicate SD and percentile interval per key (replicates x keys)."""
    alpha = (1 - level) / 2
    return keys.assign(se_boot=np.nanstd(reps, axis=0, ddof=1),
                       boot_low=np.nanquantile(reps, alpha, axis=0),
                       boot_high=np.nanquantile(reps, 1 - alpha, axis=0))
