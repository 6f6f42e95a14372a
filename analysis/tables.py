"""Headline tables of a wave: verdicts, flags, ranks, priorities, exclusions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.index import rescale_items
from analysis.priorities import driver_points, quadrants
from analysis.shrinkage import percentile_rank, shrink
from analysis.verdict import publication_flags, target_verdicts

HEADLINE = "satisfaction"
LEVELS = ("district", "category", "sector", "enterprise")


def headline_tables(indices, enterprises, sectors, categories, settings):
    """District, category, sector and enterprise tables of the headline index.

    Threshold verdicts (:func:`analysis.verdict.target_verdicts`) apply to categories
    whose ``target_kind`` is ``threshold`` (all when the column is absent) and to their
    sectors; units of other kinds get a NaN target and no verdict.
    """
    head = indices[indices["construct"] == HEADLINE].drop(columns="construct")
    flags_kw = dict(min_n_eff=settings.min_n_eff, min_df=settings.min_df,
                    caution_half_width=settings.caution_half_width)
    out = {}
    for level in LEVELS:
        t = head[head["level"] == level].drop(columns="level").reset_index(drop=True)
        t = pd.concat([t, publication_flags(t, **flags_kw)], axis=1)
        out[level] = t
    cat_target = categories.set_index("category")["target"].astype(float)
    if "target_kind" in categories.columns:  # other kinds are judged in analysis.targets
        cat_target = cat_target.where(
            categories.set_index("category")["target_kind"].eq("threshold"))
    sec_cat = sectors.set_index("sector")["category"]
    verdict_rows = pd.concat([
        out["category"].assign(target=lambda t: cat_target.reindex(t["unit"]).to_numpy()),
        out["sector"].assign(target=lambda t: cat_target.reindex(
            sec_cat.reindex(t["unit"])).to_numpy()),
    ], ignore_index=True)
    v = target_verdicts(verdict_rows, verdict_rows["target"].to_numpy(),
                        level=settings.verdict_level, published=verdict_rows["published"])
    n_cat = len(out["category"])
    out["category"] = _with(out["category"], v.iloc[:n_cat], categories, "category")
    out["sector"] = _with(out["sector"], v.iloc[n_cat:], sectors, "sector")
    out["enterprise"], ranking = _ranked(out["enterprise"], enterprises)
    out["sector"] = out["sector"].join(ranking, on="unit")
    out["sector"]["ranking_tied"] = out["sector"]["ranking_tied"].eq(True)
    return {"district": out["district"], "categories": out["category"],
            "sectors": out["sector"], "enterprises": out["enterprise"]}


def _with(table, verdicts, frame, key):
    names = frame.set_index(key)[[c for c in ("name_zh", "name_en") if c in frame.columns]]
    t = table.join(names, on="unit")
    return pd.concat([t, verdicts.reset_index(drop=True)], axis=1)


def _ranked(ent, enterprises):
    """Shrunk estimates and percentile ranks of enterprises within their sector.

    Tie rule: when a sector's between-enterprise variance estimate ``tau^2``
    (:func:`analysis.shrinkage.shrink`) is 0, every shrunk estimate equals the
    sector mean and no enterprise can be ranked above another; with at least
    two published enterprises the sector is ``ranking_tied`` and their
    ``percentile_rank`` and ``league_position`` stay missing (not 50, not
    1). Returns the enterprise table and, per sector, ``ranking_tau2``,
    ``ranking_published`` and ``ranking_tied``.
    """
    info = enterprises.set_index("enterprise_id")
    ent = ent.assign(sector=info["sector"].reindex(ent["unit"]).to_numpy(),
                     name=info["name"].reindex(ent["unit"]).to_numpy()
                     if "name" in info.columns else None)
    ent["shrunk"], ent["percentile_rank"], ent["league_position"] = np.nan, np.nan, np.nan
    ent["ranking_tied"] = False
    rows = {}
    for sector, idx in ent.groupby("sector").groups.items():
        t = ent.loc[idx]
        s, _, tau2 = shrink(t["estimate"], t["se"])
        ent.loc[idx, "shrunk"] = s
        eligible = t["published"].to_numpy(bool) & np.isfinite(s)
        tied = bool(tau2 == 0.0 and eligible.sum() >= 2)
        rows[sector] = {"ranking_tau2": tau2, "ranking_published": int(eligible.sum()),
                        "ranking_tied": tied}
        if tied:
            ent.loc[idx, "ranking_tied"] = True
            continue
        ent.loc[idx, "percentile_rank"] = percentile_rank(s, t["published"])
        ent.loc[idx, "league_position"] = pd.Series(-s, index=idx).where(
            t["published"]).rank(method="min")
    ranking = pd.DataFrame.from_dict(rows, orient="index",
                                     columns=["ranking_tau2", "ranking_published",
                                              "ranking_tied"])
    return ent, ranking


def priorities(fits, models, r, scores, est, settings, items):
    """Importance-performance points per sector (constructs and items).

    Performance is the weighted construct mean of the sector and, for items, the
    model item's mean from the ``items`` table of :func:`item_means`.
    """
    frames = []
    all_scores = scores.to_numpy(float)  # once, not one 1M-row copy per sector
    column = {c: j for j, c in enumerate(scores.columns)}
    item_mean = items[items["in_model"]].set_index(["sector", "item"])["mean"]
    for code, fit in fits.items():
        iw, idx, scored, model = fit.iw, fit.idx, fit.scored, fit.model
        if iw.fit is None:
            continue
        w = est.w[idx]
        blocks = list(model["blocks"])
        perf = pd.Series(np.r_[_wmeans(all_scores[idx][:, [column[b] for b in blocks]], w),
                               item_mean.loc[code].reindex(scored.columns).to_numpy()],
                         index=blocks + list(scored.columns))
        pts = driver_points(iw.fit.total_effects, iw.weights, model["blocks"], perf)
        for level in ("construct", "item"):
            sel = pts[pts["level"] == level]
            if len(sel):
                frames.append(quadrants(sel, split=settings.quadrant_split).assign(sector=code))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def item_means(fits, r, est) -> pd.DataFrame:
    """0-100 weighted item means per sector, model items and reported extra items.

    Extra items (``model["extra_items"]``, e.g. complaint handling) are not in
    the PLS model; they are rescaled with their declared scale and reported.
    """
    rows = []
    for code, fit in fits.items():
        model, w = fit.model, est.w[fit.idx]
        extra = {i: c for c, items in model.get("extra_items", {}).items() for i in items
                 if i in r.columns}
        scored = fit.scored
        if extra:
            extra_scored = rescale_items(r[list(extra)].iloc[fit.idx],
                                         {i: model["scales"][i] for i in extra},
                                         reverse=[i for i in model.get("reverse", ())
                                                  if i in extra])
            scored = pd.concat([scored, extra_scored], axis=1)
        construct_of = {i: c for c, items in model["blocks"].items() for i in items} | extra
        x = scored.to_numpy(float)
        means, answered = _wmeans(x, w), (~np.isnan(x)).sum(axis=0)
        rows += [{"sector": code, "item": item, "construct": construct_of[item],
                  "in_model": item not in extra, "mean": float(m), "n": int(k)}
                 for item, m, k in zip(scored.columns, means, answered, strict=True)]
    return pd.DataFrame(rows)


def _wmeans(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Column-wise weighted means over the non-missing rows."""
    ok = ~np.isnan(y)
    # float counts, not the bool mask: a float @ bool product skips BLAS (~2x slower)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ np.where(ok, y, 0.0)) / (w @ ok.astype(float))


