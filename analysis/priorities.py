"""Importance-performance analysis (四分图) of satisfaction drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd

QUADRANTS = {
    (True, True): ("strength", "优势区", "keep up"),
    (True, False): ("fix_first", "修补区", "fix first"),
    (False, False): ("opportunity", "机会区", "opportunity"),
    (False, True): ("maintain", "维持区", "maintain"),
}


def quadrants(
    points: pd.DataFrame,
    *,
    split: str = "mean",
    importance: str = "importance",
    performance: str = "performance",
) -> pd.DataFrame:
    """Assign importance-performance quadrants.

    Split lines at the mean (default) or median of the plotted points, or at
    the midpoints (importance: half-way between its min and max; performance:
    50 on the 0-100 scale). High importance and high performance: 优势区
    (keep up); high importance, low performance: 修补区 (fix first); low and
    low: 机会区; low importance, high performance: 维持区 (Martilla & James
    1977, J. Marketing 41(1)).

    Examples
    --------
    >>> p = pd.DataFrame({"importance": [0.5, 0.5, 0.1, 0.1],
    ...                   "performance": [90.0, 60.0, 60.0, 90.0]})
    >>> quadrants(p)["quadrant"].tolist()
    ['strength', 'fix_first', 'opportunity', 'maintain']
    """
    if split not in ("mean", "median", "midpoint"):
        raise ValueError("split must be 'mean', 'median' or 'midpoint'")
    imp = points[importance].to_numpy(float)
    perf = points[performance].to_numpy(float)
    if split == "midpoint":
        imp_cut, perf_cut = (np.nanmin(imp) + np.nanmax(imp)) / 2, 50.0
    else:
        f = np.nanmean if split == "mean" else np.nanmedian
        imp_cut, perf_cut = float(f(imp)), float(f(perf))
    keys = [(bool(i >= imp_cut), bool(p >= perf_cut)) for i, p in zip(imp, perf, strict=True)]
    out = points.copy()
    out["importance_cut"], out["performance_cut"] = imp_cut, perf_cut
    out["quadrant"] = [QUADRANTS[k][0] for k in keys]
    out["quadrant_zh"] = [QUADRANTS[k][1] for k in keys]
    out["quadrant_en"] = [QUADRANTS[k][2] for k in keys]
    return out


def driver_points(total_effects: pd.Series, index_weights: pd.Series, blocks: dict,
                  performance: pd.Series, *, target: str = "satisfaction") -> pd.DataFrame:
    """Construct and item points: importance = total effect on ``target``.

    Item importance = index weight x its construct's total effect; item
    performance = its 0-100 mean (``performance`` indexed by construct/item).
    """
    rows = []
    for construct, items in blocks.items():
        effect = float(total_effects.get((construct, target), np.nan))
        if np.isnan(effect):
            continue
        rows.append({"level": "construct", "code": construct, "construct": construct,
                     "importance": effect, "performance": performance.get(construct, np.nan)})
        rows += [{"level": "item", "code": i, "construct": construct,
                  "importance": effect * float(index_weights[i]),
                  "performance": performance.get(i, np.nan)} for i in items]
    return pd.DataFrame(rows)
