"""Signing on the survey's hot path: Flask's cookie sessions, CSRF tokens and form keys.

Every respondent's first page needs a new session (for its CSRF token), a signed CSRF
token and a signed form key, so the signing machinery runs on the platform's hottest
request. :class:`FastTimedSigner` writes and reads exactly itsdangerous' timestamped format
(``value.timestamp.signature``) with the HMAC states keyed once, where itsdangerous
derives the key again and walks several layers of generic code for every signature.
Cookies and tokens stay readable by Flask's and Flask-WTF's own code and vice versa.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import time
import zlib
from base64 import urlsafe_b64encode
from functools import lru_cache

from flask import Flask, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import (
    BadData,
    BadPayload,
    BadSignature,
    BadTimeSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import (
    base64_decode,
    base64_encode,
    bytes_to_int,
    int_to_bytes,
    want_bytes,
)
from itsdangerous.url_safe import URLSafeSerializerMixin
from werkzeug.http import dump_cookie


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


class FastTimedSigner:
    """Sign and check in itsdangerous' TimestampSigner format, HMAC states keyed once.

    Signs with the newest of `secret_keys` and accepts any of them, like itsdangerous.
    """

    def __init__(self, secret_keys, salt: str, key_derivation: str = "django-concat",
                 digest_method=hashlib.sha1) -> None:
        reference = KeyCachingTimestampSigner(secret_keys, salt=salt,
                                              key_derivation=key_derivation,
                                              digest_method=digest_method)
        # By name, HMAC runs in OpenSSL; a wrapper such as Flask's lazy sha1 would not.
        algorithm = digest_method().name
        # Newest first: the one that signs, then the fallbacks in the order they are tried.
        self._macs = [hmac.new(reference.derive_key(key), digestmod=algorithm)
                      for key in reversed(reference.secret_keys)]

    def _signature(self, mac: hmac.HMAC, value: bytes) -> bytes:
        mac = mac.copy()
        mac.update(value)
        return mac.digest()

    def sign(self, value: bytes, timestamp: int | None = None) -> bytes:
        """`value` with the timestamp (now unless given) and the signature appended."""
        stamp = int(time.time()) if timestamp is None else timestamp
        value = value + b"." + _encoded_stamp(stamp)
        return value + b"." + urlsafe_b64encode(self._signature(self._macs[0], value)).rstrip(b"=")

    def unsign(self, signed: str | bytes, max_age: int | None = None) -> tuple[bytes, int]:
        """The signed value and its timestamp; BadSignature (or its SignatureExpired) if not."""
        try:
            value, _sep, signature = want_bytes(signed).rpartition(b".")
            signature = base64_decode(signature)
            if not any(hmac.compare_digest(self._signature(mac, value), signature)
                       for mac in self._macs):
                raise BadSignature("Signature does not match")
            payload, sep, stamp = value.rpartition(b".")
            issued = bytes_to_int(base64_decode(stamp)) if sep else None
        except (BadData, ValueError, TypeError, struct.error) as exc:  # not bytes, not base64
            raise BadSignature("Malformed signed value") from exc
        if issued is None:
            raise BadTimeSignature("Malformed timestamp")
        age = int(time.time()) - issued
        if max_age is not None and (age > max_age or age < 0):
            raise SignatureExpired(f"Signature age {age} outside 0..{max_age} seconds")
        return payload, issued


@lru_cache(maxsize=4)
def _encoded_stamp(stamp: int) -> bytes:
    # Every signature of the same second carries the same encoded timestamp.
    return base64_encode(int_to_bytes(stamp))


def dump_payload(obj) -> bytes:
    """itsdangerous' URL-safe payload of a JSON value, never compressed."""
    return base64_encode(json.dumps(obj, separators=(",", ":")).encode())


def load_payload(payload: bytes):
    """The JSON value of an itsdangerous URL-safe payload (compressed or not)."""
    try:
        if payload.startswith(b"."):
            return json.loads(zlib.decompress(base64_decode(payload[1:])))
        return json.loads(base64_decode(payload))
    except (ValueError, zlib.error) as exc:
        raise BadPayload("Could not load the payload") from exc


class UncompressedSerializer(URLSafeTimedSerializer):
    """URL-safe timed serializer that never compresses (loads still accept compressed)."""

    default_signer = KeyCachingTimestampSigner

    def dump_payload(self, obj) -> bytes:
        """Base64 of the serialised object, without the zlib attempt."""
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


class FastSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed and read by a :class:`FastTimedSigner`.

    Cookies are byte for byte what Flask's own interface writes (bar compression, which
    it only tries), and each reads the other's.
    """

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """An itsdangerous serializer for the app's current keys (Flask's interface)."""
        signing = self._signing(app)
        return None if signing is None else signing[1]

    def _signing(self, app: Flask) -> tuple[list, URLSafeTimedSerializer, FastTimedSigner] | None:
        """The app's keys with a serializer and a fast signer for them, built once per keys."""
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]
        cached = app.extensions.get("manyi_session_signing")
        if cached is None or cached[0] != keys:
            options = {"key_derivation": self.key_derivation, "digest_method": self.digest_method}
            serializer = UncompressedSerializer(keys, salt=self.salt, serializer=self.serializer,
                                                signer_kwargs=options)
            cached = (keys, serializer, FastTimedSigner(keys, self.salt, **options))
            app.extensions["manyi_session_signing"] = cached
        return cached

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        """The session of the request's cookie; an empty one if it is missing or bad."""
        signing = self._signing(app)
        if signing is None:
            return None
        # A first visit has no cookies at all: no need to parse the header.
        value = ("HTTP_COOKIE" in request.environ
                 and request.cookies.get(self.get_cookie_name(app)))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            payload, _issued = signing[2].unsign(value, max_age)
            return self.session_class(self._loads(app, payload))
        except (BadData, ValueError, zlib.error):
            return self.session_class()

    def _loads(self, app: Flask, payload: bytes) -> dict:
        if payload.startswith(b"."):
            return self.serializer.loads(zlib.decompress(base64_decode(payload[1:])).decode())
        text = base64_decode(payload)
        # Tagged values (tuples, bytes, Markup, dates…) are objects with a key " t", " b"…
        if b'" ' in text:
            return self.serializer.loads(text.decode())
        return app.json.loads(text)

    def save_session(self, app: Flask, session, response) -> None:
        """Write the session cookie when it changed, as Flask would, from a cached template."""
        if not session or session.permanent or not self.should_set_cookie(app, session):
            return super().save_session(app, session, response)
        payload = self._dumps(app, dict(session))
        value = self._signing(app)[2].sign(payload).decode()
        head, tail = self._cookie_template(app)
        if len(head) + len(value) + len(tail) > response.max_cookie_size:
            return super().save_session(app, session, response)  # werkzeug's warning
        headers = response.headers
        headers.add("Set-Cookie", head + value + tail)
        # A scan of the pairs: `"Vary" in headers` raises and catches a KeyError when absent.
        if any(name.lower() == "vary" for name, _value in headers):
            response.vary.add("Cookie")
        else:  # what response.vary.add writes, without parsing and rewriting the header
            headers.add("Vary", "Cookie")  # none is present: adding equals setting

    def _dumps(self, app: Flask, data: dict) -> bytes:
        # Plain strings, numbers and None need no tags: the JSON Flask's serializer writes.
        if all(type(v) in _PLAIN for v in data.values()) and not (
                len(data) == 1 and next(iter(data)) in self.serializer.tags):
            provider = app.json
            if type(provider) is DefaultJSONProvider:  # its json.dumps call, made directly
                text = _encoder(provider.sort_keys, provider.ensure_ascii).encode(data)
            else:
                text = provider.dumps(data, separators=(",", ":"))
        else:
            text = self.serializer.dumps(data)
        return base64_encode(text.encode())

    def _cookie_template(self, app: Flask) -> tuple[str, str]:
        """The Set-Cookie header werkzeug writes for these settings, split at the value."""
        settings = (self.get_cookie_name(app), self.get_cookie_domain(app),
                    self.get_cookie_path(app), self.get_cookie_secure(app),
                    self.get_cookie_partitioned(app), self.get_cookie_samesite(app),
                    self.get_cookie_httponly(app))
        cache = app.extensions.setdefault("manyi_session_cookie", {})
        template = cache.get(settings)
        if template is None:
            name, domain, path, secure, partitioned, samesite, httponly = settings
            header = dump_cookie(name, _SLOT, domain=domain, path=path, secure=secure,
                                 partitioned=partitioned, samesite=samesite, httponly=httponly)
            head, tail = header.split(_SLOT)
            template = cache[settings] = (head, tail)
        return template

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the settings say so or the request came over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure)


@lru_cache(maxsize=4)
def _encoder(sort_keys: bool, ensure_ascii: bool) -> json.JSONEncoder:
    # The encoder json.dumps would build for these options, built once.
    return json.JSONEncoder(separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=ensure_ascii)


_PLAIN = (str, int, bool, type(None))
_SLOT = "manyi-cookie-value"


def init_app(app: Flask) -> None:
    """Install the session interface."""
    app.session_interface = FastSessionInterface()
