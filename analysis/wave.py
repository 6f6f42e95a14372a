"""Compute a wave: item weights, scores, respondent weights, indices, verdicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.bootstrap import bootstrap_indices
from analysis.coding import codes
from analysis.diagnostics import LOADING_FLOOR, model_diagnostics
from analysis.estimates import UnitEstimates, calibration_frame
from analysis.index import respondent_scores
from analysis.item_weights import (
    CONSTRUCTS,
    check_model,
    estimate_item_weights,
    model_items,
    scored_items,
)
from analysis.respondent_weights import enterprise_shares, wave_weights
from analysis.result import WaveResult, provenance
from analysis.settings import Settings
from analysis.tables import (
    add_bootstrap,
    attach_aggregation,
    excluded,
    headline_tables,
    item_means,
    priorities,
)
from analysis.targets import add_targets, normalise_categories


@dataclass(frozen=True)
class SectorFit:
    """Item weights of one sector with its rows and 0-100 item scores."""

    sector: str
    pool: str
    iw: object
    idx: np.ndarray
    scored: pd.DataFrame
    model: dict


def _require(frame: pd.DataFrame, name: str, columns) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks columns: {', '.join(absent)}")


def _select_responses(responses, enterprises, settings, wave):
    """Drop quarantined rows (unless included) and check enterprise and sector codes.

    Returns the rows and their sector codes with the sorted sector levels
    (:func:`analysis.coding.codes`), factorised once for every later step.
    """
    _require(responses, "responses", ["response_id", "enterprise_id", "sector"])
    keep = np.ones(len(responses), bool)
    if wave is not None:
        _require(responses, "responses", ["wave"])
        keep &= (responses["wave"] == wave).to_numpy(bool)
    if "quarantined" in responses.columns and not settings.include_quarantined:
        keep &= ~responses["quarantined"].fillna(False).to_numpy(bool)
    r = responses[keep].reset_index(drop=True) if not keep.all() else responses
    if not len(r):
        raise ValueError("no responses to compute")
    known = pd.Index(enterprises["enterprise_id"])
    pos = known.get_indexer(r["enterprise_id"])
    if np.any(pos < 0):
        bad = sorted(set(r.loc[pos < 0, "enterprise_id"]))[:5]
        raise ValueError(f"responses name unknown enterprises: {bad}")
    sec_code, sec_levels = codes(r["sector"])
    expected = pd.Index(sec_levels).get_indexer(enterprises["sector"].to_numpy(dtype=object))
    if np.any(expected[pos] != sec_code):
        raise ValueError("response sector differs from its enterprise's sector")
    return r, (sec_code, sec_levels)


def compute_wave(
    responses: pd.DataFrame,
    enterprises: pd.DataFrame,
    sectors: pd.DataFrame,
    categories: pd.DataFrame,
    models: dict,
    settings: Settings | None = None,
    *,
    margins: dict | None = None,
    wave: str | None = None,
    baselines: dict[str, WaveResult] | None = None,
) -> WaveResult:
    """Compute every index of a wave with its uncertainty, verdict and priorities.

    Steps (each documented in its module): item weights per sector
    (:mod:`analysis.item_weights`), respondent construct scores
    (:func:`analysis.index.respondent_scores`), raked respondent weights
    (:mod:`analysis.respondent_weights`), Hajek means with linearised SEs
    (:mod:`analysis.design`): enterprises with enterprise strata and
    respondent PSUs; sectors (as pooled respondent means whose weights give
    each enterprise its configured share), categories (``sum_s b_s I_s``) and
    the district (``sum_c g_c sum_s b_cs I_s``) with sector strata and
    enterprise PSUs (``design="sample"``) or enterprise strata
    (``design="census"``). Then target verdicts, publication flags,
    empirical-Bayes ranks and importance-performance quadrants.

    ``categories`` may carry ``family`` (service, product, construction; the district
    aggregates service categories only and ``families`` holds one index per family),
    ``target_kind`` (threshold, improvement, share) and ``target``; ``baselines`` maps a
    category with an improvement target to its baseline wave's result. The ``shares``
    and ``targets`` tables come from :mod:`analysis.targets`.

    Examples
    --------
    >>> from analysis.demo import demo_frames
    >>> frames = demo_frames(seed=1)
    >>> res = compute_wave(*frames, settings=Settings(raking=False))
    >>> sorted(res.tables)[:3]
    ['categories', 'diagnostics', 'district']
    >>> bool(0 <= res.tables["district"]["estimate"].iloc[0] <= 100)
    True
    """
    settings = settings or Settings()
    _require(enterprises, "enterprises", ["enterprise_id", "sector", "weight"])
    _require(sectors, "sectors", ["sector", "category", "weight"])
    _require(categories, "categories", ["category", "target", "weight"])
    given_categories, categories = categories, normalise_categories(categories)
    for code in sectors["sector"]:
        if code not in models:
            raise ValueError(f"no model for sector {code!r}")
        check_model(code, models[code])
    r, sector = _select_responses(responses, enterprises, settings, wave)
    unknown = set(pd.unique(r["sector"])) - set(sectors["sector"])  # missing sectors too
    if unknown:
        raise ValueError(f"responses in sectors missing from the sectors table: {sorted(unknown)}")
    fits, scores, item_tables = _score(r, sector, sectors, models, settings)
    present_e = pd.Index(pd.unique(r["enterprise_id"]))
    shares = (enterprise_shares(enterprises, present_e)
              if settings.aggregation == "enterprise_weights" else None)
    w, base, weighting, plans = wave_weights(r, shares, margins, settings)
    cal_frame, cal_cols = calibration_frame(r, margins if settings.raking else None, sector)
    est = UnitEstimates(r, w, base, cal_frame, cal_cols, shares, sectors, categories, settings,
                        sector=sector)
    indices = est.indices(scores)
    tables = headline_tables(indices, enterprises, sectors, categories, settings)
    tables.update(item_tables)
    tables["indices"] = indices
    tables["weighting"] = weighting
    items = item_means(fits, r, est)
    tables["priorities"] = priorities(fits, models, r, scores, est, settings, items)
    tables["items"] = items
    tables["excluded"] = excluded(indices, enterprises, sectors, categories, r)
    intake = responses if wave is None else responses[responses["wave"] == wave]
    attach_aggregation(tables, intake, enterprises, sectors, categories, shares)
    tables["psu_totals"] = est.psu_table
    if settings.bootstrap:
        add_bootstrap(tables, *bootstrap_indices(fits, est, plans, settings, indices))
    result = WaveResult(tables=tables, settings=settings.to_dict(),
                        provenance=provenance(responses, enterprises, sectors,
                                              given_categories, models, margins, settings,
                                              wave))
    add_targets(result, r, est, enterprises, sectors, categories, baselines, settings)
    return result


def _pools(sec_levels, sectors, models, settings) -> dict:
    """Weight pools: each sector alone, or the sectors of a category together."""
    if settings.weights_pooled_by == "sector":
        return {code: [code] for code in sec_levels}
    category = sectors.set_index("sector")["category"]
    pools = {}
    for code in sec_levels:
        pools.setdefault(str(category[code]), []).append(code)
    for pool, members in pools.items():
        if any(models[c] != models[members[0]] for c in members):
            raise ValueError(f"weights pooled by category need one model for {pool!r}")
    return pools


def _score(r, sector, sectors, models, settings):
    """Item weights per pool and respondent construct scores, sector by sector.

    ``sector`` holds the rows' sector codes and levels (:func:`_select_responses`).
    """
    # column-major, so the frame below takes each construct's column without a copy
    scores = np.full((len(r), len(CONSTRUCTS)), np.nan, order="F")
    weights_rows, diag_rows, path_rows, fits = [], [], [], {}
    items_all = {i for m in models.values() for i in model_items(m)}
    # in the frame's own column order, so the selection is a view, not a copy
    item_frame = r[[c for c in r.columns if c in items_all]]
    sec_code, sec_levels = sector
    order = np.argsort(sec_code, kind="stable")
    bounds = np.searchsorted(sec_code[order], np.arange(len(sec_levels) + 1))
    rows = {code: order[bounds[j]:bounds[j + 1]] for j, code in enumerate(sec_levels)}
    for pool, members in _pools(list(sec_levels), sectors, models, settings).items():
        model = models[members[0]]
        scored = {c: scored_items(item_frame.iloc[rows[c]], model) for c in members}
        pooled = pd.concat(list(scored.values())) if len(members) > 1 else scored[members[0]]
        iw = estimate_item_weights(pooled, model, settings, pool)
        for code in members:
            idx = rows[code]
            fits[code] = SectorFit(code, pool, iw, idx, scored[code], model)
            s = respondent_scores(scored[code], model["blocks"], iw.weights,
                                  {i: (0, 100) for i in pooled.columns},
                                  min_share=settings.min_answered_share)
            for col in s.columns:
                scores[idx, CONSTRUCTS.index(col)] = s[col].to_numpy()
            weights_rows += _weight_rows(code, pool, model, iw)
        if iw.fit is not None:
            diag_rows.append(model_diagnostics(iw.fit, pooled).assign(pool=pool))
            pc, te = iw.fit.path_coefficients, iw.fit.total_effects
            path_rows += [{"pool": pool, "source": a, "target": b, "coefficient": v,
                           "total_effect": float(te.get((a, b), np.nan))}
                          for (a, b), v in pc.items()]
    tables = {
        "item_weights": pd.DataFrame(weights_rows),
        "diagnostics": pd.concat(diag_rows, ignore_index=True) if diag_rows else pd.DataFrame(),
        "paths": pd.DataFrame(path_rows),
    }
    return fits, pd.DataFrame(scores, columns=list(CONSTRUCTS), copy=False), tables


def _weight_rows(code, pool, model, iw):
    rows = []
    for construct, items in model["blocks"].items():
        for item in items:
            fit = iw.fit
            rows.append({
                "sector": code, "pool": pool, "construct": construct, "item": item,
                "index_weight": float(iw.weights[item]), "method": iw.method,
                "outer_weight": float(fit.outer_weights[item]) if fit else np.nan,
                "loading": float(fit.loadings[item]) if fit else np.nan,
                "weak_loading": bool(fit is not None and fit.loadings[item] < LOADING_FLOOR),
                "equal_weight_fallback": construct in iw.fallback,
            })
    return rows


