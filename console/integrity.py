"""A wave's integrity page: surges per enterprise with their timelines, release or confirm
of the held responses, and the analysts' decisions on enterprises under review."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from analysis.quality import HELD_BY_SCAN
from console.blueprint import bp
from survey.db import get_session
from survey.model import Response, Wave
from survey.ops import quarantine as quarantine_state
from survey.ops import under_review
from survey.ops.compute import latest_result
from survey.web.access import BUREAU, allow
from survey.web.rows import get_or_404

REASON_MAX = 500


@bp.get("/waves/<int:wave_id>/integrity")
@allow(*BUREAU)
def integrity(wave_id: int):
    """Surges of the wave's latest computation and the enterprises under review."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    row = latest_result(session, wave)
    found = (row.integrity or {}) if row else {}
    surges = [s | {"svg": Markup(s.get("svg", ""))}  # drawn by our own charts at compute
              for s in (found.get("surges") or {}).get("enterprises", [])]
    held = _held_counts(session, wave)
    return render_template("console/integrity.html", wave=wave, computed=row, surges=surges,
                           held=held, jumps=under_review.stored_jumps(session, wave))


def _held_counts(session, wave) -> dict[int, dict[str, int]]:
    """Per enterprise: responses flagged surge or shifted surge, and how many of them are
    still held."""
    out: dict[int, dict[str, int]] = {}
    for ent, flags, held in session.execute(
            select(Response.enterprise_id, Response.flags, Response.quarantined)
            .where(Response.wave_id == wave.id)):
        if _scanned(flags):
            c = out.setdefault(ent, {"flagged": 0, "held": 0})
            c["flagged"] += 1
            c["held"] += bool(held)
    return out


def _scanned(flags) -> bool:
    """Whether a response was held by the surge or the shifted-surge scan."""
    return any(code in (flags or []) for code in HELD_BY_SCAN)


def _reason() -> str | None:
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > REASON_MAX:
        flash(_("Give a reason for the decision (at most %(n)d characters).", n=REASON_MAX),
              "error")
        return None
    return reason


@bp.post("/waves/<int:wave_id>/integrity/<int:enterprise_id>/<any(release, confirm):decision>")
@allow(*BUREAU)
def integrity_review(wave_id: int, enterprise_id: int, decision: str):
    """Release or confirm every response of an enterprise in the wave held by a scan (surge
    or shifted surge; each one a quarantine review, audited)."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    back = redirect(url_for("console.integrity", wave_id=wave.id), code=303)
    reason = _reason()
    if reason is None:
        return back
    rows = [r for r in session.scalars(select(Response).where(
        Response.wave_id == wave.id, Response.enterprise_id == enterprise_id))
        if _scanned(r.flags)]
    for response in rows:
        quarantine_state.review(session, response, decision, reason, current_user)
    session.commit()
    flash(_("%(n)d responses released.", n=len(rows)) if decision == "release"
          else _("%(n)d responses stay held.", n=len(rows)), "info")
    return back


@bp.post("/waves/<int:wave_id>/integrity/<int:enterprise_id>/<any(accept, keep):decision>")
@allow(*BUREAU)
def index_decision(wave_id: int, enterprise_id: int, decision: str):
    """Accept an enterprise's index jump (it is ranked again) or keep it under review."""
    session = get_session()
    wave = get_or_404(Wave, wave_id)
    back = redirect(url_for("console.integrity", wave_id=wave.id), code=303)
    reason = _reason()
    if reason is None:
        return back
    try:
        under_review.decide(session, wave, enterprise_id, decision, reason, current_user)
    except ValueError as exc:
        flash(str(exc), "error")
        return back
    session.commit()
    flash(_("Index accepted: the enterprise is ranked.") if decision == "accept"
          else _("The enterprise stays under review."), "info")
    return back
