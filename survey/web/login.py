"""Logging in, shared by the console and the portal: Flask-Login, the form, `log_in`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, login_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from survey.db import get_session
from survey.model import User
from survey.ops.accounts import authenticate

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.session_protection = "strong"


@dataclass
class Account(UserMixin):
    """The logged-in person, as views need them (no database object kept on the request)."""

    id: int
    email: str
    name: str
    role: str
    enterprise_id: int | None

    def get_id(self) -> str:
        """Flask-Login's identifier: the user id."""
        return str(self.id)


def account_of(user: User) -> Account:
    """The Account of a user row."""
    return Account(user.id, user.email, user.name, user.role, user.enterprise_id)


@login_manager.user_loader
def load_account(user_id: str) -> Account | None:
    """The active account with this id, or None (which logs the session out)."""
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    return account_of(user) if user is not None and user.active else None


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def log_in(form: LoginForm, now: dt.datetime) -> User | None:
    """Check a submitted login form (failures are counted and committed): the user, now
    logged in, or None with the reason flashed (wrong credentials or a locked account)."""
    session = get_session()
    user, outcome = authenticate(session, form.email.data, form.password.data, now)
    session.commit()
    if outcome == "ok":
        login_user(account_of(user))
        return user
    flash(_("Too many failed attempts: try again in 15 minutes.") if outcome == "locked"
          else _("Wrong e-mail or password."), "error")
    return None


def safe_next(target: str | None, endpoint: str) -> str:
    """`target` when it is a same-site path, else the URL of `endpoint` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for(endpoint)


def init_app(app: Flask) -> None:
    """Attach Flask-Login to the app."""
    login_manager.init_app(app)
