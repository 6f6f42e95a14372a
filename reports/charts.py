"""Bulletin charts drawn with matplotlib and returned as inline SVG strings.

Text is drawn as paths (``svg.fonttype = "path"``), so the SVG needs no font
and looks the same in the browser and in the PDF. matplotlib is imported on
first use: its font cache lives under ``MPLCONFIGDIR``, which tests point at a
fresh directory before any chart is drawn.
"""

from __future__ import annotations

import io
import re

from reports.words import CHARTS

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"],
    "axes.unicode_minus": False,
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLOURS = {"met": "#1a7f37", "not_met": "#c0392b", "not_different": "#2c5d8a",
           "insufficient": "#9a9a9a", None: "#2c5d8a"}
SERIES = ("#222222", "#2c5d8a", "#c46a1b", "#1a7f37", "#7b3f9e")
WIDTH = 6.3  # inches: the A4 text block


def figure(height: float):
    """A figure as wide as the A4 text block, ``height`` inches tall (constrained layout)."""
    from matplotlib.figure import Figure  # deferred: see the module docstring

    return Figure(figsize=(WIDTH, height), layout="constrained")


def _svg(fig, salt: str) -> str:
    """The figure as an SVG element without XML prolog, with ids unique to ``salt``."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = re.sub(r"^.*?(?=<svg)", "", buf.getvalue(), count=1, flags=re.S)
    # Drawn text is repeated in comments; drop them so labels never reach the HTML as text.
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    # Glyph and clip ids repeat across figures; one HTML document needs them unique.
    text = re.sub(r'(id="|href="#|url\(#)', rf"\g<1>{salt}-", text)
    # Presentation attributes instead of style="" and no <style> element: HTML CSS parsers
    # (WeasyPrint's, a strict Content-Security-Policy) then leave the SVG alone. The one
    # global rule matplotlib writes becomes attributes of the root element (inherited).
    text = re.sub(r"<style[^>]*>.*?</style>", "", text, flags=re.S)
    text = text.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    return re.sub(r'style="([^"]*)"', _attributes, text)


def _attributes(match: re.Match) -> str:
    pairs = (d.split(":", 1) for d in match[1].split(";") if ":" in d)
    return " ".join(f'{k.strip()}="{v.strip()}"' for k, v in pairs)


def draw(fn, *args) -> str:
    """SVG of the figure that ``fn(*args)`` returns as ``(figure, id salt)``, drawn with RC."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig, salt = fn(*args)
        return _svg(fig, salt)


def sector_chart(group: dict, key: str = "", locale: str = "zh_CN") -> str:
    """Sector indices of one category with their CIs and the category target line."""
    return draw(_sector_fig, group, key, CHARTS[locale])


def _sector_fig(group, key, w):
    rows = sorted(group["rows"], key=lambda r: r["value"])
    fig = figure(0.9 + 0.3 * len(rows))
    ax = fig.add_subplot()
    for y, r in enumerate(rows):
        colour = COLOURS["insufficient" if not r["published"] else r["verdict_key"]]
        ax.errorbar(r["value"], y, xerr=[[r["value"] - r["low"]], [r["high"] - r["value"]]],
                    fmt="o", color=colour, ms=5, capsize=3, lw=1.2)
    ax.axvline(group["target"], color=COLOURS["not_met"], ls="--", lw=1)
    ax.annotate(w["target"].format(group["target"]), (group["target"], len(rows) - 0.4),
                xytext=(3, 0), textcoords="offset points", color=COLOURS["not_met"])
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.2)
    ax.set_xlabel(w["sector_axis"])
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    return fig, f"sector-{key}"


def trend_chart(trend: dict, locale: str = "zh_CN") -> str:
    """District and category indices over the waves, with CIs and dashed targets."""
    return draw(_trend_fig, trend, CHARTS[locale])


def _trend_fig(trend, w):
    fig = figure(2.5)
    ax = fig.add_subplot()
    x = {w: i for i, w in enumerate(trend["waves"])}
    for j, s in enumerate(trend["series"]):
        colour = SERIES[j % len(SERIES)]
        xs = [x[p["wave"]] + (j - 1) * 0.04 for p in s["points"]]
        ys = [p["value"] for p in s["points"]]
        err = [[p["value"] - p["low"] for p in s["points"]],
               [p["high"] - p["value"] for p in s["points"]]]
        ax.errorbar(xs, ys, yerr=err, marker="o", ms=4, capsize=3, color=colour, label=s["name"])
        if s["target"] is not None:
            ax.axhline(s["target"], color=colour, ls="--", lw=0.8)
    ax.set_xticks(range(len(x)), list(x))
    ax.set_xlim(-0.4, len(x) - 0.6)
    ax.set_ylabel(w["index"])
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    return fig, "trend"


def quadrant_chart(group: dict, key: str = "", locale: str = "zh_CN") -> str:
    """Importance-performance chart (四分图) of one category's drivers."""
    return draw(_quadrant_fig, group, key, CHARTS[locale])


def _quadrant_fig(group, key, w):
    fig = figure(3.2)
    ax = fig.add_subplot()
    xs = [p["importance"] for p in group["points"]]
    ys = [p["performance"] for p in group["points"]]
    ax.scatter(xs, ys, color=SERIES[1], s=28, zorder=3)
    for p in group["points"]:
        ax.annotate(p["label"], (p["importance"], p["performance"]), xytext=(4, 3),
                    textcoords="offset points")
    ic, pc = group["importance_cut"], group["performance_cut"]
    ax.axvline(ic, color="#888888", lw=0.8)
    ax.axhline(pc, color="#888888", lw=0.8)
    pad(ax, xs + [ic], ys + [pc])
    places = ((0.02, 0.97, "left", "top"), (0.98, 0.97, "right", "top"),
              (0.02, 0.03, "left", "bottom"), (0.98, 0.03, "right", "bottom"))
    for text, (cx, cy, ha, va) in zip(w["corners"], places, strict=True):
        ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va=va, color="#888888")
    ax.set_xlabel(w["importance"])
    ax.set_ylabel(w["performance"])
    ax.set_title(w["quadrant_title"].format(group["name"]), loc="left", fontweight="bold")
    return fig, f"quadrant-{key}"


def pad(ax, xs, ys, share: float = 0.15) -> None:
    """Axis limits around the points with room for labels."""
    for values, setter in ((xs, ax.set_xlim), (ys, ax.set_ylim)):
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        setter(lo - share * span, hi + share * span)


def bulletin_charts(charts: dict) -> dict:
    """Every chart of a bulletin context's ``charts`` data, as SVG strings, labelled in the
    edition's language (``charts["locale"]``, Chinese when absent)."""
    lang = charts.get("locale", "zh_CN")
    return {
        "sectors": [sector_chart(g, str(i), lang) for i, g in enumerate(charts["sectors"])],
        "trend": trend_chart(charts["trend"], lang) if charts.get("trend") else None,
        "quadrants": [quadrant_chart(g, str(i), lang)
                      for i, g in enumerate(charts["quadrants"])],
    }
