"""The enterprise dashboard's charts as SVG: drawn by the compute job and stored with the
result (survey.ops.dashboard), or on demand by the portal for results stored before that.

Drawing uses the bulletin's matplotlib setup (reports.charts: text as paths, CJK fonts);
the words on the charts come from `labels()` in the chart's language. The inputs are plain
dicts built by `reports.dashboard` from a stored result and the enterprise's item scores.
"""

from __future__ import annotations

from analysis.priorities import QUADRANTS
from reports import charts as rc

CORNERS = (("maintain", 0.02, 0.97, "left", "top"), ("strength", 0.98, 0.97, "right", "top"),
           ("opportunity", 0.02, 0.03, "left", "bottom"),
           ("fix_first", 0.98, 0.03, "right", "bottom"))


# Words drawn on the charts, per language (the same words the portal's catalogue gives).
_WORDS = {
    "zh_CN": {"profile_x": "指数（圆点：本单位及95%置信区间；竖线：行业平均）",
              "items_x": "得分（0–100；条形：本单位；竖线：行业平均）",
              "importance": "重要性（对顾客满意的总效应）", "performance": "得分",
              "index": "满意度指数", "series": "本单位", "target": "目标值"},
    "en": {"profile_x": "Index (dot: yours, with its 95 per cent interval; line: sector mean)",
           "items_x": "Score 0–100 (bar: yours; line: sector mean)",
           "importance": "Importance (effect on satisfaction)", "performance": "Score",
           "index": "Satisfaction index", "series": "This business", "target": "Target"},
}
LOCALES = tuple(_WORDS)
DRAWN = {"dashboards": 0}  # how many dashboards were drawn in this process (tests, bench)


def labels(locale: str) -> dict:
    """The words drawn on the dashboard's charts in `locale` (Chinese unless "en")."""
    key = "en" if locale == "en" else "zh_CN"
    return _WORDS[key] | {"quadrants": {k: zh if key == "zh_CN" else en
                                        for k, zh, en in QUADRANTS.values()}}


def dashboard_charts(data: dict, names: dict, target: float | None, locale: str) -> dict:
    """Every chart of one enterprise's dashboard as SVG strings: profile (without the
    complaint rate), items, 四分图 and trend, each only when it has something to show."""
    DRAWN["dashboards"] += 1
    words = labels(locale)
    out = {"profile": profile_chart(
        [r for r in data["profile"] if r["construct"] != "complaint"], names, words)}
    if data["items"]:
        out["items"] = items_chart(data["items"], words)
    quad = data["quadrant"]
    if quad["points"]:
        out["quadrant"] = quadrant_chart(quad["points"], quad["importance_cut"],
                                         quad["performance_cut"], words)
    if any(p["value"] is not None for p in data["trend"]):
        out["trend"] = trend_chart(data["trend"], target, words)
    return out


def profile_chart(rows: list[dict], names: dict[str, str], labels: dict) -> str:
    """Construct indices of the enterprise (points with 95% CIs) and the sector's (ticks)."""
    return rc.draw(_profile_fig, rows, names, labels)


def _profile_fig(rows, names, labels):
    rows = [r for r in rows if r["estimate"] is not None][::-1]
    fig = rc.figure(0.7 + 0.32 * len(rows))
    ax = fig.add_subplot()
    for y, r in enumerate(rows):
        low = r["low"] if r["low"] is not None else r["estimate"]
        high = r["high"] if r["high"] is not None else r["estimate"]
        ax.errorbar(r["estimate"], y, xerr=[[r["estimate"] - low], [high - r["estimate"]]],
                    fmt="o", color=rc.SERIES[1], ms=5, capsize=3, lw=1.2)
        if r["sector"] is not None:
            ax.plot(r["sector"], y, marker="|", ms=14, mew=2, color=rc.SERIES[2])
    ax.set_yticks(range(len(rows)), [names.get(r["construct"], r["construct"]) for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(labels["profile_x"])
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    return fig, "profile"


def items_chart(rows: list[dict], labels: dict) -> str:
    """Item scores of the enterprise (bars) with the sector's mean (ticks)."""
    return rc.draw(_items_fig, rows, labels)


def _items_fig(rows, labels):
    rows = rows[::-1]
    fig = rc.figure(0.7 + 0.26 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))
    ax.barh(ys, [r["mean"] for r in rows], color=rc.SERIES[1], height=0.6)
    for y, r in zip(ys, rows, strict=True):
        if r["sector"] is not None:
            ax.plot(r["sector"], y, marker="|", ms=11, mew=2, color=rc.SERIES[2])
    ax.set_yticks(ys, [r["short"] for r in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel(labels["items_x"])
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    return fig, "items"


def quadrant_chart(points: list[dict], importance_cut: float, performance_cut: float,
                   labels: dict) -> str:
    """The 四分图: numbered questions by importance and score, split at the cuts."""
    return rc.draw(_quadrant_fig, points, importance_cut, performance_cut, labels)


def _quadrant_fig(points, importance_cut, performance_cut, labels):
    fig = rc.figure(3.2)
    ax = fig.add_subplot()
    xs = [p["importance"] for p in points]
    ys = [p["performance"] for p in points]
    colours = [rc.COLOURS["not_met"] if p["quadrant"] == "fix_first" else rc.SERIES[1]
               for p in points]
    ax.scatter(xs, ys, color=colours, s=28, zorder=3)
    for p in points:
        ax.annotate(p["label"], (p["importance"], p["performance"]), xytext=(4, 3),
                    textcoords="offset points")
    ax.axvline(importance_cut, color="#888888", lw=0.8)
    ax.axhline(performance_cut, color="#888888", lw=0.8)
    rc.pad(ax, xs + [importance_cut], ys + [performance_cut])
    for key, cx, cy, ha, va in CORNERS:
        ax.text(cx, cy, labels["quadrants"][key], transform=ax.transAxes, ha=ha, va=va,
                color=rc.COLOURS["not_met"] if key == "fix_first" else "#888888")
    ax.set_xlabel(labels["importance"])
    ax.set_ylabel(labels["performance"])
    return fig, "quadrant-portal"


def trend_chart(points: list[dict], target: float | None, labels: dict) -> str:
    """The enterprise's index over the waves with 95% CIs and its category's target."""
    return rc.draw(_trend_fig, [p for p in points if p["value"] is not None], target, labels)


def _trend_fig(points, target, labels):
    fig = rc.figure(2.3)
    ax = fig.add_subplot()
    xs = list(range(len(points)))
    ys = [p["value"] for p in points]
    err = [[p["value"] - (p["low"] if p["low"] is not None else p["value"]) for p in points],
           [(p["high"] if p["high"] is not None else p["value"]) - p["value"] for p in points]]
    ax.errorbar(xs, ys, yerr=err, marker="o", ms=4, capsize=3, color=rc.SERIES[1],
                label=labels["series"])
    if target is not None:
        ax.axhline(target, color=rc.COLOURS["not_met"], ls="--", lw=0.8,
                   label=labels["target"])
    ax.set_xticks(xs, [p["wave"] for p in points])
    ax.set_xlim(-0.5, max(len(points) - 0.5, 0.5))
    ax.set_ylabel(labels["index"])
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    return fig, "trend-portal"
