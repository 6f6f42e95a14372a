"""Signing on the survey's hot path: Flask's cookie sessions and the form keys.

Every respondent's first page needs a new session (for its CSRF token) and a signed form
key, so the signing machinery runs on the platform's hottest request. Two costs that buy
nothing are removed: itsdangerous derives the same signing key again for every signature,
and it tries to zlib-compress payloads that are far too small to shrink. Cookies stay
readable by Flask's default interface and vice versa.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.url_safe import URLSafeSerializerMixin


class KeyCachingTimestampSigner(TimestampSigner):
    """itsdangerous' TimestampSigner that derives each signing key once."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        """The signing key for `secret_key` (default: the newest), computed once."""
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        cache_key = (secret, self.salt, self.key_derivation, self.digest_method)
        key = self._derived.get(cache_key)
        if key is None:
            key = self._derived[cache_key] = super().derive_key(secret)
        return key


class UncompressedSerializer(URLSafeTimedSerializer):
    """URL-safe timed serializer that never compresses (loads still accept compressed)."""

    default_signer = KeyCachingTimestampSigner

    def dump_payload(self, obj) -> bytes:
        """Base64 of the serialised object, without the zlib attempt."""
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


class FastSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the serializer built once per set of keys."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer for the app's current secret key and fallbacks."""
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]
        cached = app.extensions.get("manyi_session_serializer")
        if cached is None or cached[0] != keys:
            serializer = UncompressedSerializer(
                keys, salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method},
            )
            cached = app.extensions["manyi_session_serializer"] = (keys, serializer)
        return cached[1]


    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the settings say so or the request came over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    """Install the session interface."""
    app.session_interface = FastSessionInterface()
