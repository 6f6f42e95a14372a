"""A receipt code typed on the survey page or carried in its link: checked, then claimed.

A valid, unused code verifies the response it comes with; any other code leaves the
response stored unverified, and the respondent is told why on the thank-you page.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from survey.db import get_engine
from survey.keys import receipt_key
from survey.ops import dwellings, receipts
from survey.ops.dwellings import DwellingVerdict
from survey.ops.link_lookup import Target
from survey.ops.receipt_codes import MESSAGES, Verdict
from survey.ops.submission import RECEIPT_USED, Receipt

VERIFIED = "verified"
DWELLING = "dwelling"


def key() -> bytes:
    """The receipt-code key of the running app (derived once per app)."""
    found = current_app.extensions.get("manyi_receipt_key")
    if found is None:
        found = current_app.extensions["manyi_receipt_key"] = receipt_key(current_app.config)
    return found


def verdict(target: Target, code: str) -> Verdict:
    """What the code is worth for this link's enterprise and wave."""
    return receipts.check(get_engine(), key(), code, target.enterprise_id, target.wave_id)


def dwelling_verdict(target: Target, code: str) -> DwellingVerdict:
    """What the code is worth as a dwelling code of this link's housing project and wave."""
    return dwellings.check(get_engine(), key(), code, target.enterprise_id, target.wave_id)


def claim(v: Verdict) -> Receipt:
    """The receipt a valid verdict lets the submission store with the response."""
    return Receipt(code_hash=v.code_hash, batch_number=v.batch_id, serial=v.serial)


def outcome_status(v: Verdict | None, outcome: str) -> str:
    """The status shown after storing: verified, the verdict's refusal, or none at all."""
    if v is None:
        return ""
    if outcome == RECEIPT_USED:
        return "used"
    return VERIFIED if v.ok else v.status


def status_note(status: str, locale: str) -> str:
    """The thank-you page's sentence about the receipt code (empty for an unknown status)."""
    if status == VERIFIED:
        return _("Your receipt code was accepted: your answers count as verified.")
    if status == DWELLING:
        return _("Your dwelling code was accepted: your answers count as verified.")
    if status in MESSAGES and status != "valid":
        text = Verdict(status).message(locale)
        return text + " " + _("Your answers were kept all the same.")
    return ""