def add_bootstrap(tables, boot, report):
    """Join bootstrap SEs and intervals to ``indices`` and the headline tables.

    ``report`` (per sector: replicates whose raking or PLS fit failed) joins
    the ``weighting`` table.
    """
    tables["weighting"] = tables["weighting"].join(report, on="sector")
    key = ["level", "unit", "construct"]
    tables["indices"] = tables["indices"].merge(boot, on=key, how="left")
    head = boot[boot["construct"] == HEADLINE].drop(columns="construct")
    for name, level in (("district", "district"), ("categories", "category"),
                        ("sectors", "sector"), ("enterprises", "enterprise")):
        b = head[head["level"] == level].drop(columns="level")
        tables[name] = tables[name].merge(b, on="unit", how="left")


def attach_aggregation(tables, responses, enterprises, sectors, categories, shares):
    """Add each unit's aggregation weights and intake counts to the headline tables.

    ``weight`` is the configured weight (enterprise customer volume or revenue, sector
    value-added share, category weight) and ``weight_share`` the share actually used:
    normalised over the units *with data* in the parent (enterprises within their sector,
    sectors within their category, categories within their family — the district for
    services). ``received`` counts the
    responses given to the computation and ``quarantined`` those set aside by the quality
    checks (included or not, as the settings say); ``n`` stays the count analysed.
    """
    r = responses
    quarantined = (r["quarantined"].fillna(False).astype(bool) if "quarantined" in r.columns
                   else pd.Series(False, index=r.index))
    sector_of = enterprises.set_index("enterprise_id")["sector"]
    r_sector = r["sector"] if "sector" in r.columns else sector_of.reindex(r["enterprise_id"])
    category_of = sectors.set_index("sector")["category"]
    counts = {
        "enterprise": _intake(r["enterprise_id"], quarantined),
        "sector": _intake(pd.Series(np.asarray(r_sector), index=r.index), quarantined),
    }
    counts["category"] = counts["sector"].groupby(category_of.reindex(
        counts["sector"].index).to_numpy()).sum()
    ent = tables["enterprises"]
    if shares is not None:
        ent["weight"] = enterprises.set_index("enterprise_id")["weight"].reindex(
            ent["unit"]).to_numpy(float)
        ent["weight_share"] = shares.reindex(ent["unit"]).to_numpy(float)
    sec = tables["sectors"]
    sec["category"] = category_of.reindex(sec["unit"]).to_numpy()
    sec["weight"] = sectors.set_index("sector")["weight"].reindex(sec["unit"]).to_numpy(float)
    sec["weight_share"] = sec["weight"] / sec.groupby("category")["weight"].transform("sum")
    cat = tables["categories"]
    cat["weight"] = categories.set_index("category")["weight"].reindex(
        cat["unit"]).to_numpy(float)
    family = family_of(categories, cat["unit"])
    cat["weight_share"] = cat["weight"] / cat["weight"].groupby(family).transform("sum")
    for name, level in (("enterprises", "enterprise"), ("sectors", "sector"),
                        ("categories", "category")):
        t, c = tables[name], counts[level]
        for col in ("received", "quarantined"):
            t[col] = c[col].reindex(t["unit"]).fillna(0).to_numpy(int)
    service = counts["category"].index[family_of(categories, counts["category"].index)
                                         == "service"]
    for col in ("received", "quarantined"):
        tables["district"][col] = int(counts["category"].loc[service, col].sum())


