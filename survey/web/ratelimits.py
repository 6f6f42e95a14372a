"""Rate limits: survey requests per network and per link, logins per network and account.

Counters are keyed by keyed hashes, never raw addresses or e-mails. They live in memory
(one process) or in Redis (``RATELIMIT_STORAGE_URI = redis://…``) so that several app
processes enforce one limit together. Each limit is a setting in the ``limits`` library's
notation ("10 per minute; 100 per hour"); ``RATELIMIT_ENABLED = false`` turns them all off.

Views count their own hits: the survey views call :func:`check` on the platform's hottest
path, and other views declare theirs with :func:`limited`. Nothing here names an endpoint
and nothing hooks every request, so blueprints and this module may be set up in any order.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from functools import cache

from flask import Flask, current_app, render_template, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter
from werkzeug.exceptions import TooManyRequests

from survey import keys
from survey.web import hashing

DEFAULTS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "fixed-window",
    # A broken Redis must not stop the survey: the request goes through, the error is logged.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_SURVEY_GET": "120 per minute",
    "RATELIMIT_SURVEY_POST": "10 per minute; 100 per hour",
    "RATELIMIT_SURVEY_POST_LINK": "60 per minute; 1000 per hour",
    "RATELIMIT_LOGIN": "20 per minute; 100 per hour",
    "RATELIMIT_LOGIN_ACCOUNT": "10 per minute; 50 per hour",
}
log = logging.getLogger(__name__)


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


class MemoryCounters:
    """Fixed windows counted in a dict: what limits' memory storage and fixed-window strategy
    do (a window starts at its first hit), without their key formatting and per-key locks.
    """

    SWEEP_SECONDS = 60.0

    def __init__(self) -> None:
        self.counts: dict[tuple, list] = {}  # key -> [hits, end of the window]
        self.lock = threading.Lock()
        self.next_sweep = 0.0

    def hit(self, setting_name: str, key: str, limits: tuple[tuple[int, int], ...]) -> bool:
        """Count one hit against each (amount, seconds) window; True if all allow it."""
        now = time.time()
        allowed = True
        with self.lock:
            if now >= self.next_sweep:
                self._sweep(now)
            for amount, seconds in limits:
                entry = self.counts.get((setting_name, key, amount, seconds))
                if entry is None or entry[1] <= now:
                    entry = self.counts[(setting_name, key, amount, seconds)] = [0, now + seconds]
                entry[0] += 1
                allowed = allowed and entry[0] <= amount
        return allowed

    def _sweep(self, now: float) -> None:
        self.next_sweep = now + self.SWEEP_SECONDS
        for name in [k for k, entry in self.counts.items() if entry[1] <= now]:
            del self.counts[name]

    def reset(self) -> None:
        """Forget every counter."""
        with self.lock:
            self.counts.clear()


class AppLimits:
    """One app's limiter: its storage and strategy, on or off.

    In memory with fixed windows (the default) the counters are a :class:`MemoryCounters`;
    any other storage or strategy goes through the ``limits`` library.
    """

    def __init__(self, config) -> None:
        uri = config["RATELIMIT_STORAGE_URI"]
        self.storage = storage_from_string("manyi-memory://" if uri == "memory://" else uri)
        self.limiter: RateLimiter = STRATEGIES[config["RATELIMIT_STRATEGY"]](self.storage)
        self.counters = (MemoryCounters() if uri == "memory://"
                         and config["RATELIMIT_STRATEGY"] == "fixed-window" else None)
        self.enabled = bool(config["RATELIMIT_ENABLED"])
        self.swallow_errors = bool(config["RATELIMIT_SWALLOW_ERRORS"])

    def reset(self) -> None:
        """Forget every counter (tests, or an operator after an incident)."""
        self.storage.reset()
        if self.counters is not None:
            self.counters.reset()


@cache
def parsed(text: str) -> tuple[RateLimitItem, ...]:
    """The limits of a setting string, parsed once."""
    return tuple(parse_many(text))


@cache
def windows(text: str) -> tuple[tuple[int, int], ...]:
    """The (amount, seconds) of each limit of a setting string, parsed once."""
    return tuple((item.amount, item.get_expiry()) for item in parsed(text))


def check(setting_name: str, key: str) -> None:
    """Count this request against the limits of ``setting_name`` for ``key`` (a keyed hash
    or a link token); a friendly 429 when one is used up. Storage errors let it through."""
    app = current_app._get_current_object()
    limits = app.extensions["manyi_limiter"]
    if not limits.enabled:
        return
    if limits.counters is not None:  # in memory: cannot fail
        if not limits.counters.hit(setting_name, key, windows(app.config[setting_name])):
            raise TooManyRequests()
        return
    try:
        allowed = all([limits.limiter.hit(item, setting_name, key)
                       for item in parsed(app.config[setting_name])])
    except Exception:  # noqa: BLE001  (a broken Redis must not stop the survey)
        if not limits.swallow_errors:
            raise
        log.exception("rate limit storage failed; request let through")
        return
    if not allowed:
        raise TooManyRequests()


def _hash_key() -> str:
    return keys.hash_key(current_app.config)


def network_key() -> str:
    """The limit key of the client's network: a keyed hash of its address."""
    return "ip:" + hashing.ip_hash(_hash_key(), request)


def account_key() -> str:
    """The limit key of the account a login names, from this network: keyed hashes of the
    e-mail and the address (an outsider cannot use up the owner's attempts)."""
    email = request.form.get("email", "").strip().lower()[:200]
    return (f"account:{hashing.keyed_hash(_hash_key(), 'login', email)}:"
            f"{hashing.ip_hash(_hash_key(), request)}")


def limited(*limits: tuple[str, Callable[[], str]], methods=("POST",)) -> Callable:
    """Decorate a view with limits: ``(setting name, key function)`` pairs, counted on
    requests with one of ``methods`` before the view runs."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in methods:
                for setting_name, key_func in limits:
                    check(setting_name, key_func())
            return view(*args, **kwargs)

        return wrapper

    return decorate


# The limits of a login form: per network, and per account it names.
LOGIN_LIMITS = (("RATELIMIT_LOGIN", network_key), ("RATELIMIT_LOGIN_ACCOUNT", account_key))


def too_many(error):
    """A friendly page asking to wait, in the respondent's language."""
    return render_template("errors/429.html"), 429


def init_app(app: Flask) -> AppLimits:
    """Give this app its own limiter and the 429 page."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    limits = app.extensions["manyi_limiter"] = AppLimits(app.config)
    app.register_error_handler(429, too_many)
    return limits
