"""Targets of more than one kind: thresholds, improvement over a baseline, share satisfied.

A category's ``target_kind`` says how its units are judged:

- ``threshold``: the index against a floor (``target``, e.g. 85), by
  :func:`analysis.verdict.target_verdicts` in the headline tables;
- ``improvement``: the change of the index since a baseline wave, ``delta = I - I_0``,
  against a minimum improvement ``target`` (usually 0), by a one-sided t test;
- ``share``: the weighted percentage of respondents whose overall satisfaction
  (item :data:`SATISFIED_ITEM`, 1-10) is at least :data:`SATISFIED_FROM`, against the
  required percentage ``target``.

Both non-threshold kinds reuse :func:`analysis.verdict.target_verdicts` on their own
statistic, so the three states mean the same everywhere: ``met`` when the
two-sided ``verdict_level`` interval lies at or above the target, i.e. the one-sided
test of ``H0: theta <= target`` rejects at ``alpha = (1 - verdict_level) / 2``
(0.05 for the default 0.90); ``not_met`` when the opposite one-sided test rejects
(significantly below the target, for improvement: significantly declined); else
``not_different``. An improvement unit without a baseline estimate is ``no_baseline``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.change import change
from analysis.estimates import HEADLINE
from analysis.result import WaveResult
from analysis.verdict import VERDICTS, publication_flags, target_verdicts

FAMILY_CODES = ("service", "product", "construction")
KINDS = ("threshold", "improvement", "share")
SATISFIED_ITEM = "sat_overall"  # the overall-satisfaction item of every core instrument
SATISFIED_FROM = 8.0  # "satisfied": 8, 9 or 10 on the 1-10 scale
SHARE = "share_satisfied"
LABELS = {
    "improvement": {"met": ("显著提高", "significantly improved"),
                    "not_met": ("显著下降", "significantly declined"),
                    "not_different": ("无显著变化", "no significant change"),
                    "no_baseline": ("无基期数据", "no baseline")},
    "share": VERDICTS,
}
TARGET_COLUMNS = ["level", "unit", "category", "family", "kind", "target", "estimate", "se",
                  "df", "baseline_estimate", "change", "se_change", "se_method", "statistic",
                  "p_one_sided", "verdict", "verdict_zh", "verdict_en"]


def normalise_categories(categories: pd.DataFrame) -> pd.DataFrame:
    """Categories with checked ``target_kind`` (default threshold) and ``family``.

    ``family`` stays absent when not given (then every category is a service one);
    an improvement target defaults to 0 points; a share target must lie in 0-100.
    """
    cat = categories.copy()
    kind = (cat["target_kind"] if "target_kind" in cat.columns
            else pd.Series("threshold", index=cat.index)).fillna("threshold")
    bad = sorted(set(kind) - set(KINDS))
    if bad:
        raise ValueError(f"unknown target kinds {bad}; use one of {KINDS}")
    cat["target_kind"] = kind.astype(object)
    if "family" in cat.columns:
        cat["family"] = cat["family"].fillna("service").astype(object)
        bad = sorted(set(cat["family"]) - set(FAMILY_CODES))
        if bad:
            raise ValueError(f"unknown families {bad}; use one of {FAMILY_CODES}")
    target = pd.to_numeric(cat["target"], errors="coerce").astype(float)
    target = target.where(~(kind.eq("improvement") & target.isna()), 0.0)
    share = kind.eq("share")
    if (share & ~target.between(0, 100)).any():
        raise ValueError("a share target must be a percentage between 0 and 100")
    if (kind.eq("threshold") & target.isna()).any():
        raise ValueError("a threshold target needs a number")
    cat["target"] = target
    return cat


def satisfied_indicator(responses: pd.DataFrame, item: str = SATISFIED_ITEM,
                        cut: float = SATISFIED_FROM) -> np.ndarray:
    """``100 * 1[x >= cut]`` per response (NaN where the item is unanswered or absent).

    Scaled by 100 so that its Hajek mean is a percentage on the indices' 0-100 scale.
    """
    if item not in responses.columns:
        return np.full(len(responses), np.nan)
    x = pd.to_numeric(responses[item], errors="coerce").to_numpy(float)
    return np.where(np.isnan(x), np.nan, 100.0 * (x >= cut))


def share_table(est, responses: pd.DataFrame) -> pd.DataFrame:
    """Share satisfied (percent) with its design-based SE and CI at every level.

    The indicator ``z_i = 100 * 1[sat_overall_i >= 8]`` is estimated exactly as an
    index (:meth:`analysis.estimates.UnitEstimates.indices`): enterprise Hajek ratios
    ``p_e = sum w_i z_i / sum w_i`` with respondent PSUs; sectors, categories, the
    district and families as the same fixed-weight composites with enterprise PSUs in
    sector strata, linearised variances and the small-sample correction when set.
    """
    z = pd.DataFrame({SHARE: satisfied_indicator(responses)})
    if np.all(np.isnan(z[SHARE])):
        return pd.DataFrame(columns=["level", "unit", "estimate", "se", "df"])
    out = est.indices(z, record=False).drop(columns="construct")
    return out.reset_index(drop=True)


def family_table(indices: pd.DataFrame, settings) -> pd.DataFrame:
    """One headline index per family (``level == "family"`` rows) with publication flags.

    Without family rows (categories without a ``family`` column: all service) the
    service family is the district index itself.
    """
    head = indices[indices["construct"] == HEADLINE].drop(columns="construct")
    t = head[head["level"] == "family"]
    if not len(t):
        t = head[head["level"] == "district"].assign(unit="service")
    t = t.drop(columns="level").reset_index(drop=True)
    flags = publication_flags(t, min_n_eff=settings.min_n_eff, min_df=settings.min_df,
                              caution_half_width=settings.caution_half_width)
    return pd.concat([t, flags], axis=1)


def _units(tables, enterprises, sectors, categories) -> pd.DataFrame:
    """Category, sector and enterprise rows of every non-threshold category."""
    cat = categories.set_index("category")
    sector_cat = sectors.set_index("sector")["category"]
    ent_sector = enterprises.set_index("enterprise_id")["sector"]
    rows = [("category", tables["categories"]["unit"], lambda u: u),
            ("sector", tables["sectors"]["unit"], lambda u: sector_cat.reindex(u).to_numpy()),
            ("enterprise", tables["enterprises"]["unit"],
             lambda u: sector_cat.reindex(ent_sector.reindex(u)).to_numpy())]
    frames = [pd.DataFrame({"level": level, "unit": units.to_numpy(dtype=object),
                            "category": np.asarray(of(units), dtype=object)})
              for level, units, of in rows]
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = cat["target_kind"].reindex(out["category"]).to_numpy(dtype=object)
    out["family"] = (cat["family"].reindex(out["category"]).to_numpy(dtype=object)
                     if "family" in cat.columns else "service")
    out["target"] = cat["target"].reindex(out["category"]).to_numpy(float)
    return out[out["kind"].isin(("improvement", "share"))].reset_index(drop=True)


def improvement(current: WaveResult, baseline: WaveResult | None, units: pd.DataFrame,
                *, level: float = 0.90) -> pd.DataFrame:
    """Change of the headline index since the baseline wave and its one-sided test.

    ``change = I - I_0`` with ``se_change`` from :func:`analysis.change.change`:
    ``sqrt(se^2 + se_0^2)`` for independent samples, or the joint ultimate-cluster
    variance of the PSU-total differences when the same enterprises are PSUs in both
    waves (their covariance included); ``df = min(df, df_0)``.
    ``statistic = (change - target) / se_change``; ``p_one_sided = P(T_df >= |t|)``, in
    the direction of the gap (:func:`analysis.verdict.target_verdicts`); ``met`` when
    ``H0: change <= target`` is rejected at ``alpha = (1 - level) / 2``, ``not_met`` when
    ``H0: change >= target`` is, else ``not_different``; ``no_baseline`` when the unit
    has no estimate in the baseline wave.
    """
    cols = ["level", "unit", "estimate", "se", "df"]
    out = units.merge(_headline(current)[cols], on=["level", "unit"], how="left")
    out[["baseline_estimate", "change", "se_change", "statistic", "p_one_sided"]] = np.nan
    out["se_method"], out["verdict"] = None, "no_baseline"
    if baseline is None or not len(out):
        return out
    d = change(_subset(baseline, units), _subset(current, units))
    d = d[["level", "unit", "estimate_1", "delta", "se", "df", "method"]].set_axis(
        ["level", "unit", "baseline_estimate", "change", "se_change", "df_change",
         "se_method"], axis=1)
    m = out.drop(columns=["baseline_estimate", "change", "se_change", "se_method"]).merge(
        d, on=["level", "unit"], how="left")
    has = m["change"].notna().to_numpy()
    v = target_verdicts(pd.DataFrame({"estimate": m["change"], "se": m["se_change"],
                                      "df": m["df_change"]}), m["target"].to_numpy(float),
                        level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        m["statistic"] = (m["change"] - m["target"]) / m["se_change"]
    m["p_one_sided"] = v["p_one_sided"]
    m["verdict"] = np.where(has, v["verdict"].to_numpy(dtype=object), "no_baseline")
    return m.drop(columns="df_change")


def _headline(result: WaveResult) -> pd.DataFrame:
    idx = result.tables["indices"]
    return idx[idx["construct"] == HEADLINE]


def _subset(result: WaveResult, units: pd.DataFrame) -> WaveResult:
    """Only the headline rows of the judged units (keeps the joint variance cheap)."""
    keys = pd.MultiIndex.from_frame(units[["level", "unit"]].astype(object))

    def pick(t):
        if t is None or not len(t):
            return t
        t = t[t["construct"] == HEADLINE]
        return t[pd.MultiIndex.from_frame(t[["level", "unit"]].astype(object)).isin(keys)]

    tables = {"indices": pick(result.tables["indices"]),
              "psu_totals": pick(result.tables.get("psu_totals"))}
    return WaveResult(tables=tables, settings=result.settings)


def share_targets(shares: pd.DataFrame, units: pd.DataFrame, *,
                  level: float = 0.90) -> pd.DataFrame:
    """Share satisfied against the required percentage, judged like a threshold.

    ``statistic = (p - target) / se(p)`` on the share's df; verdict and one-sided p from
    :func:`analysis.verdict.target_verdicts` at ``level``.
    """
    out = units.merge(shares[["level", "unit", "estimate", "se", "df"]],
                      on=["level", "unit"], how="left")
    v = target_verdicts(out, out["target"].to_numpy(float), level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["statistic"] = (out["estimate"] - out["target"]) / out["se"]
    out["p_one_sided"], out["verdict"] = v["p_one_sided"], v["verdict"]
    return out


def target_table(result: WaveResult, enterprises, sectors, categories, baselines,
                 settings) -> pd.DataFrame:
    """``targets``: one row per category, sector and enterprise of a non-threshold kind."""
    units = _units(result.tables, enterprises, sectors, categories)
    parts = []
    for code, rows in units.groupby("category", sort=False):
        kind = rows["kind"].iloc[0]
        if kind == "improvement":
            base = (baselines or {}).get(code)
            parts.append(improvement(result, base, rows, level=settings.verdict_level))
        else:
            parts.append(share_targets(result.tables["shares"], rows,
                                       level=settings.verdict_level))
    if not parts:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    out = pd.concat(parts, ignore_index=True).reindex(columns=TARGET_COLUMNS)
    for j, col in ((0, "verdict_zh"), (1, "verdict_en")):
        out[col] = [LABELS[k][v][j] if isinstance(v, str) else None
                    for k, v in zip(out["kind"], out["verdict"], strict=True)]
    for col in ("se_method", "verdict"):  # missing text is None, whichever part it came from
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def add_targets(result: WaveResult, r, est, enterprises, sectors, categories, baselines,
                settings) -> None:
    """Add the ``shares``, ``families`` and ``targets`` tables to a computed wave."""
    unknown = sorted(set(baselines or {}) - set(categories["category"]))
    if unknown:
        raise ValueError(f"baselines name unknown categories: {unknown}")
    result.tables["shares"] = share_table(est, r)
    result.tables["families"] = family_table(result.tables["indices"], settings)
    result.tables["targets"] = target_table(result, enterprises, sectors, categories,
                                            baselines, settings)
