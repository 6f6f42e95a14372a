"""Console log in and out, and `flask create-admin`."""

from __future__ import annotations

import click
from flask import Flask, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _

from console.blueprint import bp
from survey import clock
from survey.db import session_scope
from survey.model import User
from survey.ops import audit
from survey.ops.accounts import find_user, hash_password, unlock
from survey.ops.passwords import password_problem
from survey.web.access import PUBLIC, allow
from survey.web.login import LoginForm, account_hash, log_in, log_out, safe_next
from survey.web.ratelimits import LOGIN_LIMITS, limited


@bp.route("/login", methods=["GET", "POST"])
@limited(*LOGIN_LIMITS)
@allow(*PUBLIC)
def login():
    """Log a bureau or enterprise user in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = log_in(form, clock.now())
        if user is not None:
            if user.role == "enterprise":  # enterprise users belong in the portal
                return redirect(url_for("portal.dashboard"))
            if user.role == "interviewer":  # interviewers see only their field pages
                return redirect(url_for("console.field_home"))
            return redirect(safe_next(request.args.get("next"), "console.home"))
    return render_template("console/login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
@allow("admin", "analyst", "enterprise", "interviewer")
def logout():
    """Log out: every session of the account ends, saved cookies included."""
    log_out()
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
        if find_user(session, email) is not None:
            raise click.ClickException(f"an account for {email} exists already")
        session.add(User(email=email.strip(), name=name, role="admin",
                         password_hash=hash_password(password)))
        session.commit()
    finally:
        session.close()
    click.echo(f"admin {email} created")


@click.command("unlock-login")
@click.option("--email", required=True)
@with_appcontext
def unlock_login_command(email: str) -> None:
    """Lift the login delays of an account (any role) on every network."""
    session = session_scope(write=True)
    try:
        networks = unlock(session, account_hash(email))
        user = find_user(session, email)
        audit.record(session, None, "unlock", "user", user.id if user else "", None,
                     {"email": email.strip(), "networks": networks})
        session.commit()
    finally:
        session.close()
    click.echo(f"login delays lifted for {email} ({networks} network(s))")


def init_app(app: Flask) -> None:
    """Register the CLI."""
    app.cli.add_command(create_admin_command)
    app.cli.add_command(unlock_login_command)
