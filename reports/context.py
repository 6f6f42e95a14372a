"""Bulletin context: wave results in, a dict of strings, numbers, lists and dicts out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from analysis import WaveResult, change
from reports import annex
from reports.fmt import (
    DASH,
    INSUFFICIENT,
    count,
    date_label,
    interval,
    is_number,
    issue_label,
    num,
    signed,
    wave_label,
)
from reports.integrity_annex import integrity_annex, ranked_out

HEADLINE = "satisfaction"
LOCALES = ("zh_CN",)


def bulletin_context(
    result: WaveResult,
    previous: WaveResult | None = None,
    *,
    wave_code: str,
    issue_no: int | str,
    title: str,
    date: dt.date,
    district_name: str,
    draft: bool = True,
    locale: str = "zh_CN",
    previous_code: str | None = None,
    history: Sequence[tuple[str, WaveResult]] = (),
    aggregation_weights: Sequence[dict] | None = None,
    intake: dict | None = None,
    integrity: dict | None = None,
) -> dict:
    """Everything the bulletin shows, as primitives and plain dicts.

    ``previous`` is the result of the wave before (changes use
    :func:`analysis.change`); ``history`` lists earlier ``(wave code, result)``
    pairs, oldest first, for the trend chart. ``aggregation_weights`` (rows with
    level, unit, name, weight, source) and ``intake`` (received, quarantined,
    reasons) are shown when given, since a wave result does not carry them; so is
    ``integrity`` (held and released per sector and reason, enterprises under review, who
    are left out of the ranking).
    """
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {LOCALES}, got {locale!r}")
    changes = _changes(previous, result)
    prev_label = wave_label(previous_code) if previous_code else "上期"
    ctx = {
        "lang": "zh-CN", "locale": locale, "title": title, "district_name": district_name,
        "issue": issue_label(issue_no, date), "date": date_label(date),
        "date_iso": date.isoformat(), "wave_code": wave_code, "wave": wave_label(wave_code),
        "previous_wave": prev_label if previous is not None else None, "draft": bool(draft),
        "ci_level": f"{result.settings['ci_level']:.0%}",
        "verdict_level": f"{result.settings['verdict_level']:.0%}",
    }
    ctx["headline"] = headline_rows(result, changes, district_name)
    ctx["summary"] = summary_text(ctx)
    ctx["categories"] = sector_groups(result, changes)
    ctx["ranking"] = ranking(result, ranked_out(integrity))
    ctx["integrity"] = integrity_annex(integrity, result.settings)
    ctx["data_quality"] = annex.data_quality(result, intake)
    ctx["methodology"] = annex.methodology(result, aggregation_weights)
    ctx["charts"] = chart_data(result, ctx, wave_code, previous, previous_code, history)
    return ctx


def _changes(previous, result) -> dict:
    """(level, unit) -> change row of the headline index, empty without a previous wave."""
    if previous is None:
        return {}
    c = change(previous, result)
    c = c[c["construct"] == HEADLINE]
    return {(r["level"], str(r["unit"])): r for r in c.to_dict("records")}


def _change_cells(changes: dict, level: str, unit) -> dict:
    row = changes.get((level, str(unit)))
    if row is None:
        return {"change": DASH, "change_sig": "", "change_key": None}
    return {"change": signed(row["delta"]), "change_sig": row["change_zh"],
            "change_key": row["change"]}


def _verdict(row: dict) -> tuple[str, str | None]:
    if not row.get("published", True):
        return INSUFFICIENT, "insufficient"
    key = row.get("verdict")
    return (row.get("verdict_zh") or DASH), (key if isinstance(key, str) else None)


def _figures(row: dict) -> dict:
    """The index, its CI and sample size, as printed and as numbers for charts."""
    return {
        "estimate": num(row["estimate"]), "ci": interval(row["ci_low"], row["ci_high"]),
        "n": count(row["n"]), "n_eff": num(row["n_eff"], 0),
        "value": float(row["estimate"]), "low": float(row["ci_low"]),
        "high": float(row["ci_high"]), "published": bool(row.get("published", True)),
        "caution": bool(row.get("caution", False)),
    }


def headline_rows(result: WaveResult, changes: dict, district_name: str) -> list[dict]:
    """District index, then every category against its target from the result."""
    d = result.tables["district"].to_dict("records")[0]
    rows = [{"key": "district", "label": f"{district_name}顾客满意度指数", "target": DASH,
             "verdict": DASH, "verdict_key": None, **_figures(d),
             **_change_cells(changes, "district", d["unit"])}]
    for c in result.tables["categories"].to_dict("records"):
        verdict, key = _verdict(c)
        rows.append({"key": str(c["unit"]), "label": f"{c['name_zh']}满意度指数",
                     "target": num(c["target"], 0), "target_value": float(c["target"]),
                     "verdict": verdict, "verdict_key": key, **_figures(c),
                     **_change_cells(changes, "category", c["unit"])})
    return rows


def summary_text(ctx: dict) -> list[str]:
    """The headline in sentences."""
    first, *cats = ctx["headline"]
    lines = [f"{ctx['wave']}，{first['label']}为{first['estimate']}"
             f"（{ctx['ci_level']}置信区间{first['ci']}）。"]
    if ctx["previous_wave"] and first["change"] != DASH:
        lines[0] += f"与{ctx['previous_wave']}相比变化{first['change']}，{first['change_sig']}。"
    for c in cats:
        lines.append(f"{c['label']}为{c['estimate']}（{ctx['ci_level']}置信区间{c['ci']}），"
                     f"目标值{c['target']}，判定结果：{c['verdict']}。")
    return lines


def sector_groups(result: WaveResult, changes: dict) -> list[dict]:
    """Sectors grouped by category, in the result's order, with their verdicts."""
    sectors = result.tables["sectors"]
    cat_of = annex.sector_categories(result)
    groups = []
    for c in result.tables["categories"].to_dict("records"):
        rows = []
        for s in sectors[cat_of.reindex(sectors["unit"]).to_numpy() == c["unit"]].to_dict(
                "records"):
            verdict, key = _verdict(s)
            rows.append({"code": str(s["unit"]), "name": s["name_zh"], "verdict": verdict,
                         "verdict_key": key, **_figures(s),
                         **_change_cells(changes, "sector", s["unit"])})
        groups.append({"code": str(c["unit"]), "name": c["name_zh"],
                       "target": num(c["target"], 0), "target_value": float(c["target"]),
                       "rows": rows})
    return groups


