"""Accounts: password hashing, login with throttling, logout, `flask create-admin`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask import Flask, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from console.access import PUBLIC, allow
from console.blueprint import bp
from console.passwords import password_problem
from survey.db import get_session, session_scope
from survey.models import User, utcnow

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
# Verifying against this keeps an unknown e-mail as slow as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
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


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password (werkzeug's default method)."""
    return generate_password_hash(password, method="scrypt")


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _is_locked(user: User, now: dt.datetime) -> bool:
    until = user.locked_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return until is not None and until > now


def authenticate(session, email: str, password: str, now: dt.datetime) -> tuple[User | None, str]:
    """Check credentials and update the failure counter; returns (user or None, outcome).

    Outcomes: "ok", "bad" (unknown e-mail or wrong password: not told apart) and "locked"
    (too many failures: the account refuses logins until the lockout ends).
    """
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None, "bad"
    if _is_locked(user, now):
        return None, "locked"
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return None, "bad"
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user, "ok"


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


@bp.route("/login", methods=["GET", "POST"])
@allow(*PUBLIC)
def login():
    """Log a bureau or enterprise user in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = log_in(form, utcnow())
        if user is not None:
            if user.role == "enterprise":  # enterprise users belong in the portal
                return redirect(url_for("portal.dashboard"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("console/login.html", form=form), 200 if request.method == "GET" else 401


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker must not bounce users to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.post("/logout")
@allow("admin", "analyst", "enterprise")
def logout():
    """Log out."""
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("console.login"))


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create a bureau administrator (the first account)."""
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    session = session_scope(write=True)
    try:
        if session.scalar(select(User).where(func.lower(User.email) == email.lower())):
            raise click.ClickException(f"an account for {email} exists already")
        session.add(User(email=email.strip(), name=name, role="admin",
                         password_hash=hash_password(password)))
        session.commit()
    finally:
        session.close()
    click.echo(f"admin {email} created")


def init_app(app: Flask) -> None:
    """Attach Flask-Login and the CLI."""
    login_manager.init_app(app)
    app.cli.add_command(create_admin_command)
