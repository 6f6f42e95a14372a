"""Bulletin context: wave results in, a dict of strings, numbers, lists and dicts out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from analysis import WaveResult, change
from reports import annex, families, words
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
LOCALES = words.LOCALES


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
    are left out of the ranking). ``locale`` picks the edition: "zh_CN" (official) or "en",
    whose ``title`` and ``district_name`` the caller gives in English.
    """
    words.check(locale)
    changes = _changes(previous, result)
    en = locale == "en"
    label = words.wave_en if en else wave_label
    prev_label = label(previous_code) if previous_code else words.MISC[locale]["last_wave"]
    ctx = {
        "lang": "en" if en else "zh-CN", "locale": locale, "title": title,
        "district_name": district_name,
        "issue": words.issue_en(wave_code, issue_no, date) if en else issue_label(issue_no, date),
        "date": words.date_en(date) if en else date_label(date),
        "date_iso": date.isoformat(), "wave_code": wave_code, "wave": label(wave_code),
        "wave_long": words.wave_long_en(wave_code) if en else wave_label(wave_code),
        "previous_wave": prev_label if previous is not None else None, "draft": bool(draft),
        "ci_level": f"{result.settings['ci_level']:.0%}",
        "verdict_level": f"{result.settings['verdict_level']:.0%}",
    }
    ctx["headline"] = headline_rows(result, changes, district_name, locale)
    ctx["summary"] = summary_en(ctx) if en else summary_text(ctx)
    ctx["categories"] = sector_groups(result, changes, locale)
    ctx["families"] = families.family_sections(result, locale)
    ctx["service_kind"] = families.kind_text("threshold", None, locale)
    ctx["ranking"] = ranking(result, locale, ranked_out(integrity))
    ctx["integrity"] = integrity_annex(integrity, result.settings, locale)
    ctx["data_quality"] = annex.data_quality(result, intake, locale)
    ctx["methodology"] = annex.methodology(result, aggregation_weights, locale)
    ctx["charts"] = chart_data(result, ctx, wave_code, previous, previous_code, history)
    return ctx


def _changes(previous, result) -> dict:
    """(level, unit) -> change row of the headline index, empty without a previous wave."""
    if previous is None:
        return {}
    c = change(previous, result)
    c = c[c["construct"] == HEADLINE]
    return {(r["level"], str(r["unit"])): r for r in c.to_dict("records")}


def _change_cells(changes: dict, level: str, unit, locale: str = "zh_CN") -> dict:
    row = changes.get((level, str(unit)))
    if row is None:
        return {"change": DASH, "change_sig": "", "change_key": None}
    sig = row["change_zh"] if locale == "zh_CN" else words.CHANGES[locale][row["change"]]
    return {"change": signed(row["delta"]), "change_sig": sig, "change_key": row["change"]}


def _verdict(row: dict, locale: str = "zh_CN") -> tuple[str, str | None]:
    if not row.get("published", True):
        return (INSUFFICIENT if locale == "zh_CN" else words.VERDICTS[locale]["insufficient"],
                "insufficient")
    key = row.get("verdict")
    key = key if isinstance(key, str) else None
    if locale == "zh_CN":
        return (row.get("verdict_zh") or DASH), key
    return words.VERDICTS[locale].get(key, DASH), key


def _figures(row: dict) -> dict:
    """The index, its CI and sample size, as printed and as numbers for charts."""
    return {
        "estimate": num(row["estimate"]), "ci": interval(row["ci_low"], row["ci_high"]),
        "n": count(row["n"]), "n_eff": num(row["n_eff"], 0),
        "value": float(row["estimate"]), "low": float(row["ci_low"]),
        "high": float(row["ci_high"]), "published": bool(row.get("published", True)),
        "caution": bool(row.get("caution", False)),
    }


def headline_rows(result: WaveResult, changes: dict, district_name: str,
                  locale: str = "zh_CN") -> list[dict]:
    """District index, then every category against its target from the result."""
    en = locale == "en"
    d = result.tables["district"].to_dict("records")[0]
    rows = [{"key": "district", "name": district_name,
             "label": (f"{district_name} customer satisfaction index" if en
                       else f"{district_name}顾客满意度指数"), "target": DASH,
             "verdict": DASH, "verdict_key": None, **_figures(d),
             **_change_cells(changes, "district", d["unit"], locale)}]
    for c in _service(result):
        verdict, key = _verdict(c, locale)
        name = words.name(c, locale)
        rows.append({"key": str(c["unit"]), "name": name,
                     "label": f"{name} index" if en else f"{name}满意度指数",
                     "target": num(c["target"], 0), "target_value": float(c["target"]),
                     "verdict": verdict, "verdict_key": key, **_figures(c),
                     **_change_cells(changes, "category", c["unit"], locale)})
    return rows


def _service(result: WaveResult) -> list[dict]:
    """The service (threshold-kind) category rows; the other families have sections of
    their own (:mod:`reports.families`)."""
    codes = set(families.service_categories(result))
    return [c for c in result.tables["categories"].to_dict("records") if str(c["unit"]) in codes]


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


