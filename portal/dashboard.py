"""The enterprise's dashboard for one wave: index, benchmarks, profile, items, 四分图, trend."""

from __future__ import annotations

import pandas as pd
from flask import current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from analysis import quadrants
from analysis.priorities import QUADRANTS
from portal import charts, items, results, scope, waves
from portal.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import Enterprise
from survey.ops import comments, receipts, topics, under_review
from survey.ops.complaints import overdue_count
from survey.ops.compute import latest_result, parsed
from survey.web.access import ENTERPRISE, allow
from survey.web.i18n import current_locale

SHORT = 14  # characters of a question kept as a chart label


@bp.get("/")
@allow(*ENTERPRISE)
def dashboard():
    """The dashboard of the chosen wave (default: the latest with a computed result)."""
    session = get_session()
    enterprise = session.get(Enterprise, scope.enterprise_id())
    own = waves.own_waves(session)
    wave = waves.pick(session, own, request.args.get("wave"))
    context = {"enterprise": enterprise, "waves": own, "wave": wave, "data": None,
               "topic_names": topics.TOPICS, "topics": None, "comment_count": 0,
               "overdue": 0, "receipts": None}
    if wave is not None:
        context["data"] = wave_dashboard(session, enterprise, wave, own)
        context["receipts"] = receipts.verified_share(session, wave, enterprise.id)
        if comments.comments_visible(session, wave, enterprise.id):
            rows = comments.comment_rows(session, wave, enterprise.id, enterprise.sector.code)
            context["topics"], context["comment_count"] = comments.topic_counts(rows), len(rows)
            context["overdue"] = overdue_count(session, wave, enterprise.id,
                                               enterprise.sector.code, now(), current_app.config)
    return render_template("portal/dashboard.html", **context)


def wave_dashboard(session, enterprise: Enterprise, wave, own) -> dict | None:
    """Everything the dashboard shows for `wave`, or None before its first computation."""
    row = latest_result(session, wave)
    if row is None:
        return None
    result = parsed(row.result_json)
    sector, category = enterprise.sector.code, enterprise.sector.category
    locale = current_locale()
    head = results.headline(result, enterprise.id, category.target)
    data = {"computed_at": row.computed_at, "head": head, "target": category.target,
            "bench": results.benchmark(result, enterprise.id, sector),
            "sector_name": enterprise.sector.name_zh if locale == "zh_CN"
            else enterprise.sector.name_en,
            "under_review": enterprise.id in under_review.pending(session, wave)}
    history_rows = _history(session, own, wave)
    data["trend"] = results.trend([(w.code, parsed(r.result_json))
                                   for w, r in history_rows], enterprise.id)
    if head is None or not head["published"]:
        data.update(profile=[], items=[], fix_first=[], charts={})
        return data
    names = items.construct_labels(locale)
    data["profile"] = results.profile(result, enterprise.id, sector)
    data["names"] = names
    data["items"], quad = _items_and_quadrant(session, enterprise, wave, result, locale)
    data["fix_first"] = [p for p in quad["points"] if p["quadrant"] == "fix_first"]
    data["quadrant"] = quad
    # Charts change only with the stored results they read (and the enterprise, language).
    # Charts change only with the stored results, the enterprise's item scores (read from
    # its responses, which an upheld appeal changes) and the language.
    stored = [row, *(h for _w, h in history_rows)]
    key = (tuple((r.id, str(r.computed_at), r.input_sha256) for r in stored),
           enterprise.id, locale, tuple((i["code"], i["mean"], i["n"]) for i in data["items"]))
    data["charts"] = charts.cached(key, lambda: _draw(data, names, category, locale))
    return data


def _history(session, own, wave) -> list[tuple]:
    """(wave, its latest stored result) for the waves up to `wave`, oldest first."""
    out = []
    for w in own:
        if w.opens_on > wave.opens_on:
            break
        row = latest_result(session, w)
        if row is not None:
            out.append((w, row))
    return out


def _items_and_quadrant(session, enterprise: Enterprise, wave, result, locale: str):
    sector = enterprise.sector.code
    own = items.item_means(session, wave)
    sector_means = results.sector_items(result, sector)
    importance = results.item_importance(result, sector)
    labels = items.item_labels(enterprise.sector.instrument_code, locale, _("this business"))
    rows = []
    for code, label in labels.items():  # in the questionnaire's order
        value = own.get(code)
        if value is None or code not in sector_means:
            continue
        rows.append({"code": code, "label": label, "mean": value["mean"], "n": value["n"],
                     "sector": sector_means.get(code),
                     "short": label if len(label) <= SHORT else label[:SHORT] + "…"})
    points = pd.DataFrame([{"code": r["code"], "importance": importance[r["code"]],
                            "performance": r["mean"]} for r in rows if r["code"] in importance])
    quad = {"points": [], "importance_cut": None, "performance_cut": None}
    if len(points) >= 2:
        split = result.settings.get("quadrant_split", "mean")
        q = quadrants(points, split=split)
        by_code = {r["code"]: r for r in rows}
        quad["points"] = [{"number": i + 1, "label": str(i + 1),
                           "text": by_code[p["code"]]["label"], "code": p["code"],
                           "importance": p["importance"], "performance": p["performance"],
                           "quadrant": p["quadrant"]}
                          for i, p in enumerate(q.to_dict("records"))]
        quad["importance_cut"] = float(q["importance_cut"].iloc[0])
        quad["performance_cut"] = float(q["performance_cut"].iloc[0])
    return rows, quad


def chart_labels(locale: str) -> dict:
    """The words drawn on the dashboard's charts, in the request's language."""
    return {
        "profile_x": _("Index (dot: yours, with its 95 per cent interval; line: sector mean)"),
        "items_x": _("Score 0–100 (bar: yours; line: sector mean)"),
        "importance": _("Importance (effect on satisfaction)"),
        "performance": _("Score"),
        "quadrants": {key: zh if locale == "zh_CN" else en
                      for key, zh, en in QUADRANTS.values()},
        "index": _("Satisfaction index"), "series": _("This business"),
        "target": _("Target"),
    }


def _draw(data: dict, names: dict, category, locale: str) -> dict:
    labels = chart_labels(locale)
    out = {"profile": charts.profile_chart(
        [r for r in data["profile"] if r["construct"] != "complaint"], names, labels)}
    if data["items"]:
        out["items"] = charts.items_chart(data["items"], labels)
    quad = data["quadrant"]
    if quad["points"]:
        out["quadrant"] = charts.quadrant_chart(quad["points"], quad["importance_cut"],
                                                quad["performance_cut"], labels)
    if any(p["value"] is not None for p in data["trend"]):
        out["trend"] = charts.trend_chart(data["trend"], category.target, labels)
    return {k: Markup(v) for k, v in out.items()}
