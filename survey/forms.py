"""The response form, built from an instrument at runtime (field name = item code)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, TimestampSigner
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from instruments import Instrument

NA = "na"
KEY_SALT = "manyi.response-key"
_FORM_CLASSES: dict[str, type[FlaskForm]] = {}
_INVALID = _l("Please choose one of the answers offered.")


def _comment_length(form, field) -> None:
    limit = current_app.config["COMMENT_MAX_LENGTH"]
    if field.data and len(field.data) > limit:
        raise ValidationError(_l("Please keep the comment within %(n)d characters.", n=limit))


class ResponseFormBase(FlaskForm):
    """Fields every questionnaire has; item and profile fields are added per instrument."""

    k = HiddenField()
    comment = TextAreaField(validators=[Optional(), Length(max=100_000), _comment_length])
    complain = BooleanField()


def form_class(instrument: Instrument) -> type[FlaskForm]:
    """The FlaskForm subclass for `instrument`, built once and cached by its key."""
    cls = _FORM_CLASSES.get(instrument.key)
    if cls is None:
        cls = type(
            f"ResponseForm_{instrument.code}_{instrument.version}",
            (ResponseFormBase,),
            _fields_for(instrument),
        )
        _FORM_CLASSES[instrument.key] = cls
    return cls


def _fields_for(instrument: Instrument) -> dict:
    fields = {}
    for item in instrument.items:
        choices = [SelectChoice(str(v), str(v)) for v in item.scale.values()]
        if item.scale.allow_na:
            choices.append(SelectChoice(NA, NA))
        if item.required:
            checks = [InputRequired(message=_l("Please choose an answer (or “not applicable”)."))]
        else:
            checks = [Optional()]
        fields[item.code] = RadioField(
            choices=choices, validators=checks, invalid_choice_message=_INVALID
        )
    for question in instrument.profile:
        choices = [SelectChoice(code, code) for code, _label in question.options]
        fields[question.code] = RadioField(
            choices=choices, validators=[Optional()], invalid_choice_message=_INVALID
        )
    return fields


def unknown_fields(form: FlaskForm, submitted) -> list[str]:
    """Names in the submitted data that the form does not define."""
    return sorted(set(submitted) - set(form._fields))


def answers_of(form: FlaskForm, instrument: Instrument) -> dict[str, int | None]:
    """Item code → integer answer; "not applicable" and unanswered become None."""
    out = {}
    for item in instrument.items:
        raw = form[item.code].data
        out[item.code] = None if raw in (None, "", NA, "None") else int(raw)
    return out


def profile_of(form: FlaskForm, instrument: Instrument) -> dict[str, str | None]:
    """Profile question code → chosen option code, None when skipped."""
    return {q.code: (form[q.code].data or None) for q in instrument.profile}


def issue_key(secret: str) -> str:
    """A fresh idempotency key for one form, signed with the time it was issued."""
    return TimestampSigner(secret, salt=KEY_SALT).sign(secrets.token_urlsafe(12)).decode()


def read_key(secret: str, key: str | None) -> datetime | None:
    """When a well-signed key was issued (UTC), or None for a missing or forged key."""
    if not key or len(key) > 64:
        return None
    try:
        _value, ts = TimestampSigner(secret, salt=KEY_SALT).unsign(key, return_timestamp=True)
    except BadSignature:
        return None
    return ts.astimezone(UTC)
