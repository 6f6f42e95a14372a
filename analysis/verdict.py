"""Target verdicts (met / not met / not significantly different) and publication flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

VERDICTS = {
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "not_different": ("与目标无显著差异", "not significantly different"),
}


def holm(p) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (NaN kept out of the family).

    ``p_(i)^adj = max_{j <= i} min(1, (m - j + 1) p_(j))`` over sorted p-values.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adj)
    return out


def target_verdicts(
    table: pd.DataFrame,
    target: pd.Series | float,
    *,
    level: float = 0.90,
    published: pd.Series | None = None,
) -> pd.DataFrame:
    """Compare estimates with targets.

    ``gap = estimate - target``; ``t = gap / se`` on ``df`` degrees of freedom;
    ``p_one_sided`` is the one-sided p-value in the direction of the gap
    (``P(T >= |t|)``), Holm-adjusted across the published rows. Verdict from
    the two-sided ``level`` interval ``estimate -/+ t_{df,(1+level)/2} se``:
    ``met`` when its lower bound >= target, ``not_met`` when its upper bound
    < target, else ``not_different``. A row whose target is NaN (a unit without a
    threshold target) or without SE or df gets no verdict and no p-value.

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [88.0, 79.0, 84.0], "se": [1.0, 0.5, 1.0],
    ...                   "df": [20.0, 20.0, 20.0]})
    >>> target_verdicts(t, pd.Series([85.0, 85.0, 85.0]))["verdict"].tolist()
    ['met', 'not_met', 'not_different']
    """
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    missing = {"estimate", "se", "df"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns: {', '.join(sorted(missing))}")
    tgt = np.broadcast_to(np.asarray(target, dtype=float), (len(table),))
    est, se, df = (table[c].to_numpy(float) for c in ("estimate", "se", "df"))
    ok = (df >= 1) & (se > 0) & np.isfinite(tgt)  # a NaN target: no threshold
    dfc = np.where(ok, df, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = (est - tgt) / se
        q = stats.t.ppf((1 + level) / 2, dfc)
        p = np.where(ok, stats.t.sf(np.abs(tstat), dfc), np.nan)
    lo, hi = est - q * se, est + q * se
    verdict = np.where(lo >= tgt, "met", np.where(hi < tgt, "not_met", "not_different"))
    verdict = np.where(ok, verdict, None)
    pub = np.ones(len(table), bool) if published is None else published.to_numpy(bool)
    adj = np.full(len(table), np.nan)
    adj[pub] = holm(p[pub])
    out = pd.DataFrame({
        "target": tgt, "gap": est - tgt, "verdict_low": lo, "verdict_high": hi,
        "p_one_sided": p, "p_holm": adj, "verdict": verdict,
    }, index=table.index)
    # a unit without df or SE has no verdict (None; NaN once pandas stores it as text)
    out["verdict_zh"] = out["verdict"].map(lambda v: VERDICTS[v][0] if v in VERDICTS else None)
    out["verdict_en"] = out["verdict"].map(lambda v: VERDICTS[v][1] if v in VERDICTS else None)
    return out


def publication_flags(
    table: pd.DataFrame,
    *,
    min_n_eff: float = 30.0,
    min_df: float = 8.0,
    caution_half_width: float = 5.0,
) -> pd.DataFrame:
    """Insufficient-sample and caution flags.

    A unit is ``insufficient`` when ``n_eff < min_n_eff`` (to a relative 1e-9, so that
    ``n`` equal weights count as ``n``) or ``df < min_df``
    (``df_design``, the count of PSUs minus strata, when the table has it; shown as such,
    never ranked); ``caution`` when the CI half-width
    ``(ci_high - ci_low) / 2`` exceeds ``caution_half_width`` points.

    Examples
    --------
    >>> t = pd.DataFrame({"n_eff": [50.0, 10.0], "df": [20.0, 20.0],
    ...                   "ci_low": [70.0, 60.0], "ci_high": [82.0, 70.0]})
    >>> publication_flags(t).to_dict("list")
    {'insufficient': [False, True], 'caution': [True, False], 'published': [True, False]}
    """
    n_eff = table["n_eff"].to_numpy(float)
    df = table["df_design" if "df_design" in table.columns else "df"].to_numpy(float)
    # Kish's n_eff of n equal weights is n up to rounding (29.999999999999964 for 30):
    # compared with a relative tolerance far below any real loss of precision.
    insufficient = ~(n_eff >= min_n_eff * (1 - 1e-9)) | ~(df >= min_df)
    half = (table["ci_high"].to_numpy(float) - table["ci_low"].to_numpy(float)) / 2
    caution = ~insufficient & (half > caution_half_width)
    return pd.DataFrame({"insufficient": insufficient, "caution": caution,
                         "published": ~insufficient}, index=table.index)
