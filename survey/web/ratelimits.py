"""Rate limits (Flask-Limiter): survey requests per network and per link, console and
portal logins per network and per account.

Counters are keyed by keyed hashes, never raw addresses or e-mails. They live in memory
(one process) or in Redis (`RATELIMIT_STORAGE_URI = redis://…`) so that several app
processes enforce one limit together. Each limit is a setting in Flask-Limiter's notation
("10 per minute; 100 per hour"); `RATELIMIT_ENABLED = false` turns them all off.

The console and portal logins use Flask-Limiter's decorators. The survey pages, the
platform's hottest path, count their hits directly on the limiter's strategy and storage
(`check`): the same counters, without the per-request bookkeeping of the decorators (about
a third of a survey page view), and Flask-Limiter's request hooks run on console and
portal requests only.
"""

from __future__ import annotations

import logging
import time
from functools import cache, partial

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

from survey.web import hashing

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


# endpoint -> [(setting, key function, methods)], through Flask-Limiter's decorators.
LIMITS = {
    "console.login": [("RATELIMIT_LOGIN", network_key, ["POST"]),
                      ("RATELIMIT_LOGIN_ACCOUNT", account_key, ["POST"])],
    "portal.login": [("RATELIMIT_LOGIN", network_key, ["POST"]),
                     ("RATELIMIT_LOGIN_ACCOUNT", account_key, ["POST"])],
}
# Blueprints whose views use Flask-Limiter's decorators (and so need its request hooks).
HOOKED = ("console", "portal")
log = logging.getLogger(__name__)


@cache
def parsed(text: str) -> tuple[RateLimitItem, ...]:
    """The limits of a setting string, parsed once."""
    return tuple(parse_many(text))


def check(setting_name: str, key: str) -> None:
    """Count this request against the limits of `setting_name` for `key` (a keyed hash or
    a link token); a friendly 429 when one is used up. Storage errors let it through."""
    limiter = current_app.extensions["manyi_limiter"]
    if not limiter.enabled:
        return
    try:
        allowed = all([limiter.limiter.hit(item, setting_name, key)
                       for item in parsed(current_app.config[setting_name])])
    except Exception:  # noqa: BLE001  (a broken Redis must not stop the survey)
        log.exception("rate limit storage failed; request let through")
        return
    if not allowed:
        raise TooManyRequests()


class LazyMemoryStorage(MemoryStorage):
    """limits' in-memory storage, sweeping expired counters now and then as it is used.

    The stock one starts a timer thread whenever the last one has finished (every 10 ms
    under load), which costs more than the rest of a survey request's limit checks. Expired
    counters are already ignored when read; this only drops them from memory.
    """

    STORAGE_SCHEME = ["manyi-memory"]
    SWEEP_SECONDS = 60.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802  (overrides a private)
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def too_many(error):
    """A friendly page asking to wait, in the respondent's language."""
    return render_template("errors/429.html"), 429


def init_app(app: Flask) -> Limiter:
    """Give this app its own limiter (Flask-Limiter keeps per-instance state) with the limits
    of LIMITS on its registered views, and the 429 page. Call after the blueprints."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    limiter = Limiter(key_func=network_key,
                      storage_uri="manyi-memory://" if uri == "memory://" else None)
    limiter.init_app(app)
    _hooks_on_login_blueprints(app, limiter)
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for name, key_func, methods in limits:
            view = limiter.limit(setting(name), key_func=key_func, methods=methods)(view)
        app.view_functions[endpoint] = view
    app.extensions["manyi_limiter"] = limiter
    app.register_error_handler(429, too_many)
    return limiter


def _hooks_on_login_blueprints(app: Flask, limiter: Limiter) -> None:
    # Flask-Limiter hooks every request of the app; only the HOOKED blueprints' views use
    # its decorators.
    for registry in (app.before_request_funcs, app.after_request_funcs,
                     app.teardown_request_funcs):
        hooks = registry.get(None, [])
        ours = [f for f in hooks if getattr(f, "__self__", None) is limiter
                or (isinstance(f, partial) and limiter in f.args)]
        for hook in ours:
            hooks.remove(hook)
            for blueprint in HOOKED:
                registry.setdefault(blueprint, []).append(hook)