VERDICT_PHRASES = {"met": "significantly above the target of {t}",
                   "not_met": "significantly below the target of {t}",
                   "not_different": "not significantly different from the target of {t}",
                   "insufficient": "based on too few responses to be judged against the "
                                   "target of {t}"}


def summary_en(ctx: dict) -> list[str]:
    """The headline in English sentences, as a statistical release words them."""
    first, *cats = ctx["headline"]
    ci = ctx["ci_level"].replace("%", " %")
    lines = [f"In {ctx['wave']} the {first['label']} stood at {first['estimate']} "
             f"({ci} CI {first['ci']})."]
    if ctx["previous_wave"] and first["change"] != DASH:
        delta = float(first["change"])
        move = ("unchanged from" if delta == 0 else
                f"{abs(delta):.1f} points {'higher' if delta > 0 else 'lower'} than in")
        lines[0] += f" It was {move} {ctx['previous_wave']} ({first['change_sig']})."
    for c in cats:
        phrase = VERDICT_PHRASES.get(c["verdict_key"], "compared with a target of {t}")
        lines.append(f"The {words.compound(c['name'])} index is {c['estimate']} ({ci} CI "
                     f"{c['ci']}), {phrase.format(t=c['target'])}.")
    return lines


def sector_groups(result: WaveResult, changes: dict, locale: str = "zh_CN") -> list[dict]:
    """Sectors grouped by category, in the result's order, with their verdicts."""
    sectors = result.tables["sectors"]
    cat_of = annex.sector_categories(result)
    groups = []
    for c in _service(result):
        rows = []
        for s in sectors[cat_of.reindex(sectors["unit"]).to_numpy() == c["unit"]].to_dict(
                "records"):
            verdict, key = _verdict(s, locale)
            rows.append({"code": str(s["unit"]), "name": words.name(s, locale),
                         "verdict": verdict, "verdict_key": key, **_figures(s),
                         **_change_cells(changes, "sector", s["unit"], locale)})
        groups.append({"code": str(c["unit"]), "name": words.name(c, locale),
                       "target": num(c["target"], 0), "target_value": float(c["target"]),
                       "rows": rows})
    return groups


def ranking(result: WaveResult, locale: str = "zh_CN",
            held_out: set[str] = frozenset()) -> dict:
    """Published enterprises by sector, ordered by their shrunk (fair) estimate (enterprise
    names as registered, in every edition), without the units in ``held_out`` (enterprises
    under review): the others' positions are counted among themselves (1 + the number
    ranked strictly ahead, so ties keep sharing a position). A sector whose enterprises do
    not differ beyond sampling error is listed unranked (``tied``)."""
    ent = result.tables["enterprises"]
    out = ent["unit"].astype(str).isin(held_out)
    names = {r["unit"]: words.name(r, locale)
             for r in result.tables["sectors"].to_dict("records")}
    sectors = result.tables["sectors"].set_index("unit")
    groups = []
    for code in sectors.index:
        t = ent[(ent["sector"] == code) & ent["published"] & ~out].sort_values("league_position")
        if not len(t):
            continue
        if bool(sectors.loc[code].get("ranking_tied", False)):
            # No ranking where enterprises do not differ beyond sampling error.
            groups.append({"sector": names.get(code, code), "rows": [], "tied": True,
                           "unranked": [{"name": str(r["name"]), "estimate": num(r["estimate"]),
                                         "ci": interval(r["ci_low"], r["ci_high"]),
                                         "n": count(r["n"])}
                                        for r in t.sort_values("name").to_dict("records")]})
            continue
        ahead = t["league_position"].to_numpy(float)
        rows = [{"position": 1 + int((ahead < r["league_position"]).sum()), "name": str(r["name"]),
                 "shrunk": num(r["shrunk"]), "estimate": num(r["estimate"]),
                 "ci": interval(r["ci_low"], r["ci_high"]), "n": count(r["n"])}
                for r in t.to_dict("records") if is_number(r["league_position"])]
        groups.append({"sector": names.get(code, code), "rows": rows, "tied": False})
    return {"groups": groups, "ranked": sum(len(g["rows"]) for g in groups),
            "tied": sum(len(g.get("unranked", [])) for g in groups),
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
        "trend": (_trend(waves, ctx["district_name"], ctx["locale"]) if len(waves) > 1
                  else None),
        "quadrants": annex.quadrant_points(result, ctx["locale"]),
        "locale": ctx["locale"],
    }


def _trend(waves, district_name: str, locale: str = "zh_CN") -> dict:
    """District and category indices with CIs over the waves, with category targets."""
    series = {}
    for code, res in waves:
        frames = [res.tables["district"].assign(name_zh=district_name, name_en=district_name,
                                                target=float("nan")),
                  res.tables["categories"]]
        for row in pd.concat(frames, ignore_index=True).to_dict("records"):
            s = series.setdefault(str(row["unit"]), {"name": words.name(row, locale),
                                                      "points": [],
                                                      "target": None})
            s["points"].append({"wave": code, "value": float(row["estimate"]),
                                "low": float(row["ci_low"]), "high": float(row["ci_high"])})
            if is_number(row["target"]):
                s["target"] = float(row["target"])
    return {"waves": [w for w, _ in waves], "series": list(series.values())}
