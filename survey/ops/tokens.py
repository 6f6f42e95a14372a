"""Signed link tokens: what a QR code encodes, checked without touching the database.

A token is the URL-safe base64 of ``link id (4 bytes) ‖ print generation (2 bytes) ‖
HMAC-SHA256(key, "manyi.link" ‖ id ‖ generation)[:15]``: 28 characters. Editing any part
(to credit another enterprise or location, or to revive a reprinted code) breaks the MAC,
and a token that does not verify is refused like an unknown one, before any query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from functools import cache

_PAYLOAD = struct.Struct(">IH")
MAC_BYTES = 15
TOKEN_LENGTH = 28
MAX_GENERATION = 0xFFFF


@cache
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, b"manyi.link\x00", hashlib.sha256)


def _mac(key: bytes, payload: bytes) -> bytes:
    mac = _keyed(key).copy()
    mac.update(payload)
    return mac.digest()[:MAC_BYTES]


def sign_token(key: bytes, link_id: int, generation: int) -> str:
    """The token of link `link_id` at print `generation`."""
    if not 0 < generation <= MAX_GENERATION:
        raise ValueError(f"generation {generation} outside 1..{MAX_GENERATION}")
    payload = _PAYLOAD.pack(link_id, generation)
    return base64.urlsafe_b64encode(payload + _mac(key, payload)).decode()


def verify_token(key: bytes, token: str) -> tuple[int, int] | None:
    """(link id, generation) of a well-signed token, or None for anything else."""
    if len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _PAYLOAD.size + MAC_BYTES:
        return None
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    # Constant-time comparison: timing must not reveal how much of a forged MAC matched.
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    return _PAYLOAD.unpack(payload)
