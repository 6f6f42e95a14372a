"""Comments and complaints pages: filters, complaint replies and the handled mark."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import scope, waves
from portal.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import ComplaintReply, Enterprise, Response, Wave
from survey.ops import audit, comments, holidays, topics
from survey.ops.complaints import state_of
from survey.ops.masking import mask
from survey.web.access import ENTERPRISE, allow

REPLY_MAX = 2000


def _context(kind: str) -> dict:
    session = get_session()
    enterprise = session.get(Enterprise, scope.enterprise_id())
    own = waves.own_waves(session)
    wave = waves.pick(session, own, request.args.get("wave"))
    rating = request.args.get("rating", "")
    topic = request.args.get("topic", "")
    context = {"enterprise": enterprise, "waves": own, "wave": wave, "rows": [],
               "visible": False, "rating": rating if rating in comments.RATINGS else "",
               "topic": topic if topic in topics.TOPICS else "", "kind": kind,
               "topics": topics.TOPICS, "k": comments.comment_threshold()}
    if wave is None:
        return context
    context["visible"] = comments.comments_visible(session, wave, enterprise.id)
    if context["visible"]:
        context["rows"] = comments.comment_rows(
            session, wave, enterprise.id, enterprise.sector.code, rating=context["rating"],
            topic=context["topic"], complaints_only=kind == "complaints")
        ids = [r["id"] for r in context["rows"]]
        context["appeals"] = comments.appeals_of(session, enterprise.id, ids)
        if kind == "complaints":
            replies, at = comments.replies_of(session, enterprise.id, ids), now()
            calendar = holidays.working_calendar(session)
            for r in context["rows"]:
                r["state"] = state_of(r["at"], replies.get(r["id"], []), at,
                                      current_app.config, calendar)
    return context


@bp.get("/comments")
@allow(*ENTERPRISE)
def comment_list():
    """Customers' comments of a wave, masked, filterable by rating and topic."""
    return render_template("portal/comments.html", **_context("comments"))


@bp.get("/complaints")
@allow(*ENTERPRISE)
def complaint_list():
    """Complaints of a wave with their deadlines; overdue ones highlighted."""
    return render_template("portal/complaints.html", **_context("complaints"))


def _own_complaint(response_id: int) -> Response:
    """The enterprise's complaint-flagged response, visible under the k rule, else 404."""
    response = scope.own_or_404(Response, response_id)
    wave = get_session().get(Wave, response.wave_id)
    own = scope.enterprise_id()
    if not response.wants_complaint or not comments.comments_visible(get_session(), wave, own):
        abort(404)
    return response


@bp.get("/complaints/<int:response_id>")
@allow(*ENTERPRISE)
def complaint(response_id: int):
    """One complaint: the masked comment, the replies so far and the reply form."""
    response = _own_complaint(response_id)
    session = get_session()
    replies = comments.replies_of(session, response.enterprise_id, [response.id])
    replies = replies.get(response.id, [])
    state = state_of(response.submitted_at, replies, now(), current_app.config,
                     holidays.working_calendar(session))
    enterprise = session.get(Enterprise, scope.enterprise_id())
    return render_template("portal/complaint.html", response=response, replies=replies,
                           state=state, text=mask(response.comment),
                           tags=topics.tags(response.comment, enterprise.sector.code),
                           limit=REPLY_MAX, topic_name=topics.topic_name)


@bp.post("/complaints/<int:response_id>/reply")
@allow(*ENTERPRISE)
def reply(response_id: int):
    """Record a reply to a complaint, optionally marking it handled (audited)."""
    response = _own_complaint(response_id)
    body = request.form.get("body", "").strip()
    handled = request.form.get("handled") == "1"
    if not body or len(body) > REPLY_MAX:
        flash(_("Write a reply of at most %(n)d characters.", n=REPLY_MAX), "error")
        return redirect(url_for("portal.complaint", response_id=response.id), code=303)
    session = get_session()
    row = ComplaintReply(response_id=response.id, enterprise_id=scope.enterprise_id(),
                         author_id=current_user.id, body=body, marks_handled=handled, at=now())
    session.add(row)
    session.flush()
    audit.record(session, current_user, "reply", "complaint", response.id, None,
                 {"reply": row.id, "handled": handled})
    session.commit()
    flash(_("Marked as handled.") if handled else _("Reply saved."), "info")
    return redirect(url_for("portal.complaint", response_id=response.id), code=303)
