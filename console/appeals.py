"""Appeals (申诉) in the console: the bureau reviews and upholds or rejects them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import Answer, Appeal
from survey.ops import audit, jobs, quarantine
from survey.ops.appeals import index_effect
from survey.web.access import BUREAU, allow
from survey.web.rows import get_or_404

DECISIONS = ("upheld", "rejected")


@bp.get("/appeals")
@allow(*BUREAU)
def appeals():
    """Appeals, pending first."""
    rows = get_session().scalars(select(Appeal).order_by(
        (Appeal.status != "pending"), Appeal.created_at.desc(), Appeal.id.desc())).all()
    return render_template("console/appeals.html", appeals=rows)


@bp.get("/appeals/<int:appeal_id>")
@allow(*BUREAU)
def appeal(appeal_id: int):
    """An appeal with the contested response, its answers and its effect on the index."""
    row = get_or_404(Appeal, appeal_id)
    answers = get_session().scalars(select(Answer).where(Answer.response_id == row.response_id)
                                    .order_by(Answer.item_code)).all()
    effect = row.effect if row.status != "pending" else index_effect(get_session(), row.response)
    return render_template("console/appeal.html", appeal=row, answers=answers, effect=effect)


@bp.post("/appeals/<int:appeal_id>/decide")
@allow(*BUREAU)
def decide_appeal(appeal_id: int):
    """Uphold (the response is quarantined, never deleted) or reject an appeal (audited)."""
    session = get_session()
    row = get_or_404(Appeal, appeal_id)
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "").strip()
    if row.status != "pending":
        flash(_("This appeal has been decided already."), "error")
    elif decision not in DECISIONS or not 5 <= len(reason) <= 1000:
        flash(_("Choose uphold or reject and give a reason (5 to 1,000 characters)."), "error")
    else:
        _decide(session, row, decision, reason)
        job = jobs.enqueue(session, "appeal_effect", row.response.wave_id, current_user.id,
                           {"appeal_id": row.id})
        session.commit()
        if current_app.config["JOBS_AUTOSTART"]:
            jobs.start(current_app._get_current_object(), job.id)
        flash(_("Decision recorded."), "info")
    return redirect(url_for("console.appeal", appeal_id=row.id), code=303)


def _decide(session, row: Appeal, decision: str, reason: str) -> None:
    effect = index_effect(session, row.response)
    row.status, row.decision_reason = decision, reason
    row.decided_by, row.decided_at = current_user.id, now()
    row.index_with, row.index_without, row.effect = effect["with"], effect["without"], effect
    audit.record(session, current_user, decision, "appeal", row.id, {"status": "pending"},
                 {"status": decision, "reason": reason, "effect": effect})
    response = row.response
    if decision == "upheld":
        quarantine.uphold_appeal(session, response, current_user)
