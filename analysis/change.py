"""Change of indices between two waves, with its standard error and significance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

KEY = ["level", "unit", "construct"]
LABELS = {"up": ("显著上升", "significant increase"),
          "down": ("显著下降", "significant decrease"),
          "none": ("无显著变化", "no significant change")}


def _joint_variance(prev: pd.DataFrame, cur: pd.DataFrame) -> pd.DataFrame:
    """V(delta) from the PSU totals of both waves, PSUs matched by stratum and id.

    ``D_c = t2_c - t1_c`` over the union of PSUs (a PSU absent from a wave has
    a zero total there); ``V = sum_h n_h/(n_h - 1) sum_c (D_c - Dbar_h)^2``,
    the ultimate-cluster variance of the difference (Kish 1965, sec. 12.4;
    Lumley 2010, sec. 3.5), so shared enterprises contribute their covariance.
    """
    both = pd.merge(prev, cur, on=KEY + ["stratum", "psu"], how="outer",
                    suffixes=("_1", "_2")).fillna({"total_1": 0.0, "total_2": 0.0})
    both["d"] = both["total_2"] - both["total_1"]
    g = both.groupby(KEY + ["stratum"])["d"]
    per = pd.DataFrame({"n": g.size(), "ss": g.apply(lambda d: ((d - d.mean()) ** 2).sum())})
    per = per[per["n"] > 1]
    per["v"] = per["n"] / (per["n"] - 1) * per["ss"]
    shared = both.assign(s=(both["total_1"] != 0) & (both["total_2"] != 0)).groupby(KEY)["s"]
    out = per.groupby(KEY)["v"].sum().to_frame("var_joint")
    out["shared_psus"] = shared.sum().reindex(out.index).fillna(0).astype(int)
    return out


def change(previous, current, *, level: float = 0.95) -> pd.DataFrame:
    """Between-wave change of every unit and construct present in both waves.

    ``delta = I_2 - I_1``. Its SE is computed jointly from the stored PSU
    totals when the same PSUs (enterprises of a sample design) appear in both
    waves, else ``sqrt(V_1 + V_2)`` for independent samples. Significance:
    two-sided t test on ``min(df_1, df_2)`` degrees of freedom at ``level``;
    a change inside sampling error reads "no significant change".

    ``previous`` and ``current`` are :class:`analysis.result.WaveResult`,
    freshly computed or stored and reloaded (:meth:`WaveResult.from_json`):
    the PSU totals travel in the ``psu_totals`` table.

    Examples
    --------
    >>> from analysis import Settings, compute_wave
    >>> from analysis.demo import demo_frames
    >>> one = demo_frames(seed=2, n_sectors=2, n_enterprises=10, per_enterprise=30)
    >>> two = demo_frames(seed=2, n_sectors=2, n_enterprises=10, per_enterprise=30,
    ...                   response_seed=1)
    >>> a, b = (compute_wave(*f, settings=Settings(raking=False)) for f in (one, two))
    >>> d = change(a, b)
    >>> sorted(set(d.loc[d["level"] == "sector", "method"]))
    ['joint']
    """
    cols = KEY + ["estimate", "se", "df"]
    a, b = previous.tables["indices"][cols], current.tables["indices"][cols]
    m = pd.merge(a, b, on=KEY, suffixes=("_1", "_2"))
    m["delta"] = m["estimate_2"] - m["estimate_1"]
    m["se"] = np.sqrt(m["se_1"] ** 2 + m["se_2"] ** 2)
    m["method"] = "independent"
    p_tot, c_tot = previous.tables.get("psu_totals"), current.tables.get("psu_totals")
    if p_tot is not None and c_tot is not None and len(p_tot) and len(c_tot):
        joint = _joint_variance(p_tot, c_tot)
        m = m.join(joint, on=KEY)
        use = m["shared_psus"].fillna(0) > 0
        m.loc[use, "se"] = np.sqrt(m.loc[use, "var_joint"])
        m.loc[use, "method"] = "joint"
        m = m.drop(columns=["var_joint"])
    m["df"] = np.minimum(m["df_1"], m["df_2"])
    ok = (m["df"] >= 1) & (m["se"] > 0)
    tstat = m["delta"] / m["se"]
    m["p_value"] = np.where(ok, 2 * stats.t.sf(np.abs(tstat), np.maximum(m["df"], 1)), np.nan)
    sig = ok & (m["p_value"] < 1 - level)
    m["change"] = np.where(sig & (m["delta"] > 0), "up",
                           np.where(sig & (m["delta"] < 0), "down", "none"))
    m["change_zh"] = m["change"].map(lambda c: LABELS[c][0])
    m["change_en"] = m["change"].map(lambda c: LABELS[c][1])
    return m.drop(columns=["se_1", "se_2", "df_1", "df_2"])
