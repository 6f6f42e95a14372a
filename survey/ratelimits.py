"""Rate limits (Flask-Limiter): survey requests per network and per link, console logins
per network and per account.

Counters are keyed by keyed hashes, never raw addresses or e-mails. They live in memory
(one process) or in Redis (`RATELIMIT_STORAGE_URI = redis://…`) so that several app
processes enforce one limit together. Each limit is a setting in Flask-Limiter's notation
("10 per minute; 100 per hour"); `RATELIMIT_ENABLED = false` turns them all off.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from survey import hashing

DEFAULTS = {
    # Flask-Limiter's own settings.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "fixed-window",
    # A broken Redis must not stop the survey: the request goes through, the error is logged.
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Ours: one string per limit.
    "RATELIMIT_SURVEY_GET": "120 per minute",
    "RATELIMIT_SURVEY_POST": "10 per minute; 100 per hour",
    "RATELIMIT_SURVEY_POST_LINK": "60 per minute; 1000 per hour",
    "RATELIMIT_LOGIN": "20 per minute; 100 per hour",
    "RATELIMIT_LOGIN_ACCOUNT": "10 per minute; 50 per hour",
}


def _hash_key() -> str:
    return current_app.config["HASH_KEY"] or current_app.config["SECRET_KEY"]


def network_key() -> str:
    """The limit key of the client's network: a keyed hash of its address."""
    return "ip:" + hashing.ip_hash(_hash_key(), request)


def link_key() -> str:
    """The limit key of the survey link in the URL (all respondents of one QR code)."""
    return "link:" + str((request.view_args or {}).get("token", ""))[:64]


def account_key() -> str:
    """The limit key of the account a login names: a keyed hash of the e-mail."""
    email = request.form.get("email", "").strip().lower()[:200]
    return "account:" + hashing.keyed_hash(_hash_key(), "login", email)


def setting(name: str):
    """A callable reading limit `name` from the current app's settings."""
    return lambda: current_app.config[name]


# endpoint -> [(setting, key function, methods)]
LIMITS = {
    "survey.questionnaire": [("RATELIMIT_SURVEY_GET", network_key, None)],
    "survey.submit": [("RATELIMIT_SURVEY_POST", network_key, None),
                      ("RATELIMIT_SURVEY_POST_LINK", link_key, None)],
    "console.login": [("RATELIMIT_LOGIN", network_key, ["POST"]),
                      ("RATELIMIT_LOGIN_ACCOUNT", account_key, ["POST"])],
}


def too_many(error: RateLimitExceeded):
    """A friendly page asking to wait, in the respondent's language."""
    return render_template("errors/429.html"), 429


def init_app(app: Flask) -> Limiter:
    """Give this app its own limiter (Flask-Limiter keeps per-instance state) with the limits
    of LIMITS on its registered views, and the 429 page. Call after the blueprints."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    limiter = Limiter(key_func=network_key)
    limiter.init_app(app)
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for name, key_func, methods in limits:
            view = limiter.limit(setting(name), key_func=key_func, methods=methods)(view)
        app.view_functions[endpoint] = view
    app.extensions["manyi_limiter"] = limiter
    app.register_error_handler(429, too_many)
    return limiter
