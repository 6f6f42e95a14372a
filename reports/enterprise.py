"""Reading stored wave results for one enterprise: headline, benchmarks, profile, trend
(read by the portal's dashboard and by the compute job that draws its charts).

Everything here takes a parsed `WaveResult` (or several) and plain values, and returns
plain dicts for templates and charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import WaveResult, change, target_verdicts

CONSTRUCT_ORDER = ("image", "expectation", "quality", "value", "satisfaction", "loyalty")
def _row(frame: pd.DataFrame, **match) -> dict | None:
    keep = np.ones(len(frame), bool)
    for column, value in match.items():
        keep &= (frame[column].astype(str) == str(value)).to_numpy()
    rows = frame[keep].to_dict("records")
    return rows[0] if rows else None


def _finite(value) -> float | None:
    return None if value is None or value != value else float(value)


def headline(result: WaveResult, enterprise_id: int, target: float | None,
             kind: str = "threshold") -> dict | None:
    """The enterprise's satisfaction index, CI, n, publication flag and verdict vs `target`.

    For a threshold target the verdict compares the index's CI with `target`; for a share
    or improvement target (`kind`) it is the unit's row of the result's ``targets`` table
    (:mod:`analysis.targets`), with the share or the change it was judged on."""
    row = _row(result.tables["enterprises"], unit=enterprise_id)
    if row is None:
        return None
    out = {k: _finite(row.get(k)) for k in ("estimate", "ci_low", "ci_high", "n", "n_eff",
                                            "shrunk", "percentile_rank", "se", "df")}
    out["published"] = bool(row.get("published"))
    out["ranking_tied"] = bool(row.get("ranking_tied", False))
    out["caution"] = bool(row.get("caution"))
    out["verdict"] = None
    if kind != "threshold":
        out.update(_other_target(result, enterprise_id, kind) if out["published"] else {})
    elif out["published"] and target is not None and out["se"]:
        level = float(result.settings.get("verdict_level", 0.90))
        table = pd.DataFrame([{"estimate": out["estimate"], "se": out["se"], "df": out["df"]}])
        out["verdict"] = str(target_verdicts(table, pd.Series([float(target)]),
                                             level=level)["verdict"].iloc[0])
    out["target"] = target
    return out


def _other_target(result: WaveResult, enterprise_id: int, kind: str) -> dict:
    table = result.tables.get("targets")
    row = None if table is None else _row(table, level="enterprise", unit=enterprise_id)
    if row is None or not isinstance(row.get("verdict"), str):
        return {}
    return {"verdict": row["verdict"], "judged_on": _finite(row.get("estimate")),
            "change": _finite(row.get("change")) if kind == "improvement" else None}


def benchmark(result: WaveResult, enterprise_id: int, sector: str) -> dict:
    """Sector mean, its top quartile and the (anonymous) leader's score, among published.

    When the sector's enterprises do not differ beyond sampling error (``ranking_tied``:
    the estimated between-enterprise variance is 0) there is no leader: ``leader`` is None.
    """
    sec = _row(result.tables["sectors"], unit=sector) or {}
    ent = result.tables["enterprises"]
    peers = ent[(ent["sector"].astype(str) == sector) & ent["published"].astype(bool)]
    tied = bool(sec.get("ranking_tied", False))
    out = {"sector_mean": _finite(sec.get("estimate")), "peers": int(len(peers)),
           "top_quartile": None, "leader": None, "is_leader": False, "tied": tied}
    if len(peers):
        out["top_quartile"] = float(np.percentile(peers["estimate"].to_numpy(float), 75))
    # A tied sector (between-enterprise variance estimated as 0) has no leader to show.
    if len(peers) and not tied:
        lead = peers.sort_values(["shrunk", "estimate"], ascending=False).iloc[0]
        out["leader"] = float(lead["estimate"])
        out["is_leader"] = str(lead["unit"]) == str(enterprise_id)
    return out


def profile(result: WaveResult, enterprise_id: int, sector: str) -> list[dict]:
    """Construct indices of the enterprise with CIs, beside the sector's."""
    idx = result.tables["indices"]
    rows = []
    for construct in (*CONSTRUCT_ORDER, "complaint"):
        own = _row(idx, level="enterprise", unit=enterprise_id, construct=construct)
        sec = _row(idx, level="sector", unit=sector, construct=construct)
        if own is None:
            continue
        rows.append({"construct": construct, "estimate": _finite(own["estimate"]),
                     "low": _finite(own["ci_low"]), "high": _finite(own["ci_high"]),
                     "n": _finite(own["n"]), "sector": _finite(sec["estimate"]) if sec else None})
    return rows


def sector_items(result: WaveResult, sector: str) -> dict[str, float]:
    """Item code → the sector's weighted 0-100 mean."""
    items = result.tables.get("items")
    if items is None or items.empty:
        return {}
    part = items[items["sector"].astype(str) == sector]
    return {str(r["item"]): float(r["mean"]) for r in part.to_dict("records")}


def item_importance(result: WaveResult, sector: str) -> dict[str, float]:
    """Item code → importance (total effect on satisfaction) in the sector's model."""
    pr = result.tables.get("priorities")
    if pr is None or pr.empty:
        return {}
    part = pr[(pr["sector"].astype(str) == sector) & (pr["level"] == "item")]
    return {str(r["code"]): float(r["importance"]) for r in part.to_dict("records")
            if r["importance"] == r["importance"]}


def trend(results: list[tuple[str, WaveResult]], enterprise_id: int) -> list[dict]:
    """The enterprise's index per wave, oldest first, with the change from the wave before.

    Significance comes from `analysis.change` (joint variance over shared PSUs when
    available, else independent samples).
    """
    points, previous = [], None
    for code, result in results:
        row = _row(result.tables["enterprises"], unit=enterprise_id)
        if row is None:
            continue
        point = {"wave": code, "value": _finite(row["estimate"]), "low": _finite(row["ci_low"]),
                 "high": _finite(row["ci_high"]), "published": bool(row["published"]),
                 "delta": None, "change": None, "p_value": None}
        if previous is not None:
            point.update(_change(previous, result, enterprise_id))
        points.append(point)
        previous = result
    return points


def _only(result: WaveResult, enterprise_id: int) -> WaveResult:
    """The result cut down to the enterprise's headline rows (change() then stays fast)."""
    tables = {}
    for name in ("indices", "psu_totals"):
        t = result.tables.get(name)
        if t is not None and len(t):
            t = t[(t["level"] == "enterprise") & (t["unit"].astype(str) == str(enterprise_id))
                  & (t["construct"] == "satisfaction")]
        tables[name] = t
    return WaveResult(tables=tables, settings=result.settings)


def _change(previous: WaveResult, current: WaveResult, enterprise_id: int) -> dict:
    d = change(_only(previous, enterprise_id), _only(current, enterprise_id))
    row = _row(d, level="enterprise", unit=enterprise_id, construct="satisfaction")
    if row is None:
        return {}
    return {"delta": _finite(row["delta"]), "change": row["change"],
            "p_value": _finite(row["p_value"])}
