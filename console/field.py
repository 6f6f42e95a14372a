"""Interviewers' tablet pages: their field assignments and the interview form.

An interview goes through the respondent's instrument and validation
(:mod:`survey.web.answers`) and the same idempotent store (:mod:`survey.ops.submission`),
marked ``field`` with the interviewer and the slot; an interviewer sees only their own
assignments (anything else is a 404).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import instruments
from console.blueprint import bp
from survey import clock
from survey.db import get_session, get_writer
from survey.model import FieldAssignment, Wave, wave_accepts
from survey.ops import field
from survey.ops.submission import ALREADY_STORED, Submission, store
from survey.web.access import allow
from survey.web.answers import issue_key, read_form, read_key, unknown_fields
from survey.web.i18n import current_locale
from survey.web.questionnaire import questions_html

INTERVIEWER = ("interviewer",)


@bp.get("/field")
@allow(*INTERVIEWER)
def field_home():
    """The signed-in interviewer's assignments in open waves, with progress per slot."""
    rows = field.assignments_of(get_session(), current_user.id)
    return render_template("console/field_list.html", rows=rows)


def _mine(assignment_id: int) -> FieldAssignment:
    found = get_session().get(FieldAssignment, assignment_id)
    if found is None or found.interviewer_id != current_user.id:
        abort(404)  # someone else's assignment is not even acknowledged
    return found


def _instrument(assignment: FieldAssignment) -> instruments.Instrument:
    code = assignment.enterprise.sector.instrument_code
    wave = get_session().get(Wave, assignment.wave_id)
    return instruments.get(code, (wave.instrument_versions or {}).get(code))


@bp.route("/field/<int:assignment_id>", methods=["GET", "POST"])
@allow(*INTERVIEWER)
def field_interview(assignment_id: int):
    """Enter one intercept interview for an assigned slot (idempotent on the form's key)."""
    assignment = _mine(assignment_id)
    wave = get_session().get(Wave, assignment.wave_id)
    if not wave_accepts(wave.status, wave.opens_on, wave.closes_on, clock.today()):
        flash(_("This wave does not take interviews now."), "error")
        return redirect(url_for("console.field_home"))
    instrument = _instrument(assignment)
    secret = current_app.config["SECRET_KEY"]
    if request.method == "GET":
        return _form(assignment, instrument, questions_html(instrument, current_locale()),
                     issue_key(secret))
    form = read_form(instrument, request.form, current_app.config["COMMENT_MAX_LENGTH"])
    started_at = read_key(secret, form.key)
    extra = unknown_fields(instrument, request.form)
    if form.errors or started_at is None or extra:
        body = questions_html(instrument, current_locale(), form.raw, form.errors)
        return _form(assignment, instrument, body, form.key if started_at else issue_key(secret),
                     400)
    outcome = store(get_writer(), field.field_link(get_session(), assignment),
                    _submission(form, instrument, started_at, assignment))
    flash(_("This interview was saved already.") if outcome == ALREADY_STORED
          else _("Interview saved."), "info")
    return redirect(url_for("console.field_interview", assignment_id=assignment.id), code=303)


def _form(assignment, instrument, body, key, status=200):
    done = dict((a.id, n) for a, n in field.assignments_of(get_session(), current_user.id))
    return render_template("console/field_interview.html", assignment=assignment,
                           instrument=instrument, body=body, key=key,
                           done=done.get(assignment.id, 0)), status


def _submission(form, instrument, started_at, assignment) -> Submission:
    return Submission(
        key=form.key, started_at=started_at, instrument_code=instrument.code,
        instrument_version=instrument.version, answers=form.items, profile=form.profile,
        comment=form.comment, wants_complaint=form.complain, locale=current_locale(),
        ip_hash=None, device_hash=None, client_hash=None, submitted_at=clock.now(),
        source="field", interviewer_id=current_user.id, field_assignment_id=assignment.id,
    )
