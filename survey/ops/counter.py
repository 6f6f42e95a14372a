"""Counter displays: a screen at the counter shows the link's QR code with a stamp that
changes every few minutes, so that an answer shows it was scanned there, and when.

A stamp is the URL-safe base64 of ``issue minute (4 bytes, minutes since the Unix epoch) ‖
HMAC-SHA256(stamp key, "manyi.stamp" ‖ link id ‖ generation ‖ minute)[:8]``: 16 characters,
carried as ``/s/<token>?k=<stamp>``. The display's own URL holds a token shaped like a
link's (:mod:`survey.ops.tokens`) but signed with the display key: the public survey token
tells nothing about it, and reprinting the link (a new generation) revokes it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import struct

from sqlalchemy.orm import Session

from survey import clock
from survey.model import CollectionLink
from survey.ops.tokens import sign_token, verify_token

STAMP_PARAM = "k"  # the query parameter; the form's own "k" (its key) is a body field
STAMP_LENGTH = 16
STAMP_SHAPE = re.compile(r"[A-Za-z0-9_-]{16}")
_SIGNED = struct.Struct(">IHI")  # link id, generation, issue minute
_MINUTE = struct.Struct(">I")
_MAC_BYTES = 8
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _minute(at: dt.datetime) -> int:
    return int((at - EPOCH).total_seconds() // 60)


def _mac(key: bytes, link_id: int, generation: int, minute: int) -> bytes:
    payload = b"manyi.stamp\x00" + _SIGNED.pack(link_id, generation, minute)
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign_stamp(key: bytes, link_id: int, generation: int, issued: dt.datetime) -> str:
    """The stamp of link `link_id` at print `generation`, issued at `issued` (to the minute)."""
    minute = _minute(issued)
    raw = _MINUTE.pack(minute) + _mac(key, link_id, generation, minute)
    return base64.urlsafe_b64encode(raw).decode()


def read_stamp(key: bytes, link_id: int, generation: int, stamp: str) -> dt.datetime | None:
    """The issue time of a well-signed stamp of this link and generation, or None."""
    if not STAMP_SHAPE.fullmatch(stamp):
        return None
    try:
        raw = base64.urlsafe_b64decode(stamp)
    except (binascii.Error, ValueError):
        return None
    minute = _MINUTE.unpack(raw[: _MINUTE.size])[0]
    # Constant-time, as for link tokens: timing must not reveal a partly right MAC.
    if not hmac.compare_digest(raw[_MINUTE.size :], _mac(key, link_id, generation, minute)):
        return None
    return EPOCH + dt.timedelta(minutes=minute)


def current_step(now: dt.datetime, minutes: int) -> tuple[dt.datetime, dt.datetime]:
    """The start of the `minutes`-long step holding `now`, and the start of the next."""
    if minutes < 1:
        raise ValueError(f"a counter display changes every 1 or more minutes, not {minutes}")
    minute = _minute(now)
    start = EPOCH + dt.timedelta(minutes=minute - minute % minutes)
    return start, start + dt.timedelta(minutes=minutes)


def display_token(key: bytes, link: CollectionLink) -> str:
    """The secret token of the link's counter-display URL (for its current generation)."""
    return sign_token(key, link.id, link.generation)


def find_display(session: Session, key: bytes, token: str) -> CollectionLink | None:
    """The active counter-display link this display token names, or None (unknown, forged,
    revoked by a reprint, or the link no longer in counter-display mode)."""
    found = verify_token(key, token)
    if found is None:
        return None
    link = session.get(CollectionLink, found[0])
    if link is None or not (link.active and link.counter_display and link.enterprise.active):
        return None
    return link if link.generation == found[1] else None


def stamp_note(valid: bool | None, issued_at: dt.datetime | None,
               submitted_at: dt.datetime | None, grace_minutes: float) -> tuple[str, int] | None:
    """What a response's stamp says against it: ("invalid", 0) without a valid stamp,
    ("stale", minutes) when it is older than the grace, None otherwise (or no counter)."""
    if valid is None:
        return None
    if not valid or issued_at is None or submitted_at is None:
        return ("invalid", 0)
    age = (clock.aware(submitted_at) - clock.aware(issued_at)).total_seconds() / 60
    return ("stale", int(age)) if age > grace_minutes else None
