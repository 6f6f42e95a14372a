"""The quarantine: flagged responses with their reasons, and the analysts' reviews."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Text, cast, or_, select

from analysis.quality import COPIED_LINK, REASONS, reason_names
from console.blueprint import bp
from survey.db import get_session
from survey.model import Enterprise, QuarantineReview, Response, Wave
from survey.ops import quarantine as quarantine_state
from survey.ops.counter import stamp_note
from survey.web.access import BUREAU, allow
from survey.web.params import int_arg
from survey.web.rows import get_or_404

PAGE_SIZE = 200
REVIEW_REASON_MAX = 500
STATUSES = ("quarantined", "released", "all")


def _filters() -> dict:
    args = request.args
    return {
        "wave_id": int_arg("wave"),
        "reason": args.get("reason", "") if args.get("reason", "") in REASONS else "",
        "enterprise_id": int_arg("enterprise"),
        "status": args.get("status", "quarantined") if args.get("status") in STATUSES
        else "quarantined",
    }


def flagged(session, wave_id: int, enterprise_id: int | None, reason: str,
            status: str) -> list[tuple[Response, str]]:
    """The wave's flagged responses (newest first) with their enterprise names, filtered."""
    query = (select(Response, Enterprise.name)
             .join(Enterprise, Response.enterprise_id == Enterprise.id)
             .where(Response.wave_id == wave_id).order_by(Response.id.desc()))
    if enterprise_id:
        query = query.where(Response.enterprise_id == enterprise_id)
    if status != "all":
        query = query.where(Response.quarantined.is_(status == "quarantined"))
    query = query.where(or_(Response.quarantined.is_(True), cast(Response.flags, Text) != "[]"))
    rows = [(r, name) for r, name in session.execute(query) if r.flags or r.quarantined]
    # JSON containment differs between SQLite and PostgreSQL: the reason is filtered here.
    return [(r, name) for r, name in rows if not reason or reason in (r.flags or [])]


@bp.get("/quarantine")
@allow(*BUREAU)
def quarantine():
    """Flagged responses with their reasons, filtered by wave, reason, enterprise, status."""
    session = get_session()
    waves = session.scalars(select(Wave).order_by(Wave.opens_on.desc())).all()
    chosen = _filters()
    wave_id = chosen["wave_id"] or (waves[0].id if waves else None)
    rows = flagged(session, wave_id, chosen["enterprise_id"], chosen["reason"],
                   chosen["status"]) if wave_id else []
    reviews = _latest_reviews(session, [r.id for r, _n in rows[:PAGE_SIZE]])
    enterprises = session.execute(select(Enterprise.id, Enterprise.name)
                                  .order_by(Enterprise.name)).all()
    return render_template("console/quarantine.html", rows=rows[:PAGE_SIZE], total=len(rows),
                           waves=waves, wave_id=wave_id, chosen=chosen, reviews=reviews,
                           enterprises=enterprises, reason_names=reason_names(str(get_locale())),
                           stamp_notes=_stamp_notes(rows[:PAGE_SIZE]))


def _stamp_notes(rows) -> dict[int, tuple[str, int]]:
    """Why a copied-link response's counter-display stamp counts against it, by response id."""
    grace = current_app.config["COUNTER_STAMP_GRACE_MINUTES"]
    notes = {r.id: stamp_note(r.stamp_valid, r.stamp_issued_at, r.submitted_at, grace)
             for r, _name in rows if COPIED_LINK in (r.flags or [])}
    return {rid: note for rid, note in notes.items() if note is not None}


def _latest_reviews(session, ids: list[int]) -> dict[int, QuarantineReview]:
    if not ids:
        return {}
    found = session.scalars(select(QuarantineReview).where(QuarantineReview.response_id.in_(ids))
                            .order_by(QuarantineReview.id))
    return {r.response_id: r for r in found}


@bp.post("/quarantine/<int:response_id>/<any(release, confirm):decision>")
@allow(*BUREAU)
def review(response_id: int, decision: str):
    """Release a flagged response into the indices or confirm its quarantine, with a reason
    (recorded as a review and in the audit log)."""
    session = get_session()
    response = get_or_404(Response, response_id)
    reason = request.form.get("reason", "").strip()
    back = request.form.get("back", "")
    back = back if back.startswith("/console/quarantine") else url_for("console.quarantine")
    if not response.flags and not response.quarantined:
        abort(404)
    if not reason or len(reason) > REVIEW_REASON_MAX:
        flash(_("Give a reason for the decision (at most %(n)d characters).",
                n=REVIEW_REASON_MAX), "error")
        return redirect(back, code=303)
    quarantine_state.review(session, response, decision, reason, current_user)
    session.commit()
    flash(_("Response %(id)d released.", id=response.id) if decision == "release"
          else _("Response %(id)d stays quarantined.", id=response.id), "info")
    return redirect(back, code=303)
