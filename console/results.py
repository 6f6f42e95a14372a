"""Wave results in the console, and the background jobs that compute and publish them."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

import instruments
from analysis import WaveResult
from console import job_steps
from console.blueprint import bp
from console.integration_view import integration_context
from survey.db import get_session
from survey.model import Job, Wave
from survey.ops import audit, jobs
from survey.ops.compute import latest_result
from survey.web.access import BUREAU, PUBLISHERS, allow
from survey.web.rows import get_or_404

TABLE_COLUMNS = ("unit", "name_zh", "name", "estimate", "ci_low", "ci_high", "n", "n_eff", "target",
                 "verdict_zh", "published", "caution")


def construct_names() -> dict[str, str]:
    """Construct code → its Chinese name, from the instruments."""
    return {c.code: c.label.zh_CN for inst in instruments.load_all().values()
            for c in inst.constructs}


def _records(result: WaveResult, name: str, columns=TABLE_COLUMNS) -> list[dict]:
    frame = result.tables.get(name)
    if frame is None:
        return []
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].to_dict("records")


@bp.get("/waves/<int:wave_id>/results")
@allow(*BUREAU)
def results(wave_id: int):
    """The wave's latest computed result: district, categories, sectors, enterprises."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    row = latest_result(session, wave)
    result = WaveResult.from_json(row.result_json) if row else None
    tables = {name: _records(result, name) for name in
              ("district", "categories", "sectors", "enterprises")} if result else {}
    priorities = [p for p in _records(result, "priorities", (
        "level", "sector", "construct", "importance", "performance", "quadrant_zh"))
        if p.get("level", "construct") == "construct"] if result else []
    names = construct_names()
    for p in priorities:
        p["construct"] = names.get(p["construct"], p["construct"])
    diagnostics = _records(result, "diagnostics", (
        "pool", "construct", "items", "alpha", "rho_dg", "ave", "r2", "weak_items",
        "iterations", "converged", "equal_weight_fallback")) if result else []
    charts = {k: [Markup(svg) for svg in v] for k, v in (row.charts or {}).items()} if row else {}
    return render_template("console/results.html", wave=wave, row=row, tables=tables,
                           priorities=priorities, diagnostics=diagnostics, charts=charts,
                           compared=compared_rows(row.with_quarantined if row else None),
                           integration=integration_context(result, row.gap_review if row else None))


def compared_rows(rows: list[dict] | None) -> list[dict]:
    """Units whose index or sample changes when quarantined responses are included (every
    district, category and sector row; enterprises only when they change)."""
    shown = []
    for r in rows or []:
        before, after = r.get("without"), r.get("with")
        delta = None if before is None or after is None else after - before
        moved = delta is not None and abs(delta) >= 0.05
        changed = r.get("n_with") != r.get("n_without") or moved
        if r["level"] != "enterprises" or changed:
            shown.append({**r, "delta": delta})
    return shown


@bp.post("/waves/<int:wave_id>/<any(compute, publish):kind>")
@allow(*BUREAU)
def start_job(wave_id: int, kind: str):
    """Start computing the wave (bureau) or publishing its bulletin (admins only: least
    privilege, publication speaks for the bureau) in the background (audited)."""
    if kind == "publish" and current_user.role not in PUBLISHERS:
        abort(403)
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    if kind == "publish" and wave.status not in ("closed", "published"):
        flash(_("Close the wave before publishing its bulletin."), "error")
        return redirect(url_for("console.results", wave_id=wave.id), code=303)
    params = {"changes": request.form.get("changes", "").strip()[:500]}
    job = jobs.enqueue(session, kind, wave.id, current_user.id, params)
    session.flush()
    audit.record(session, current_user, kind, "wave", wave.id, None, {"job": job.id, **params})
    session.commit()
    jobs.start(current_app._get_current_object(), job.id)
    return redirect(url_for("console.job", job_id=job.id), code=303)


@bp.get("/jobs/<int:job_id>")
@allow(*BUREAU)
def job(job_id: int):
    """A background job's progress (the page refreshes itself while it runs)."""
    found = get_or_404(Job, job_id)
    return render_template("console/job.html", job=found, stale=jobs.is_stale(found),
                           step=job_steps.step_label(found.message),
                           status=job_steps.status_label(found.status),
                           left=job_steps.time_left(jobs.seconds_left(get_session(), found)))
