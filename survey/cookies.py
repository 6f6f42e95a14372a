"""Flask's signed-cookie sessions with the signing serializer built once per key."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Same cookies as Flask's default; the serializer is reused while the keys are unchanged.

    Flask builds a new serializer twice per request (open and save); every respondent's
    first page needs a session for its CSRF token, so this sits on the survey's hot path.
    """

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer for the app's current secret key and fallbacks."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("manyi_session_serializer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["manyi_session_serializer"] = cached
        return cached[1]


def init_app(app: Flask) -> None:
    """Install the session interface."""
    app.session_interface = CachedSerializerSessionInterface()
