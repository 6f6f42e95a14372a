"""Appeals (申诉): an enterprise contests a response as malicious; the bureau decides."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import scope
from portal.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.model import Appeal, Response, Wave
from survey.ops import audit, comments
from survey.ops.masking import mask
from survey.web.access import ENTERPRISE, allow

REASON_MIN, REASON_MAX = 10, 1000


def _appealable(response_id: int) -> Response:
    """The enterprise's response whose comment it can see, not yet quarantined, else 404."""
    response = scope.own_or_404(Response, response_id)
    wave = get_session().get(Wave, response.wave_id)
    own = scope.enterprise_id()
    if response.quarantined or not comments.comments_visible(get_session(), wave, own):
        abort(404)
    return response


def _pending(response: Response) -> Appeal | None:
    return get_session().scalar(scope.scoped(
        select(Appeal).where(Appeal.response_id == response.id, Appeal.status == "pending"),
        Appeal))


@bp.route("/responses/<int:response_id>/appeal", methods=["GET", "POST"])
@allow(*ENTERPRISE)
def appeal(response_id: int):
    """Contest a response as malicious, with a reason (one pending appeal per response)."""
    response = _appealable(response_id)
    pending = _pending(response)
    reason = request.form.get("reason", "").strip()
    if request.method == "POST" and pending is None:
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            flash(_("Give a reason of %(lo)d to %(hi)d characters.", lo=REASON_MIN,
                    hi=REASON_MAX), "error")
        else:
            return _file(response, reason)
    status = 200 if request.method == "GET" else 409 if pending is not None else 400
    return render_template("portal/appeal.html", response=response, pending=pending,
                           text=mask(response.comment), reason=reason, limit=REASON_MAX), status


def _file(response: Response, reason: str):
    session = get_session()
    row = Appeal(response_id=response.id, enterprise_id=scope.enterprise_id(), reason=reason,
                 created_by=current_user.id, created_at=now(), status="pending")
    session.add(row)
    session.flush()
    audit.record(session, current_user, "appeal", "response", response.id, None,
                 {"appeal": row.id, "reason": reason})
    session.commit()
    flash(_("Your appeal has been sent to the bureau."), "info")
    return redirect(url_for("portal.appeal_list"), code=303)


@bp.get("/appeals")
@allow(*ENTERPRISE)
def appeal_list():
    """The enterprise's appeals with their status and the bureau's decision."""
    rows = get_session().scalars(scope.scoped(
        select(Appeal).order_by(Appeal.created_at.desc(), Appeal.id.desc()), Appeal)).all()
    return render_template("portal/appeals.html", appeals=rows)
