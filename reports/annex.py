"""Data-quality section, methodology annex and quadrant points of the bulletin."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import Settings, WaveResult, methodology_text, quadrants
from reports import words
from reports.fmt import DASH, count, is_number, num
from reports.integration_annex import integration_section


def sector_categories(result: WaveResult) -> pd.Series:
    """Sector -> category: a ``category`` column if the result has one, else inferred.

    Older results lack the column; then the category PSU totals (stratified by
    sector under the sample design) or, failing that, unique category targets
    name each sector's category.
    """
    sectors, cats = result.tables["sectors"], result.tables["categories"]
    if "category" in sectors.columns:
        return sectors.set_index("unit")["category"].astype(str)
    p = result.tables.get("psu_totals")
    if p is not None and len(p):
        cat = p[p["level"] == "category"][["unit", "stratum"]].drop_duplicates("stratum")
        if set(sectors["unit"]) <= set(cat["stratum"]):
            return cat.set_index("stratum")["unit"].astype(str)
    if cats["target"].is_unique:
        by_target = dict(zip(cats["target"], cats["unit"].astype(str), strict=True))
        return pd.Series([by_target.get(t) for t in sectors["target"]], index=sectors["unit"])
    raise ValueError("the result does not say which category each sector belongs to")


def data_quality(result: WaveResult, intake: dict | None = None,
                 locale: str = "zh_CN") -> dict:
    """Responses analysed and scored, exclusions with reasons, flags and model checks."""
    misc = words.MISC[words.check(locale)]
    t = result.tables
    sectors = t["sectors"].set_index("unit")
    weighting = t["weighting"].set_index("sector") if len(t.get("weighting", ())) else None
    rows = []
    for code, s in sectors.iterrows():
        w = weighting.loc[code] if weighting is not None and code in weighting.index else None
        rows.append({"name": words.name(s.to_dict(), locale),
                     "analysed": count(w["n"] if w is not None else s["n"]),
                     "scored": count(s["n"]), "n_eff": num(s["n_eff"], 0),
                     "deff": num(w["deff"], 2) if w is not None else DASH,
                     "margins": (w["margins"] or misc["uncalibrated"]) if w is not None
                     else DASH,
                     "caution": bool(s["caution"]), "published": bool(s["published"])})
    analysed = int(t["weighting"]["n"].sum()) if weighting is not None else None
    scored = int(t["district"]["n"].iloc[0])
    ent = t["enterprises"]
    excluded = [{"level": words.LEVELS[locale].get(r["level"], r["level"]),
                 "unit": str(r["unit"]),
                 "reason": words.EXCLUSIONS[locale].get(r["reason"], r["reason"])}
                for r in t["excluded"].to_dict("records")]
    return {
        "intake": _intake(intake, locale),
        "analysed": count(analysed) if analysed is not None else DASH,
        "scored": count(scored),
        "unscored": count(analysed - scored) if analysed is not None else DASH,
        "sectors": rows, "excluded": excluded,
        "enterprises": count(len(ent)), "published": count(int(ent["published"].sum())),
        "insufficient": count(int(ent["insufficient"].sum())),
        "cautions": [r["name"] for r in rows if r["caution"]],
        "model": _model_checks(t.get("diagnostics"), t.get("item_weights"), locale),
        "integration": integration_section(result, (intake or {}).get("reviewed_gaps")),
    }


def _intake(intake: dict | None, locale: str = "zh_CN") -> dict | None:
    """Received and quarantined responses as supplied by the caller (not in the result)."""
    if not intake:
        return None
    names = words.flags(locale)
    reasons = [{"reason": names.get(str(k), str(k)), "count": count(v)}
               for k, v in (intake.get("reasons") or {}).items()]
    return {"received": count(intake.get("received")),
            "quarantined": count(intake.get("quarantined", 0)), "reasons": reasons}


def _model_checks(diag: pd.DataFrame | None, weights: pd.DataFrame | None,
                  locale: str = "zh_CN") -> dict:
    if diag is None or not len(diag):
        return {"pools": 0, "unconverged": [], "weak_items": 0, "fallback": []}
    unconverged = sorted(set(diag.loc[~diag["converged"].astype(bool), "pool"]))
    fallback = diag[diag["equal_weight_fallback"].astype(bool)]
    weak = int(weights["weak_loading"].sum()) if weights is not None and len(weights) else 0
    return {"pools": int(diag["pool"].nunique()), "unconverged": unconverged,
            "weak_items": weak,
            "fallback": [f"{r['pool']}{words.MISC[locale]['colon']}"
                         f"{words.CONSTRUCTS[locale].get(r['construct'], r['construct'])}"
                         for r in fallback.to_dict("records")]}


def methodology(result: WaveResult, aggregation_weights: Sequence[dict] | None,
                locale: str = "zh_CN") -> dict:
    """Annex: method paragraphs from the settings used, weights, design and precision."""
    settings = Settings.from_dict(result.settings)
    title, *paragraphs = methodology_text(settings, words.check(locale)).split("\n\n")
    t = result.tables
    return {
        "title": title, "paragraphs": paragraphs,
        "item_weights": _item_weights(t["item_weights"], locale),
        "weight_method": settings.weight_method,
        "aggregation": [_weight_row(r, locale) for r in aggregation_weights or ()],
        "design": words.DESIGN[locale][settings.design],
        "sample": {"sectors": count(len(t["sectors"])),
                   "enterprises": count(len(t["enterprises"])),
                   "responses": count(t["district"]["n"].iloc[0])},
        "precision": _precision(t, locale),
        "rule": {"ci_level": f"{settings.ci_level:.0%}",
                 "verdict_level": f"{settings.verdict_level:.0%}",
                 "min_n_eff": num(settings.min_n_eff, 0), "min_df": num(settings.min_df, 0),
                 "caution": num(settings.caution_half_width, 0)},
        "provenance": _provenance(result.provenance, locale),
    }


def _item_weights(iw: pd.DataFrame, locale: str = "zh_CN") -> list[dict]:
    """Mean index weight of each item over the sectors, with its range."""
    if not len(iw):
        return []
    g = iw.groupby(["construct", "item"], sort=False)["index_weight"]
    stats = g.agg(["mean", "min", "max", "size"]).reset_index()
    names = words.CONSTRUCTS[locale]
    return [{"construct": names.get(r["construct"], r["construct"]), "item": r["item"],
             "mean": num(r["mean"], 3), "range": f"{r['min']:.3f}–{r['max']:.3f}",
             "sectors": int(r["size"])} for r in stats.to_dict("records")]


def _weight_row(row: dict, locale: str = "zh_CN") -> dict:
    weight = row.get("weight")
    own = row.get("name_en") if locale == "en" else None
    return {"level": words.LEVELS[locale].get(row.get("level"), row.get("level") or ""),
            "name": str(own or row.get("name") or row.get("unit") or ""),
            "weight": num(weight, 3) if is_number(weight) else DASH,
            "source": words.source(str(row.get("source") or words.MISC[locale]["unstated"]),
                                   locale)}


def _precision(t: dict, locale: str = "zh_CN") -> dict:
    """CI half-widths of district, categories and sectors, and the design effects."""
    def half(frame):
        return (frame["ci_high"] - frame["ci_low"]) / 2
    sec, w = half(t["sectors"]), t.get("weighting")
    return {"district": num(half(t["district"]).iloc[0], 2),
            "categories": [{"name": words.name(r, locale), "half": num(h, 2)}
                           for r, h in zip(t["categories"].to_dict("records"),
                                           half(t["categories"]), strict=True)],
            "sectors_min": num(sec.min(), 2), "sectors_max": num(sec.max(), 2),
            "deff_min": num(w["deff"].min(), 2) if w is not None and len(w) else DASH,
            "deff_max": num(w["deff"].max(), 2) if w is not None and len(w) else DASH}


def _provenance(p: dict, locale: str = "zh_CN") -> dict:
    versions = p.get("versions") or {}
    return {"input": str(p.get("input_sha256", ""))[:16],
            "settings": str(p.get("settings_sha256", ""))[:16],
            "versions": words.MISC[locale]["sep"].join(
                f"{k} {v}" for k, v in sorted(versions.items()))}


def quadrant_points(result: WaveResult, locale: str = "zh_CN") -> list[dict]:
    """Per category: drivers' mean importance and performance over its sectors, quadrants.

    The sectors' construct points (:func:`analysis.quadrants`) are averaged
    unweighted within the category and split again with the wave's rule.
    """
    pr = result.tables.get("priorities")
    if pr is None or not len(pr):
        return []
    pts = pr[pr["level"] == "construct"]
    cat_of = sector_categories(result)
    split = result.settings.get("quadrant_split", "mean")
    out = []
    for c in result.tables["categories"].to_dict("records"):
        sel = pts[cat_of.reindex(pts["sector"]).to_numpy() == c["unit"]]
        if not len(sel):
            continue
        mean = sel.groupby("code", sort=False)[["importance", "performance"]].mean()
        q = quadrants(mean.reset_index(), split=split)
        out.append({"name": words.name(c, locale),
                    "importance_cut": float(q["importance_cut"].iloc[0]),
                    "performance_cut": float(q["performance_cut"].iloc[0]),
                    "points": [{"label": words.CONSTRUCTS[locale].get(r["code"], r["code"]),
                                "importance": float(r["importance"]),
                                "performance": float(r["performance"]),
                                "quadrant": words.QUADRANTS[locale].get(
                                    r["quadrant"], r["quadrant_zh"])}
                               for r in q.to_dict("records")]})
    return out
