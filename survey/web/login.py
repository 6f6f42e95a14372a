"""Logging in, shared by the console and the portal: Flask-Login, the form, `log_in`."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.urls import iri_to_uri
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from survey import keys
from survey.db import get_session
from survey.model import User
from survey.ops.accounts import authenticate, end_sessions
from survey.web import hashing
from survey.web.params import parse_id

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.session_protection = "strong"


def session_identifier() -> str:
    """What ties a login session to its browser: the address the app sees (forwarded
    headers count only through PROXY_FIX, which rewrites remote_addr) and the User-Agent.

    Flask-Login's own reads X-Forwarded-For whatever the set-up, so a stolen cookie sent
    with the victim's address in that header would pass the "strong" check.
    """
    base = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8", "replace")).hexdigest()


login_manager._session_identifier_generator = session_identifier  # no public hook


@dataclass
class Account(UserMixin):
    """The logged-in person, as views need them (no database object kept on the request)."""

    id: int
    email: str
    name: str
    role: str
    enterprise_id: int | None
    session_version: int = 0
    # A developer's or manufacturer's account: it sees the units of its organisation.
    organisation_id: int | None = None

    def get_id(self) -> str:
        """Flask-Login's identifier: the user id and session version ("12.3")."""
        return f"{self.id}.{self.session_version}"


def account_of(user: User) -> Account:
    """The Account of a user row."""
    return Account(user.id, user.email, user.name, user.role, user.enterprise_id,
                   user.session_version or 0, user.organisation_id)


@login_manager.user_loader
def load_account(user_id: str) -> Account | None:
    """The active account of a session, or None (which logs the session out) when the
    account is gone or inactive or its session version has moved on (logged out)."""
    ident, _dot, version = user_id.partition(".")
    ident, version = parse_id(ident), parse_id(version)
    if ident is None or version is None:
        return None
    user = get_session().get(User, ident)
    if user is None or not user.active or (user.session_version or 0) != version:
        return None
    return account_of(user)


def login_pair(email: str) -> tuple[str, str]:
    """The throttle key of a login attempt: keyed hashes of the e-mail and the network."""
    return account_hash(email), hashing.ip_hash(keys.hash_key(current_app.config), request)


def account_hash(email: str) -> str:
    """The keyed hash an account's failed logins and rate limits are counted under."""
    return hashing.keyed_hash(keys.hash_key(current_app.config), "login",
                              email.strip().lower()[:200])


def log_out() -> None:
    """End the current user's sessions everywhere (saved cookies stop working) and log out."""
    if current_user.is_authenticated:
        session = get_session()
        end_sessions(session, current_user.id)
        session.commit()
    logout_user()


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def log_in(form: LoginForm, now: dt.datetime) -> User | None:
    """Check a submitted login form (failures are counted and committed): the user, now
    logged in, or None with the reason flashed — the same for known and unknown e-mails."""
    session = get_session()
    user, outcome, until = authenticate(session, form.email.data, form.password.data, now,
                                        login_pair(form.email.data))
    try:
        session.commit()
    except IntegrityError:  # a parallel failure of the same pair counted first
        session.rollback()
        user, outcome = None, "bad"
    if outcome == "ok":
        login_user(account_of(user))
        return user
    if outcome == "wait":
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        flash(_("Too many failed attempts for this e-mail from your network: try again in "
                "%(minutes)s minutes.", minutes=minutes), "error")
    else:
        flash(_("Wrong e-mail or password."), "error")
    return None


def safe_next(target: str | None, endpoint: str, prefix: str = "/") -> str:
    """`target` when it is a path of this site under `prefix`, else the URL of `endpoint`.

    The check reads the URL as the browser will get it: after Werkzeug's normalisation of
    the Location header (which drops tabs, so "/<tab>/evil.example/" would become the
    scheme-relative ``//evil.example/``). Control characters and backslashes are refused.
    """
    uri = same_origin_path(target, prefix)
    return uri if uri is not None else url_for(endpoint)


def same_origin_path(target: str | None, prefix: str = "/") -> str | None:
    """The normalised `target` if it is a same-origin path starting with `prefix`, else None."""
    if not target or len(target) > 2000:
        return None
    try:
        uri = iri_to_uri(target)
        parts = urlsplit(uri)
    except ValueError:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in uri):
        return None
    if parts.scheme or parts.netloc or parts.path.startswith("//"):
        return None
    return uri if parts.path.startswith(prefix) else None


def init_app(app: Flask) -> None:
    """Attach Flask-Login to the app."""
    login_manager.init_app(app)
