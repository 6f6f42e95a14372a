"""The response form: Flask-WTF's CSRF check, then every field checked against the instrument.

The item and profile fields are built from the instrument at runtime (field name = item
code) as plain allowed-value sets: validating ~25 radio groups this way costs microseconds,
where WTForms fields cost about a millisecond on the survey's hottest write path.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from itsdangerous import BadSignature
from werkzeug.datastructures import MultiDict

from instruments import Instrument
from survey.web.signing import FastTimedSigner

NA = "na"
KEY_SALT = "manyi.response-key"
FIXED_FIELDS = frozenset({"csrf_token", "k", "c", "comment", "complain"})
RECEIPT_MAX = 32
_RULES: dict[str, QuestionRules] = {}


@dataclass(frozen=True)
class QuestionRules:
    """What each answerable field of one instrument accepts."""

    allowed: dict[str, frozenset[str]]
    required: frozenset[str]
    items: tuple[str, ...]
    profile: tuple[str, ...]


@dataclass
class Answers:
    """A submission's fields as read, with per-field error messages.

    `raw` keeps what was sent (to show it again), `items` the integer answers (None =
    missing), `profile` the chosen options, plus the comment, complaint flag and form key.
    """

    raw: dict[str, str] = field(default_factory=dict)
    items: dict[str, int | None] = field(default_factory=dict)
    profile: dict[str, str | None] = field(default_factory=dict)
    comment: str = ""
    complain: bool = False
    key: str = ""
    receipt: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def rules_for(instrument: Instrument) -> QuestionRules:
    """The allowed values per field of `instrument` (cached per instrument version)."""
    rules = _RULES.get(instrument.key)
    if rules is None:
        rules = _RULES[instrument.key] = _build_rules(instrument)
    return rules


def _build_rules(instrument: Instrument) -> QuestionRules:
    allowed = {}
    for item in instrument.items:
        values = {str(v) for v in item.scale.values()}
        allowed[item.code] = frozenset(values | ({NA} if item.scale.allow_na else set()))
    for question in instrument.profile:
        allowed[question.code] = frozenset(code for code, _label in question.options)
    return QuestionRules(
        allowed=allowed,
        required=frozenset(i.code for i in instrument.items if i.required),
        items=tuple(i.code for i in instrument.items),
        profile=tuple(q.code for q in instrument.profile),
    )


def read_form(instrument: Instrument, formdata: MultiDict, comment_limit: int) -> Answers:
    """Read and check every field of a submission against the instrument.

    "Not applicable" and unanswered items become None (missing, never 0); a value outside
    the item's scale, a repeated field, a missing required answer or a comment longer than
    `comment_limit` characters is an error, reported beside its field. An instrument
    without a comment box keeps no comment.
    """
    rules = rules_for(instrument)
    out = Answers(
        # Without a comment box (``comment = false``) a posted comment is dropped unread.
        comment=formdata.get("comment", "").strip() if instrument.comment else "",
        complain=formdata.get("complain", "") not in ("", "n", "false", "0"),
        key=formdata.get("k", ""),
        receipt=formdata.get("c", "").strip()[:RECEIPT_MAX],
    )
    out.raw = {"comment": out.comment, "complain": out.complain, "c": out.receipt}
    if len(out.comment) > comment_limit:
        out.errors["comment"] = [
            _("Please keep the comment within %(n)d characters.", n=comment_limit)
        ]
    for name, allowed in rules.allowed.items():
        values = formdata.getlist(name)
        value = values[0] if len(values) == 1 else ""
        out.raw[name] = value
        if len(values) > 1 or (value and value not in allowed):
            out.errors[name] = [_("Please choose one of the answers offered.")]
        elif not value and name in rules.required:
            out.errors[name] = [_("Please choose an answer (or “not applicable”).")]
    for name in rules.items:
        value = out.raw[name]
        out.items[name] = int(value) if value and value != NA and name not in out.errors else None
    for name in rules.profile:
        out.profile[name] = out.raw[name] or None
    return out


def unknown_fields(instrument: Instrument, submitted) -> list[str]:
    """Names in the submitted data that neither the form nor the instrument defines."""
    known = rules_for(instrument).allowed.keys() | FIXED_FIELDS
    return sorted(set(submitted) - known)


def _key_signer(secret: str) -> FastTimedSigner:
    """The form-key signer of `secret`, built once."""
    signer = _SIGNERS.get(secret)
    if signer is None:
        signer = _SIGNERS[secret] = FastTimedSigner(secret, KEY_SALT)
    return signer


_SIGNERS: dict[str, FastTimedSigner] = {}


def issue_key(secret: str, issued_at: datetime | None = None) -> str:
    """A fresh idempotency key for one form, signed with the time it was issued (now, or
    `issued_at` when the app runs on a test clock)."""
    stamp = None if issued_at is None else int(issued_at.timestamp())
    return _key_signer(secret).sign(secrets.token_urlsafe(12).encode(), stamp).decode()


def read_key(secret: str, key: str | None) -> datetime | None:
    """When a well-signed key was issued (UTC), or None for a missing or forged key."""
    if not key or len(key) > 64:
        return None
    try:
        _value, issued = _key_signer(secret).unsign(key)
        return datetime.fromtimestamp(issued, UTC)
    except (BadSignature, ValueError, OSError, OverflowError):
        return None
