"""Portal login and logout, and account activation through an invitation link."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from portal.blueprint import bp
from survey.clock import now
from survey.db import get_session
from survey.ops import audit, invitations
from survey.ops.passwords import password_problem
from survey.web.access import ENTERPRISE, allow
from survey.web.login import LoginForm, account_of, log_in, log_out, same_origin_path
from survey.web.ratelimits import LOGIN_LIMITS, limited

LINK_PROBLEMS = {
    "unknown": _l("This activation link is not valid. Ask the bureau for a new invitation."),
    "used": _l("This activation link has been used already. Log in with your password, or "
               "ask the bureau for a new invitation."),
    "expired": _l("This activation link has expired. Ask the bureau for a new invitation."),
}


class ActivateForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=200)])


def _home_of(role: str) -> str:
    return url_for("portal.dashboard") if role == "enterprise" else url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
@limited(*LOGIN_LIMITS)
@allow()
def login():
    """Log an enterprise user in (bureau staff are sent on to the console)."""
    form = LoginForm()
    if form.validate_on_submit():
        user = log_in(form, now())
        if user is not None:
            target = same_origin_path(request.args.get("next"), "/portal/")
            return redirect(target if target and user.role == "enterprise"
                            else _home_of(user.role))
    status = 200 if request.method == "GET" else 401
    return render_template("portal/login.html", form=form), status


@bp.post("/logout")
@allow(*ENTERPRISE)
def logout():
    """Log out: every session of the account ends, saved cookies included."""
    log_out()
    flash(_("You have logged out."), "info")
    return redirect(url_for("portal.login"))


@bp.route("/activate/<token>", methods=["GET", "POST"])
@allow()
def activate(token: str):
    """Set a password through a one-time invitation link, which is then spent."""
    session = get_session()
    invitation = invitations.lookup(session, token)
    problem = invitations.problem(invitation, now())
    if problem:
        return render_template("portal/activate.html", problem=LINK_PROBLEMS[problem]), 410
    form = ActivateForm()
    error = None
    if form.validate_on_submit():
        error = password_problem(form.password.data, invitation.email)
        if error is None and form.password.data != form.confirm.data:
            error = _("The two passwords differ.")
        if error is None:
            return _activate(session, invitation, form.password.data)
    elif request.method == "POST":
        error = _("Type the new password twice.")
    return render_template("portal/activate.html", form=form, invitation=invitation,
                           error=error), 200 if error is None else 400


def _activate(session, invitation, password: str):
    try:
        user = invitations.activate(session, invitation, password, now())
        audit.record(session, user, "activate", "user", user.id, None,
                     {"email": user.email, "enterprise_id": user.enterprise_id,
                      "organisation_id": user.organisation_id,
                      "invitation": invitation.id})
        session.commit()
    except IntegrityError:  # the same link spent in parallel, or the e-mail taken meanwhile
        session.rollback()
        return render_template("portal/activate.html", problem=LINK_PROBLEMS["used"]), 410
    current_app.logger.info("enterprise user %s activated", user.id)
    if current_user.is_authenticated:
        logout_user()
    login_user(account_of(user))
    flash(_("Your account is ready."), "info")
    return redirect(url_for("portal.dashboard"))
