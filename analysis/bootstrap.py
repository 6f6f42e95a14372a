"""Bootstrap SEs and intervals with item and respondent weights re-estimated.

Each of ``B = settings.bootstrap`` replicates (seed ``settings.seed``)
resamples the wave, then redoes what the point estimate did with the
replicate: the PLS index weights of every weight pool are refitted (frozen,
equal and AHP weights stay fixed, as in the estimate), respondents rescored,
respondent weights rebuilt (base weights giving each enterprise its configured
share, then raking, trimming and re-raking within sector), and every
enterprise, sector, category and district index of every construct
recomputed. ``se_boot`` is the standard deviation of the replicates.

Two resampling stages, matching the two designs of :mod:`analysis.estimates`:

* **respondents within enterprises** (:func:`draw_counts`): ``n_e`` draws from
  the ``n_e`` respondents of each enterprise (Rao & Wu 1988, JASA 83, with the
  enterprises as strata). It holds the enterprises fixed, so it is the
  bootstrap of the census design and of every enterprise index (whose design
  has the enterprise as a stratum of respondents in both designs).
* **enterprises within sectors** (:func:`rao_wu_multipliers`): the Rao-Wu
  rescaled bootstrap of the sample design's PSUs, ``m_h = n_h - 1``
  enterprises drawn with replacement in each sector and the weights of an
  enterprise drawn ``r_e`` times multiplied by ``r_e n_h / (n_h - 1)`` (Rao &
  Wu 1988, sec. 4, with ``f_h = 0``; R ``survey``'s ``subbootstrap``). An
  enterprise's respondents come along as drawn, unresampled: with the
  first-stage fraction taken as 0 (the linearisation's with-replacement
  approximation) the respondent stage of a two-stage Rao-Wu bootstrap has
  weight ``f_h = 0`` for sector, category and district indices (their PSU
  totals already carry the within-enterprise variance), and resampling
  respondents as well would count it twice. For a linear index the ideal
  (``B = infinity``) variance equals the linearised one exactly.

``bootstrap_scheme="by_design"`` (the default) takes, with ``design="sample"``,
the enterprise stage for sector, category and district indices and the
respondent stage (a second set of ``B`` replicates) for enterprise indices;
with ``design="census"`` the respondent stage for all. Intervals: the
``settings.ci_level`` percentile interval of the respondent-stage replicates
(Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 6 and 13);
for enterprise-stage units ``estimate -/+ t_{df, (1+level)/2} se_boot`` on the
design degrees of freedom (enterprises minus sectors, ``df_design``), as the
linearised interval, since with ten enterprises a percentile interval's
normal quantile would under-cover (``P(|t_9| < 1.96) = 0.918``), clipped to
[0, 100].

A replicate is held as copy counts (or Rao-Wu multipliers) per original row,
never as a resampled frame: PLS moments, raking and means are weighted by the
counts, which gives the same numbers as the resampled rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import stats

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


def rao_wu_multipliers(stratum: np.ndarray, replicates: int,
                       rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Rao-Wu rescaled-bootstrap multipliers (replicates x PSUs), ``m_h = n_h - 1``.

    In each stratum with ``n_h >= 2`` PSUs, ``n_h - 1`` PSUs are drawn with
    replacement; one drawn ``r_i`` times gets ``r_i n_h / (n_h - 1)`` (Rao & Wu
    1988, JASA 83, eq. 4.1 with ``m_h = n_h - 1``, ``f_h = 0``, so
    ``lambda_h = 1``; R ``survey::subbootweights``). A stratum's multipliers
    sum to ``n_h``; a single-PSU stratum keeps multiplier 1 (a certainty PSU,
    as the linearisation's lonely-PSU rule). ``stratum`` gives each PSU's
    stratum code; yields the multipliers in chunks of replicates.

    Examples
    --------
    >>> m = np.vstack(list(rao_wu_multipliers(np.array([0, 0, 0, 1]), 4,
    ...                                       np.random.default_rng(0))))
    >>> m[:, :3].sum(axis=1).tolist(), m[:, 3].tolist()
    ([3.0, 3.0, 3.0, 3.0], [1.0, 1.0, 1.0, 1.0])
    >>> sorted(set((m[:, :3] / 1.5).ravel().tolist())) <= [0.0, 1.0, 2.0]
    True
    """
    stratum = np.asarray(stratum)
    if stratum.ndim != 1 or not np.issubdtype(stratum.dtype, np.integer) or \
            (len(stratum) and stratum.min() < 0):
        raise ValueError("stratum must be a 1-d array of non-negative integer codes")
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    n_psu = len(stratum)
    order = np.argsort(stratum, kind="stable")
    size = np.bincount(stratum)
    start = np.r_[0, np.cumsum(size)[:-1]]
    many = np.flatnonzero(size > 1)
    slot = np.repeat(many, size[many] - 1)  # the stratum of each of the m_h draws
    scale = (size / np.maximum(size - 1, 1))[stratum]
    single = size[stratum] == 1
    chunk = max(1, CHUNK_CELLS // max(n_psu, 1))
    for first in range(0, replicates, chunk):
        k = min(chunk, replicates - first)
        u = rng.random((k, len(slot)))
        pick = order[start[slot] + (u * size[slot]).astype(np.int64)]
        flat = (np.arange(k)[:, None] * n_psu + pick).ravel()
        out = np.bincount(flat, minlength=k * n_psu).reshape(k, n_psu) * scale
        out[:, single] = 1.0
        yield out


def bootstrap_indices(fits: dict, est, plans: list, settings,
                      indices: pd.DataFrame | None = None):
    """``level, unit, construct, se_boot, boot_low, boot_high`` of every index.

    ``fits`` are the sector fits of :func:`analysis.compute_wave`, ``est`` its
    :class:`analysis.estimates.UnitEstimates`, ``plans`` its respondent
    weight plans (:func:`analysis.respondent_weights.weight_plans`) and
    ``indices`` its linearised estimates (needed for the enterprise stage's
    t intervals). The scheme is ``settings.resolved_bootstrap_scheme`` (see
    the module docstring). Also returns, per sector, the number of
    replicates (of both stages) whose raking had no solution (e.g. a dominant
    enterprise whose resampled respondents cannot meet the margins: they keep
    the last IPF iterate, as R's ``survey::rake`` keeps its last iterate with
    a warning) and whose PLS model could not be fitted (an item constant in
    the replicate: the wave's index weights are used).
    """
    scheme = settings.resolved_bootstrap_scheme
    if scheme == "rao_wu" and indices is None:
        raise ValueError("the Rao-Wu bootstrap needs the linearised indices for its intervals")
    rng = np.random.default_rng(settings.seed)
    scorer = _Scorer(fits, len(est.w), settings)
    keys = est.replicate_keys()
    unconverged = dict.fromkeys((p.sector for p in plans), 0)
    ent = (keys["level"] == "enterprise").to_numpy() if scheme == "rao_wu" \
        else np.ones(len(keys), bool)
    within = _replicates(est, plans, scorer, settings, unconverged, ent,
                         ((c, None) for c in draw_counts(est.ent_code, settings.bootstrap, rng)))
    out = [_summarise(within, keys[ent], settings.ci_level)]
    if scheme == "rao_wu":
        chunks = rao_wu_multipliers(est.enterprise_sector, settings.bootstrap, rng)
        between = _replicates(est, plans, scorer, settings, unconverged, ~ent,
                              ((m[:, est.ent_code], m) for m in chunks))
        out.append(_t_intervals(between, keys[~ent], indices, settings.ci_level))
    report = pd.DataFrame({"boot_rake_unconverged": pd.Series(unconverged),
                           "boot_pls_unfitted": pd.Series(
                               {f.sector: p.unfitted for p in scorer.pools for f in p.members})})
    boot = pd.concat(out).sort_index().reset_index(drop=True)
    return boot, report.rename_axis("sector")


def _replicates(est, plans, scorer, settings, unconverged, keep, chunks) -> np.ndarray:
    """Replicate estimates (replicates x kept keys) of chunks of row counts.

    A chunk is ``(counts, None)`` for respondent copy counts, or ``(row
    multipliers, enterprise multipliers)`` for the Rao-Wu enterprise stage.
    """
    reps = []
    for counts, multiplier in chunks:
        w = np.zeros(counts.shape)
        for plan in plans:
            w[:, plan.idx], _, converged = plan.weights(
                counts[:, plan.idx], settings, resampled_enterprises=multiplier is not None)
            unconverged[plan.sector] += int((~converged).sum())
        for b in range(len(counts)):
            m = None if multiplier is None else multiplier[b]
            reps.append(est.replicate(scorer.scores(counts[b]), w[b], m)[keep])
    return np.array(reps)


def _summarise(reps: np.ndarray, keys: pd.DataFrame, level: float) -> pd.DataFrame:
    """Replicate SD and percentile interval per key (replicates x keys)."""
    alpha = (1 - level) / 2
    return keys.assign(se_boot=np.nanstd(reps, axis=0, ddof=1),
                       boot_low=np.nanquantile(reps, alpha, axis=0),
                       boot_high=np.nanquantile(reps, 1 - alpha, axis=0))


def _t_intervals(reps: np.ndarray, keys: pd.DataFrame, indices: pd.DataFrame,
                 level: float) -> pd.DataFrame:
    """Replicate SD and ``estimate -/+ t_df se_boot`` on the design df, clipped to [0, 100]."""
    key = ["level", "unit", "construct"]
    df_col = "df_design" if "df_design" in indices.columns else "df"
    lin = keys.merge(indices[key + ["estimate", df_col]], on=key, how="left")
    se = np.nanstd(reps, axis=0, ddof=1)
    df = lin[df_col].to_numpy(float)
    with np.errstate(invalid="ignore"):
        q = np.where(df >= 1, stats.t.ppf((1 + level) / 2, np.maximum(df, 1)), np.nan)
    est = lin["estimate"].to_numpy(float)
    return keys.assign(se_boot=se, boot_low=np.clip(est - q * se, 0.0, 100.0),
                       boot_high=np.clip(est + q * se, 0.0, 100.0))
