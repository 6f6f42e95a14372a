"""A wave's indices from sufficient statistics aggregated inside the database.

The database returns, per enterprise, the moments of the 0-100 item scores (counts and
sums, then the cross-products of the items centred on their sector means) and,
per enterprise and construct, the count, sum and centred sum of squares of the respondent
scores. Everything here works on those unit-sized arrays and reproduces
:func:`analysis.compute_wave`'s PLS item weights and linearised indices (to rounding) for
the designs it supports (:func:`check_supported`).

Why the statistics suffice, without raking and day caps: each enterprise's respondents
then carry one weight ``w_e``, so

- the mean-replaced covariance of items ``i, j`` over a sector's ``n`` rows is
  ``sum z_i z_j / (n - 1)`` with ``z_i = x_i - m_i`` where answered and 0 where not
  (``m_i``: the item's mean over the rows answering it, a first pass), and Lohmoeller's
  algorithm reads only this and the items' standard deviations;
- an enterprise's Hajek mean is ``ybar_e = sum y / n_e`` over its scored respondents and
  its linearised variance with respondent PSUs ``n_h / (n_h - 1) SS_e / n_e^2``
  (``n_h``: all its respondents, ``SS_e = sum (y - ybar_e)^2``; Woodruff 1971);
- with enterprise PSUs in sector strata, each PSU total of the sector mean's linearised
  variable is ``a_e (ybar_e - ybar_s) / sum a``: one row per enterprise with weight
  ``a_e`` (its configured share) and value ``ybar_e`` gives the same design quantities.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis import design as dsg
from analysis import pls
from analysis.coding import codes
from analysis.diagnostics import LOADING_FLOOR
from analysis.estimates import UnitEstimates
from analysis.item_weights import CONSTRUCTS, ItemWeights

PSU_COLUMNS = ["level", "unit", "construct", "stratum", "psu", "total"]
STAT_COLUMNS = ["enterprise_id", "sector", "construct", "n_all", "n_valid", "total", "ss"]


def check_supported(settings, margins: dict | None) -> None:
    """Raise ValueError for settings the push-down path does not compute (yet)."""
    problems = []
    if settings.raking and margins:
        problems.append("raking to population margins")
    if settings.influence_cap is not None:
        problems.append("the day cap (influence_cap)")
    if settings.design != "sample" or settings.aggregation != "enterprise_weights":
        problems.append("designs other than design='sample', aggregation='enterprise_weights'")
    if settings.bootstrap:
        problems.append("the bootstrap")
    if settings.weights_pooled_by != "sector":
        problems.append("item weights pooled by category")
    if problems:
        raise ValueError("the push-down path does not compute " + ", ".join(problems))


def pair_index(k: int) -> list[tuple[int, int]]:
    """The item pairs ``(i, j)``, ``i <= j``, in the order the moment columns list them."""
    return [(i, j) for i in range(k) for j in range(i, k)]


def means(moments: dict) -> np.ndarray:
    """Item means over the rows answering each item: ``m_i = s_i / n_i``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(moments["s_i"], float) / np.asarray(moments["n_i"], float)


def covariance(n: float, moments: dict) -> tuple[np.ndarray, np.ndarray]:
    """(covariance of the standardised mean-replaced items, their s.d.) from the moments.

    ``moments`` holds ``n_i`` (rows answering item ``i``) and ``c_ij`` (per pair of
    :func:`pair_index`: ``sum z_i z_j`` with ``z_i = x_i - m_i`` when answered, else 0,
    the item means of :func:`means`); ``n`` counts the rows. Then
    ``sd_i = sqrt(c_ii / (n_i - 1))`` (``np.nanstd(ddof=1)``) and
    ``cov_ij = c_ij / ((n - 1) sd_i sd_j)``.
    """
    n_i = np.asarray(moments["n_i"], float)
    k = len(n_i)
    c = np.zeros((k, k))
    for p, (i, j) in enumerate(pair_index(k)):
        c[i, j] = c[j, i] = moments["c_ij"][p]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.diag(c) / (n_i - 1))
        cov = c / (n - 1) / np.outer(sd, sd)
    return cov, sd


