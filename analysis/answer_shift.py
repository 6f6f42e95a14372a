"""Answer-distribution shift inside surges, and the 'under review' rule for index jumps.

A surge (:mod:`analysis.surge`) is stronger evidence when its answers differ from the rest of
the enterprise's wave and from its previous wave; an enterprise whose index jumps between
waves with no independent evidence of the jump (field interviews, receipt-verified responses
or an analyst's record) is held from the rankings until an analyst decides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def welch_test(a, b) -> dict:
    """Welch's two-sample t test of ``mean(a) - mean(b)`` (NaN ignored).

    ``t = (xbar_a - xbar_b) / sqrt(s_a^2/n_a + s_b^2/n_b)``, Welch-Satterthwaite
    ``df = (v_a + v_b)^2 / (v_a^2/(n_a-1) + v_b^2/(n_b-1))`` with ``v = s^2/n``; two-sided p
    (Welch 1947, Biometrika 34:28). Needs two answers on each side.
    """
    a, b = (np.asarray(x, float) for x in (a, b))
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each side needs at least two values")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    se = np.sqrt(va + vb)
    if se == 0:
        return {"difference": diff, "t": np.inf * np.sign(diff) if diff else 0.0,
                "df": np.nan, "p_value": 0.0 if diff else 1.0}
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = diff / se
    return {"difference": float(diff), "t": float(t), "df": float(df),
            "p_value": float(2 * stats.t.sf(abs(t), df))}


def surge_shift(scores: pd.Series, enterprise: pd.Series, held: pd.Series,
                previous: pd.DataFrame | None = None, *, alpha: float = 0.01,
                min_difference: float = 10.0) -> pd.DataFrame:
    """Per enterprise with held responses: answers inside the surge against the rest of the
    wave and against the previous wave (Welch tests of the respondents' index scores).

    ``scores`` are 0-100 respondent index scores aligned with ``enterprise`` and ``held``;
    ``previous`` has enterprise_id and score (the previous wave's respondents). ``shifted``
    when either test has ``p < alpha`` and ``|difference| >= min_difference`` points.
    """
    if not (len(scores) == len(enterprise) == len(held)):
        raise ValueError("scores, enterprise and held must be aligned")
    s, e, h = (np.asarray(x) for x in (scores, enterprise, held))
    h = h.astype(bool)
    rows = []
    for ent in pd.unique(e[h]):
        mine = e == ent
        row = {"enterprise_id": ent, "n_inside": int((mine & h).sum()),
               "mean_inside": float(np.nanmean(s[mine & h]))}
        for side, other in (("rest", s[mine & ~h]), ("previous", _previous(previous, ent))):
            try:
                res = welch_test(s[mine & h], other)
            except ValueError:
                res = {"difference": np.nan, "p_value": np.nan}
            row[f"difference_{side}"] = res["difference"]
            row[f"p_{side}"] = res["p_value"]
        row["shifted"] = any(row[f"p_{k}"] < alpha and abs(row[f"difference_{k}"])
                             >= min_difference for k in ("rest", "previous"))
        rows.append(row)
    return pd.DataFrame(rows, columns=["enterprise_id", "n_inside", "mean_inside",
                                       "difference_rest", "p_rest", "difference_previous",
                                       "p_previous", "shifted"])


def _previous(previous, ent) -> np.ndarray:
    if previous is None:
        return np.array([])
    return previous.loc[previous["enterprise_id"] == ent, "score"].to_numpy(float)


MIN_INDEPENDENT = 5  # field interviews or verified responses needed to corroborate a jump


def under_review(current: pd.DataFrame, previous: pd.DataFrame, *, min_jump: float = 8.0,
                 z: float = 3.0, min_independent: int = MIN_INDEPENDENT) -> pd.DataFrame:
    """Enterprises whose index jumped between waves without independent corroboration.

    ``current``/``previous``: enterprise_id, estimate, se. ``current`` may add
    ``independent`` and ``independent_n`` (the index implied by the wave's field interviews
    and receipt-verified responses, and their number), ``corroborated`` (an analyst's or
    inspection record), ``early`` and ``late`` (the index of each half of the wave,
    :func:`half_estimates`) and ``surge`` (any response held by a scan).
    A jump ``d = I_now - I_prev`` counts when ``|d| >= min_jump`` and ``|d| / sqrt(se_now^2 +
    se_prev^2) >= z``. It is corroborated when recorded so, or when at least
    ``min_independent`` independent responses show at least half of it in its direction
    (``sign(d) (I_ind - I_prev) >= |d| / 2``): fakes come through the public QR links, not an
    interviewer or a receipt code. Both halves showing the jump with no surge held is
    returned as a hint (``halves``) only: fakes spread evenly over the wave show in both
    halves too. Uncorroborated jumps are ``under_review``.
    """
    for frame, name in ((current, "current"), (previous, "previous")):
        absent = {"enterprise_id", "estimate", "se"} - set(frame.columns)
        if absent:
            raise ValueError(f"{name} lacks columns {sorted(absent)}")
    m = current.merge(previous[["enterprise_id", "estimate", "se"]], on="enterprise_id",
                      how="left", suffixes=("", "_previous"))
    jump = m["estimate"] - m["estimate_previous"]
    zval = jump / np.sqrt(m["se"] ** 2 + m["se_previous"] ** 2)
    big = (jump.abs() >= min_jump) & (zval.abs() >= z)
    halves = _shows(m, "early", jump) & _shows(m, "late", jump)
    if "surge" in m.columns:
        halves &= ~m["surge"].fillna(False).astype(bool)
    independent = _shows(m, "independent", jump)
    if "independent_n" in m.columns:
        independent &= m["independent_n"].fillna(0) >= min_independent
    recorded = m["corroborated"].fillna(False).astype(bool) if "corroborated" in m else False
    corroborated = independent | recorded
    return pd.DataFrame({"enterprise_id": m["enterprise_id"], "jump": jump, "z": zval,
                         "corroborated": big & corroborated, "halves": big & halves,
                         "under_review": (big & ~corroborated).fillna(False)})


def _shows(m: pd.DataFrame, column: str, jump: pd.Series) -> pd.Series:
    """Whether ``m[column]`` moved from the previous index by half the jump in its direction."""
    if column not in m.columns:
        return pd.Series(False, index=m.index)
    half = jump / 2
    return (np.sign(half) * (m[column] - m["estimate_previous"]) >= half.abs()).fillna(False)


def half_estimates(scores: pd.Series, weights, enterprise: pd.Series,
                   submitted_at: pd.Series) -> pd.DataFrame:
    """Weighted mean score of each enterprise's earlier and later half of the wave (split at
    its weighted median submission time): ``sum w y / sum w`` per half."""
    f = pd.DataFrame({"y": np.asarray(scores, float), "w": np.asarray(weights, float),
                      "e": np.asarray(enterprise), "t": pd.to_datetime(submitted_at, utc=True)})
    f = f.dropna(subset=["y"]).sort_values(["e", "t"], kind="stable")
    cum = f.groupby("e")["w"].cumsum() / f.groupby("e")["w"].transform("sum")
    f["late"] = cum > 0.5
    f["wy"] = f["w"] * f["y"]
    g = f.groupby(["e", "late"])[["wy", "w"]].sum()
    means = (g["wy"] / g["w"]).unstack()
    out = means.rename(columns={False: "early", True: "late"}).reset_index()
    return out.rename(columns={"e": "enterprise_id"})
