"""Bootstrap standard errors for PLS-weighted composites (weights re-estimated)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.index import respondent_scores
from analysis.item_weights import estimate_item_weights

HEADLINE = "satisfaction"


def bootstrap_headline(fits: dict, est, settings) -> pd.DataFrame:
    """Bootstrap SE and percentile interval of the headline index of every aggregate unit.

    Each of ``settings.bootstrap`` replicates (seed ``settings.seed``)
    resamples respondents with replacement within each enterprise (n_e draws
    from n_e), re-estimates the item weights of every sector (PLS refitted),
    rescores, and recomputes the sector, category and district composites with
    the respondent weights carried along. ``se_boot`` is the replicate standard
    deviation; ``boot_low``/``boot_high`` the ``settings.ci_level`` percentile
    interval (Efron & Tibshirani 1993, ch. 6 and 13; Rao & Wu 1988, JASA 83,
    for resampling within strata).
    """
    rng = np.random.default_rng(settings.seed)
    ent = est.ent_code
    order = np.argsort(ent, kind="stable")
    counts = np.bincount(ent, minlength=len(est.ent_levels))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    e_sorted = ent[order]
    reps = []
    for _ in range(settings.bootstrap):
        pick = starts[e_sorted] + (rng.random(len(ent)) * counts[e_sorted]).astype(np.int64)
        reps.append(_replicate(fits, est, order[pick], settings))
    reps = np.array(reps)
    alpha = (1 - settings.ci_level) / 2
    labels = est.headline_labels
    return pd.DataFrame({
        "level": [lv for lv, _ in labels], "unit": [u for _, u in labels],
        "se_boot": np.nanstd(reps, axis=0, ddof=1),
        "boot_low": np.nanquantile(reps, alpha, axis=0),
        "boot_high": np.nanquantile(reps, 1 - alpha, axis=0),
    })


def _replicate(fits: dict, est, draw: np.ndarray, settings) -> np.ndarray:
    """Headline composites of one replicate made of the wave's rows ``draw``."""
    y = np.full(len(draw), np.nan)
    local = np.full(len(est.w), -1)
    sector_of_draw = est.sec_code[draw]
    for fit in fits.values():
        local[fit.idx] = np.arange(len(fit.idx))
        mine = np.flatnonzero(sector_of_draw == est.sector_codes.index(fit.sector))
        sample = fit.scored.iloc[local[draw[mine]]]
        iw = estimate_item_weights(sample, fit.model, settings, fit.sector)
        blocks = {HEADLINE: fit.model["blocks"][HEADLINE]}
        s = respondent_scores(sample, blocks, iw.weights, {i: (0, 100) for i in sample.columns},
                              min_share=settings.min_answered_share)
        y[mine] = s[HEADLINE].to_numpy()
    return est.replicate_headline(y, draw)