def item_weights(n: float, moments: dict, model: dict, settings, pool: str) -> ItemWeights:
    """The pool's index weights as :func:`analysis.item_weights.estimate_item_weights`
    gives them, the PLS fit computed from the moments (:func:`analysis.pls.fit_from_moments`)."""
    cov, sd = covariance(n, moments)
    blocks = model["blocks"]
    fit = None
    if n >= 3 and np.all(sd > 0):
        fit = pls.fit_from_moments(cov, sd, n, blocks, [tuple(p) for p in model["paths"]],
                                   scheme=settings.scheme, tol=settings.pls_tol,
                                   max_iter=settings.pls_max_iter)
    frozen = settings.frozen_weights.get(pool)
    if frozen is not None:
        return ItemWeights(pd.Series(frozen, dtype=float), "frozen", fit)
    if settings.weight_method == "equal":
        return ItemWeights(pd.Series({i: 1.0 / len(items) for items in blocks.values()
                                      for i in items}), "equal", fit)
    if settings.weight_method != "pls":
        raise ValueError("the push-down path computes PLS, equal or frozen item weights")
    if fit is None:
        raise ValueError(f"cannot fit PLS for {pool!r}: too few rows or a constant item")
    return ItemWeights(fit.index_weights, "pls", fit, fit.equal_weight_fallback)


def weight_rows(sector: str, model: dict, iw: ItemWeights) -> list[dict]:
    """Rows of the ``item_weights`` table for one sector (as compute_wave writes them)."""
    rows = []
    for construct, items in model["blocks"].items():
        for item in items:
            rows.append({"sector": sector, "pool": sector, "construct": construct,
                         "item": item, "index_weight": float(iw.weights[item]),
                         "method": iw.method,
                         "outer_weight": float(iw.fit.outer_weights[item]) if iw.fit
                         else np.nan,
                         "loading": float(iw.fit.loadings[item]) if iw.fit else np.nan,
                         "weak_loading": bool(iw.fit is not None
                                              and iw.fit.loadings[item] < LOADING_FLOOR),
                         "equal_weight_fallback": construct in iw.fallback})
    return rows


def indices(stats: pd.DataFrame, shares: pd.Series, sectors: pd.DataFrame,
            categories: pd.DataFrame, settings) -> pd.DataFrame:
    """The ``indices`` table of :func:`analysis.compute_wave` from per-enterprise score
    statistics (:data:`STAT_COLUMNS`): enterprises with respondent PSUs, then sectors,
    categories and the district with enterprise PSUs in sector strata, per construct."""
    sector_codes = list(sectors["sector"])
    parts, psu_parts = [], []
    for construct in CONSTRUCTS:
        part = stats[stats["construct"] == construct].sort_values("enterprise_id")
        if not len(part) or not part["n_valid"].any():
            continue
        ent = _enterprise_rows(part, settings.ci_level)
        agg, psu = _aggregate_rows(part, shares, sector_codes, sectors, categories, settings)
        psu_parts.append(psu.assign(construct=construct)[PSU_COLUMNS])
        for frame in (ent, agg):
            frame.insert(2, "construct", construct)
        parts += [ent, agg]
    out = pd.concat(parts, ignore_index=True)
    if "df_design" in out.columns:
        out["df_design"] = out["df_design"].fillna(out["df"])
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = out[col].clip(0.0, 100.0)
    out = out.dropna(subset=["estimate"]).reset_index(drop=True)
    out.attrs["psu_totals"] = pd.concat(psu_parts, ignore_index=True)
    return out


