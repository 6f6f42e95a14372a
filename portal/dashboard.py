"""The enterprise's dashboard for one wave: index, benchmarks, profile, items, 四分图, trend."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from portal import charts, scope, waves
from portal.blueprint import bp
from reports import dashboard as board
from reports import enterprise as results
from reports.dashboard_charts import dashboard_charts as draw
from reports.families import kind_text
from survey.clock import now
from survey.db import get_session
from survey.model import Enterprise
from survey.ops import comments, receipts, topics, under_review
from survey.ops import dashboard as stored
from survey.ops.complaints import overdue_count
from survey.ops.compute import latest_result, parsed
from survey.web.access import ENTERPRISE, allow
from survey.web.i18n import current_locale


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
    head = results.headline(result, enterprise.id, category.target, category.target_kind)
    data = {"computed_at": row.computed_at, "head": head, "target": category.index_target,
            "target_text": kind_text(category.target_kind, category.target, locale),
            "target_kind": category.target_kind,
            "bench": results.benchmark(result, enterprise.id, sector),
            "sector_name": enterprise.sector.name_zh if locale == "zh_CN"
            else enterprise.sector.name_en,
            "under_review": enterprise.id in under_review.pending(session, wave)}
    rows = stored.history(session, own, wave)
    data["trend"] = results.trend([(w.code, parsed(r.result_json)) for w, r in rows],
                                  enterprise.id)
    if head is None or not head["published"]:
        data.update(profile=[], items=[], fix_first=[], charts={})
        return data
    means = stored.item_means(session, wave, [enterprise.id])[enterprise.id]
    data.update(board.chart_data(result, enterprise.id, sector,
                                     enterprise.sector.instrument_code, means, data["trend"],
                                     locale, _("this business")))
    data["names"] = board.construct_labels(locale)
    data["fix_first"] = [p for p in data["quadrant"]["points"] if p["quadrant"] == "fix_first"]
    key = board.fingerprint(stored.earlier(rows, wave), means)
    svgs = stored.stored_charts(session, row, enterprise.id, locale, key)
    if svgs is None:
        # Results stored before the compute job drew dashboards, an account opened since,
        # or inputs changed since (a later stored result of an earlier wave, an upheld
        # appeal): drawn here once per process and kept.
        svgs = charts.cached((row.id, enterprise.id, locale, key), lambda: draw(
            data, data["names"], category.index_target, locale))
    data["charts"] = {k: Markup(v) for k, v in svgs.items()}  # our own SVG (reports.charts)
    return data
