"""The fast signers write and read exactly what Flask, Flask-WTF and itsdangerous do."""

from __future__ import annotations

import time

import pytest
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf import csrf as wtf_csrf
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode
from markupsafe import Markup
from wtforms.validators import ValidationError

from survey.web import csrf
from survey.web.signing import FastTimedSigner


def test_fast_signer_matches_itsdangerous_both_ways():
    ours = FastTimedSigner(["old", "new"], "salt")
    theirs = TimestampSigner(["old", "new"], salt="salt")
    stamp = int(time.time())
    theirs.get_timestamp = lambda: stamp
    assert ours.sign(b"value", stamp) == theirs.sign(b"value")
    assert ours.unsign(theirs.sign(b"value"), 60)[0] == b"value"
    assert ours.unsign(TimestampSigner("old", salt="salt").sign(b"v"))[0] == b"v"  # fallback


@pytest.mark.parametrize("signed", [
    b"", b"value", b"value.AAAA", b"value.AAAA.AAAA", "värde.x.y", b"a.!!!.b",
])
def test_fast_signer_refuses_forged_and_malformed_values(signed):
    with pytest.raises(BadSignature):
        FastTimedSigner("key", "salt").unsign(signed, 60)


def test_fast_signer_refuses_an_expired_or_future_value():
    signer = FastTimedSigner("key", "salt")
    with pytest.raises(SignatureExpired):
        signer.unsign(signer.sign(b"v", int(time.time()) - 61), 60)
    with pytest.raises(SignatureExpired):
        signer.unsign(signer.sign(b"v", int(time.time()) + 30), 60)
    assert signer.unsign(signer.sign(b"v", 1))[0] == b"v"  # no max_age: no limit


@pytest.mark.parametrize("data", [
    {"csrf_token": "a" * 40},
    {"csrf_token": "a" * 40, "_user_id": "7", "n": 3, "ok": True, "none": None},
    {"_flashes": [("info", "已保存。")], "m": Markup("<b>x</b>")},
    {" t": "looks like a tag"},
])
def test_session_cookie_is_the_one_flask_writes_uncompressed(app, data):
    flasks = SecureCookieSessionInterface()
    fast = app.session_interface
    cookies = []
    for interface in (fast, flasks):
        app.session_interface = interface
        with app.test_request_context():
            session.update(data)
            response = app.process_response(app.response_class())
            cookies.append(response.headers.getlist("Set-Cookie"))
            assert response.vary.as_set() == {"cookie"}
    ours, theirs = (c[0].split(";", 1) for c in cookies)
    assert ours[1] == theirs[1] and len(cookies[0]) == 1  # the same attributes
    value = ours[0].split("=", 1)[1]
    with app.app_context():  # Flask's serializer uses the app's JSON (sorted keys) in one
        assert base64_decode(value.split(".")[0]).decode() == flasks.serializer.dumps(data)
    assert flasks.get_signing_serializer(app).loads(value) == data
    app.session_interface = fast
    with app.test_request_context(headers={"Cookie": theirs[0]}):
        assert dict(session) == data  # Flask's own (compressed) cookie, read by ours


def test_csrf_tokens_interoperate_with_flask_wtf(app):
    with app.test_request_context():
        ours = csrf.generate_csrf()
        assert csrf.generate_csrf() == ours  # one per request
        wtf_csrf.validate_csrf(ours)
    with app.test_request_context():
        theirs = wtf_csrf.generate_csrf()
        csrf.validate_csrf(theirs)
    with app.test_request_context():
        session["csrf_token"] = 'not "hex" at all'  # still the JSON Flask-WTF would sign
        wtf_csrf.validate_csrf(csrf.generate_csrf())


@pytest.mark.parametrize("token, message", [
    ("", "missing"), ("forged.AAAA.AAAA", "invalid"), ("not a token", "invalid"),
])
def test_csrf_refuses_missing_and_forged_tokens(app, token, message):
    with app.test_request_context():
        csrf.generate_csrf()
        with pytest.raises(ValidationError, match=message):
            csrf.validate_csrf(token)


def test_csrf_token_is_bound_to_its_session_and_time_limited(app):
    with app.test_request_context():
        token = csrf.generate_csrf()
    with app.test_request_context():
        csrf.generate_csrf()  # another session
        with pytest.raises(ValidationError, match="do not match"):
            csrf.validate_csrf(token)
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    signer = csrf._settings(app)[1]
    with app.test_request_context():
        session["csrf_token"] = "b" * 40
        old = signer.sign(base64_encode(b'"' + b"b" * 40 + b'"'), int(time.time()) - 61)
        with pytest.raises(ValidationError, match="expired"):
            csrf.validate_csrf(old.decode())


def test_form_keys_keep_itsdangerous_format():
    from datetime import UTC, datetime

    from survey.web.answers import KEY_SALT, issue_key, read_key

    issued = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    key = issue_key("s3cret", issued)
    _value, stamp = TimestampSigner("s3cret", salt=KEY_SALT).unsign(key, return_timestamp=True)
    assert stamp == issued == read_key("s3cret", key)
    other = TimestampSigner("s3cret", salt=KEY_SALT).sign("x").decode()
    assert read_key("s3cret", other) is not None
    assert read_key("other", key) is None and read_key("s3cret", key[:-2] + "xx") is None
