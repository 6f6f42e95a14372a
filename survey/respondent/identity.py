"""Who is answering, as far as the survey may know: the keyed hash of the network, the
first-party device cookie, and the quality checks that depend on them."""

from __future__ import annotations

from flask import Response, current_app, g, request

from survey import keys
from survey.db import session_scope
from survey.ops import quality
from survey.web import hashing

DEVICE_COOKIE = "manyi_device"
DEVICE_COOKIE_DAYS = 400


def hash_key() -> str:
    """The key of the stored HMACs: HASH_KEY, else SECRET_KEY."""
    return keys.hash_key(current_app.config)


def network_hash() -> str:
    """The keyed hash of the client's address (computed once per request)."""
    if "ip_hash" not in g:
        g.ip_hash = hashing.ip_hash(hash_key(), request)
    return g.ip_hash


def set_device_cookie(response: Response, value: str) -> None:
    """Give the phone its device cookie: first-party, long-lived, out of scripts' reach."""
    # The value is URL-safe, so the header is written directly (werkzeug's set_cookie also
    # formats an Expires date, a noticeable share of a submission).
    https = current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure
    secure = "; Secure" if https else ""
    response.headers.add("Set-Cookie", f"{DEVICE_COOKIE}={value}; Max-Age="
                         f"{DEVICE_COOKIE_DAYS * 86400}; Path=/s/; HttpOnly; SameSite=Lax{secure}")


def quality_rules() -> quality.QualityRules:
    """The app's quality rules, built once."""
    rules = current_app.extensions.get("manyi_quality_rules")
    if rules is None:
        rules = current_app.extensions["manyi_quality_rules"] = quality.rules_of(
            current_app.config)
    return rules


def flag_burst(target, sub) -> None:
    """Quarantine the earlier members of the burst this submission completes."""
    session = session_scope(write=True)
    try:
        quality.flag_burst_neighbours(session, target, sub.ip_hash, sub.submitted_at,
                                      quality_rules())
        session.commit()
    finally:
        session.close()
