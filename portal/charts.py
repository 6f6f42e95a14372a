"""The dashboard's charts as server-rendered SVG, drawn once per result and kept in memory.

Drawing uses the bulletin's matplotlib setup (reports.charts): text as paths, CJK fonts.
A dashboard's charts depend only on the stored results and the enterprise, so they are
cached by those; a new computation has a new result document and so new charts.
"""

from __future__ import annotations

from collections import OrderedDict

from reports import charts as rc

_CACHE: OrderedDict[tuple, dict] = OrderedDict()
_CACHE_MAX = 64


def cached(key: tuple, draw) -> dict:
    """The charts stored under `key`, drawn with `draw()` on first use (LRU)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = draw()
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return value


def profile_chart(rows: list[dict], names: dict[str, str]) -> str:
    """Construct indices of the enterprise (points with 95% CIs) and the sector's (ticks)."""
    return rc._draw(_profile_fig, rows, names)


def _profile_fig(rows, names):
    rows = [r for r in rows if r["estimate"] is not None][::-1]
    fig = rc._figure(0.7 + 0.32 * len(rows))
    ax = fig.add_subplot()
    for y, r in enumerate(rows):
        low, high = r["low"] if r["low"] is not None else r["estimate"], r["high"]
        high = high if high is not None else r["estimate"]
        ax.errorbar(r["estimate"], y, xerr=[[r["estimate"] - low], [high - r["estimate"]]],
                    fmt="o", color=rc.SERIES[1], ms=5, capsize=3, lw=1.2)
        if r["sector"] is not None:
            ax.plot(r["sector"], y, marker="|", ms=14, mew=2, color=rc.SERIES[2])
    ax.set_yticks(range(len(rows)), [names.get(r["construct"], r["construct"]) for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("指数（圆点：本单位及95%置信区间；竖线：行业平均）")
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    return fig, "profile"


def items_chart(rows: list[dict]) -> str:
    """Item scores of the enterprise (bars) with the sector's mean (ticks)."""
    return rc._draw(_items_fig, rows)


def _items_fig(rows):
    rows = rows[::-1]
    fig = rc._figure(0.7 + 0.26 * len(rows))
    ax = fig.add_subplot()
    ys = range(len(rows))
    ax.barh(list(ys), [r["mean"] for r in rows], color=rc.SERIES[1], height=0.6)
    for y, r in zip(ys, rows, strict=True):
        if r["sector"] is not None:
            ax.plot(r["sector"], y, marker="|", ms=11, mew=2, color=rc.SERIES[2])
    ax.set_yticks(list(ys), [r["short"] for r in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("得分（0–100；条形：本单位；竖线：行业平均）")
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    return fig, "items"


def quadrant_chart(points: list[dict], importance_cut: float, performance_cut: float,
                   title: str) -> str:
    """The 四分图 of the enterprise's items (the bulletin's quadrant chart)."""
    group = {"name": title, "points": points, "importance_cut": importance_cut,
             "performance_cut": performance_cut}
    return rc.quadrant_chart(group, "portal")


def trend_chart(points: list[dict], name: str, target: float | None) -> str:
    """The enterprise's index over the waves with CIs and its category's target."""
    usable = [p for p in points if p["value"] is not None]
    trend = {"waves": [p["wave"] for p in usable],
             "series": [{"name": name, "target": target, "points": [
                 {"wave": p["wave"], "value": p["value"],
                  "low": p["low"] if p["low"] is not None else p["value"],
                  "high": p["high"] if p["high"] is not None else p["value"]}
                 for p in usable]}]}
    return rc.trend_chart(trend)