def family_of(categories: pd.DataFrame, codes) -> np.ndarray:
    """Family of each category code (``service`` when the frame has no ``family``)."""
    if "family" not in categories.columns:
        return np.full(len(codes), "service", dtype=object)
    return categories.set_index("category")["family"].reindex(codes).to_numpy(dtype=object)


def _intake(unit: pd.Series, quarantined: pd.Series) -> pd.DataFrame:
    """Responses received and quarantined per unit."""
    code, levels = pd.factorize(unit)
    ok = code >= 0
    return pd.DataFrame({
        "received": np.bincount(code[ok], minlength=len(levels)),
        "quarantined": np.bincount(code[ok], weights=quarantined.to_numpy(float)[ok],
                                   minlength=len(levels)).astype(int),
    }, index=pd.Index(levels, dtype=object))


def excluded(indices, enterprises, sectors, categories, r):
    """Units with no data for the headline index: excluded and disclosed."""
    head = indices[indices["construct"] == HEADLINE]
    rows = []
    for level, codes_, reason in (
        ("enterprise", enterprises["enterprise_id"], "no responses"),
        ("sector", sectors["sector"], "no responses"),
        ("category", categories["category"], "no sector with data"),
    ):
        have = set(head.loc[head["level"] == level, "unit"])
        rows += [{"level": level, "unit": c, "reason": reason} for c in codes_ if c not in have]
    return pd.DataFrame(rows, columns=["level", "unit", "reason"])
