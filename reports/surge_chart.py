"""The console's surge timeline: responses per hour of one enterprise, held ones marked."""

from __future__ import annotations

import pandas as pd

from reports.charts import COLOURS, draw, figure


def timeline_chart(timeline: dict, key: str = "") -> str:
    """SVG bars of responses per local hour (``timeline``: hours as ISO strings, counts,
    held counts, surge windows with start/end), held responses stacked in red."""
    if len(timeline["hours"]) != len(timeline["counts"]) != len(timeline["held"]):
        raise ValueError("hours, counts and held must be aligned")
    return draw(_timeline_fig, timeline, key)


def _timeline_fig(timeline, key):
    hours = pd.to_datetime(pd.Series(timeline["hours"]))
    counts = pd.Series(timeline["counts"], dtype=float)
    held = pd.Series(timeline["held"], dtype=float)
    fig = figure(2.2)
    ax = fig.add_subplot()
    width = 1 / 24
    x = hours.dt.tz_localize(None) if hours.dt.tz is not None else hours
    ax.bar(x, counts - held, width=width, color=COLOURS[None], label="计入")
    ax.bar(x, held, width=width, bottom=counts - held, color=COLOURS["not_met"],
           label="暂缓（激增）")
    for w in timeline.get("windows", []):
        start, end = (pd.Timestamp(w[k]).tz_localize(None) for k in ("start", "end"))
        ax.axvspan(start, end, color=COLOURS["not_met"], alpha=0.12, lw=0)
    ax.set_ylabel("每小时答卷数")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    fig.autofmt_xdate()
    return fig, f"surge-{key}"
