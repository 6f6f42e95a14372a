"""Flask-WTF's CSRF tokens, issued and checked with a signer keyed once per secret.

The tokens are Flask-WTF's own: a random value kept in the session, signed for the form
with the salt ``wtf-csrf-token`` in itsdangerous' timestamped format, so a token issued
here passes ``CSRFProtect`` and one issued by Flask-WTF passes :func:`validate_csrf`.
Flask-WTF builds a new serializer (and derives its key) for every call, a noticeable
share of the survey's hottest requests.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import Flask, current_app, g, session
from itsdangerous import BadData, SignatureExpired
from itsdangerous.encoding import base64_encode
from wtforms.validators import ValidationError

from survey.web.signing import FastTimedSigner, dump_payload, load_payload

SALT = "wtf-csrf-token"


def _settings(app: Flask) -> tuple[str, FastTimedSigner]:
    """The session field of the raw token and the signer, as Flask-WTF reads its settings."""
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    field = app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if not secret:
        raise RuntimeError("A secret key is required to use CSRF.")
    cached = app.extensions.get("manyi_csrf_signer")
    if cached is None or cached[0] != secret:
        cached = app.extensions["manyi_csrf_signer"] = (secret, FastTimedSigner(secret, SALT))
    return field, cached[1]


def generate_csrf() -> str:
    """The request's signed CSRF token (one per request, like Flask-WTF's)."""
    field, signer = _settings(current_app._get_current_object())
    request_globals = g._get_current_object()  # each proxy access costs a look-up
    token = request_globals.get(field)
    if token is None:
        own_session = session._get_current_object()
        raw = own_session.get(field)
        if not isinstance(raw, str):
            raw = own_session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        # A hex token is its own JSON string; anything else goes through the encoder.
        payload = (base64_encode(b'"' + raw.encode() + b'"') if raw.isascii() and raw.isalnum()
                   else dump_payload(raw))
        token = signer.sign(payload).decode()
        setattr(request_globals, field, token)
    return token


def validate_csrf(data: str | None) -> None:
    """Raise ValidationError unless `data` is a valid, unexpired token of this session."""
    app = current_app._get_current_object()
    field, signer = _settings(app)
    if not data:
        raise ValidationError("The CSRF token is missing.")
    if field not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        payload, _issued = signer.unsign(data, app.config.get("WTF_CSRF_TIME_LIMIT", 3600))
        token = load_payload(payload)
    except SignatureExpired as exc:
        raise ValidationError("The CSRF token has expired.") from exc
    except BadData as exc:
        raise ValidationError("The CSRF token is invalid.") from exc
    if not isinstance(token, str) or not hmac.compare_digest(session[field], token):
        raise ValidationError("The CSRF tokens do not match.")