def ranking(result: WaveResult, held_out: set[str] = frozenset()) -> dict:
    """Published enterprises by sector, ordered by their shrunk (fair) estimate, without the
    units in ``held_out`` (enterprises under review): the others' positions are counted among
    themselves (1 + the number ranked strictly ahead, so ties keep sharing a position)."""
    ent = result.tables["enterprises"]
    out = ent["unit"].astype(str).isin(held_out)
    names = result.tables["sectors"].set_index("unit")["name_zh"]
    groups = []
    for code in result.tables["sectors"]["unit"]:
        t = ent[(ent["sector"] == code) & ent["published"] & ~out].sort_values("league_position")
        if not len(t):
            continue
        ahead = t["league_position"].to_numpy(float)
        rows = [{"position": 1 + int((ahead < r["league_position"]).sum()), "name": str(r["name"]),
                 "shrunk": num(r["shrunk"]), "estimate": num(r["estimate"]),
                 "ci": interval(r["ci_low"], r["ci_high"]), "n": count(r["n"])}
                for r in t.to_dict("records") if is_number(r["league_position"])]
        groups.append({"sector": names.get(code, code), "rows": rows})
    return {"groups": groups, "ranked": sum(len(g["rows"]) for g in groups),
            "not_ranked": int((~ent["published"]).sum()), "total": len(ent),
            "under_review": int((out & ent["published"]).sum())}


def chart_data(result, ctx, wave_code, previous, previous_code, history) -> dict:
    """Plain series for the charts: sectors per category, the trend, the quadrants."""
    waves = list(history)
    if previous is not None and previous_code and previous_code not in {w for w, _ in waves}:
        waves.append((previous_code, previous))
    waves.append((wave_code, result))
    return {
        "sectors": [{"name": g["name"], "target": g["target_value"],
                     "rows": [{k: r[k] for k in ("name", "value", "low", "high",
                                                 "verdict_key", "published")}
                              for r in g["rows"]]}
                    for g in ctx["categories"]],
        "trend": _trend(waves, ctx["district_name"]) if len(waves) > 1 else None,
        "quadrants": annex.quadrant_points(result),
    }


def _trend(waves, district_name: str) -> dict:
    """District and category indices with CIs over the waves, with category targets."""
    series = {}
    for code, res in waves:
        frames = [res.tables["district"].assign(name_zh=district_name, target=float("nan")),
                  res.tables["categories"]]
        for row in pd.concat(frames, ignore_index=True).to_dict("records"):
            s = series.setdefault(str(row["unit"]), {"name": row["name_zh"], "points": [],
                                                      "target": None})
            s["points"].append({"wave": code, "value": float(row["estimate"]),
                                "low": float(row["ci_low"]), "high": float(row["ci_high"])})
            if is_number(row["target"]):
                s["target"] = float(row["target"])
    return {"waves": [w for w, _ in waves], "series": list(series.values())}
