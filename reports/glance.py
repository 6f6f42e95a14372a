"""The landing page's glance at a published result: headline rows and a small SVG chart.

Plain data in (a wave result, names), plain data out; the chart is drawn by the template
from the coordinates computed here, so the page needs no script and no image request.
"""

from __future__ import annotations

from analysis import WaveResult
from reports import families, words
from reports.context import headline_rows, sector_groups

LOW, HIGH = 60.0, 100.0  # the chart's scale: every published index so far lies within it
WIDTH, LEFT, ROW = 480, 8, 34


def x_of(value: float, low: float = LOW, high: float = HIGH) -> float:
    """Horizontal position of ``value`` on the chart, clipped to the scale.

    >>> x_of(60), x_of(100), x_of(120)
    (8.0, 488.0, 488.0)
    """
    share = (min(max(value, low), high) - low) / (high - low)
    return round(LEFT + share * WIDTH, 1)


def glance(result: WaveResult, district_name: str, locale: str = "zh_CN") -> dict:
    """District and category indices with verdicts, sector counts by verdict, chart rows."""
    words.check(locale)
    rows = headline_rows(result, {}, district_name, locale)
    chart = []
    for i, r in enumerate(rows):
        target = r.get("target_value")
        chart.append({"label": r["name"], "y": 12 + i * ROW, "x": x_of(r["value"]),
                      "x_low": x_of(r["low"]), "x_high": x_of(r["high"]),
                      "x_target": x_of(target) if target is not None else None,
                      "key": r["verdict_key"] or "none", "estimate": r["estimate"]})
    counts: dict[str, int] = {}
    for group in sector_groups(result, {}, locale):
        for s in group["rows"]:
            counts[s["verdict_key"] or "none"] = counts.get(s["verdict_key"] or "none", 0) + 1
    ticks = [{"value": int(v), "x": x_of(v)} for v in range(int(LOW), int(HIGH) + 1, 10)]
    return {"rows": rows, "chart": chart, "ticks": ticks, "sector_verdicts": counts,
            "service_kind": families.kind_text("threshold", None, locale),
            "families": family_rows(result, locale),
            "height": 12 + len(rows) * ROW + 10, "width": LEFT * 2 + WIDTH}


def family_rows(result: WaveResult, locale: str = "zh_CN") -> list[dict]:
    """Each family beyond services: its index, target kind in words and category verdict."""
    out = []
    for f in families.family_sections(result, locale):
        head = next((r for r in f["rows"] if r["level_key"] == "category"), None)
        out.append({"key": f["key"], "name": f["name"], "estimate": f["estimate"],
                    "ci": f["ci"], "kind": f["kind"], "kind_text": f["kind_text"],
                    "figure": head["estimate"] if head else "",
                    "verdict": head["verdict"] if head else "",
                    "verdict_key": head["verdict_key"] if head else None})
    return out