def _enterprise_rows(part: pd.DataFrame, level: float) -> pd.DataFrame:
    n_all, n = part["n_all"].to_numpy(float), part["n_valid"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(n > 0, part["total"].to_numpy(float) / n, np.nan)
        lam = np.where(n_all > 1, n_all / (n_all - 1), 0.0)
        se = np.sqrt(np.maximum(lam * part["ss"].to_numpy(float) / n**2, 0.0))
    out = pd.DataFrame({"level": "enterprise", "unit": part["enterprise_id"].to_numpy(object),
                        "estimate": estimate, "se": np.where(n > 0, se, np.nan),
                        "df": np.maximum(n - 1, 0.0) if len(n) else n, "n": n,
                        "n_eff": np.where(n > 0, n, np.nan)})
    out["ci_low"], out["ci_high"] = dsg.t_interval(out["estimate"], out["se"], out["df"], level)
    return out[["level", "unit", *dsg.ESTIMATE_COLUMNS]]


def _aggregate_rows(part, shares, sector_codes, sectors, categories, settings):
    """Sector, category and district composites from one row per enterprise, and their
    PSU totals (the ``psu_totals`` rows of this construct, as the in-memory path's)."""
    sec = pd.Index(sector_codes).get_indexer(part["sector"].astype(object))
    ent_code, _levels = codes(part["enterprise_id"])
    n = part["n_valid"].to_numpy(float)
    share = shares.reindex(part["enterprise_id"]).to_numpy(float)
    a = np.where(n > 0, share, 0.0)  # each enterprise's share over its scored respondents
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.where(n > 0, part["total"].to_numpy(float) / n, np.nan)
    design = dsg.prepare_design(a, strata=sec, psu=ent_code)
    has = np.bincount(sec[n > 0], minlength=len(sector_codes)) > 0
    frame = SimpleNamespace(sectors=sectors, categories=categories, sector_codes=sector_codes)
    coef, labels = UnitEstimates._coefficients(frame, has)  # the in-memory path's composites
    small = settings.small_sample
    out = dsg.domain_composites(design, ybar, sec, coef, level=settings.ci_level, weight=a,
                                n_domains=len(sector_codes), small_sample=small,
                                small_sample_seed=settings.seed, psu_totals=True)
    # n and n_eff count respondents: each carries a_e / n_e within its enterprise
    n_s = np.bincount(sec, weights=n, minlength=len(sector_codes))
    big_a = np.bincount(sec, weights=a, minlength=len(sector_codes))
    with np.errstate(invalid="ignore", divide="ignore"):
        w2 = np.bincount(sec, weights=np.where(n > 0, a * a / n, 0.0),
                         minlength=len(sector_codes))
        sum_a2 = coef.multiply(coef) @ np.where(has, w2 / big_a**2, 0.0)
        n_eff = (coef @ has.astype(float)) ** 2 / sum_a2
    out["n"] = (abs(coef) > 0).astype(float) @ n_s
    out["n_eff"] = np.where(out["estimate"].notna(), n_eff, np.nan)
    out.insert(0, "unit", [u for _, u in labels])
    out.insert(0, "level", [lv for lv, _ in labels])
    return out, _psu_rows(design, out.attrs["psu_totals"], labels, _levels, ent_code,
                          sector_codes)


def _psu_rows(design, totals, labels, levels, ent_code, sector_codes) -> pd.DataFrame:
    """One row per unit and PSU with a non-zero total of the unit's linearised variable."""
    stratum = np.asarray(sector_codes, dtype=object)[design.psu_stratum]
    first = np.unique(design.psu, return_index=True)[1]
    psu_id = np.asarray(levels, dtype=object)[ent_code[first]]
    frames = []
    for j, (level, unit) in enumerate(labels):
        nz = totals[:, j] != 0
        frames.append(pd.DataFrame({"level": level, "unit": unit, "stratum": stratum[nz],
                                    "psu": psu_id[nz], "total": totals[nz, j]}))
    return pd.concat(frames, ignore_index=True)

