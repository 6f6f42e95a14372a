"""The app's keys, each with its one fallback: set on its own, or derived from SECRET_KEY.

``SECRET_KEY`` signs sessions, CSRF tokens and form keys. ``LINK_KEY`` signs the link tokens
printed on QR codes; ``HASH_KEY`` keys the HMACs stored instead of network addresses and
device signals. Either, when empty, falls back to ``SECRET_KEY`` — which then must not
change, or printed codes stop working and stored hashes stop matching.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import cache


@cache
def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"manyi.link-key", hashlib.sha256).digest()


def link_key(config: Mapping) -> bytes:
    """The signing key of link tokens: HMAC-SHA256(LINK_KEY or SECRET_KEY, "manyi.link-key")."""
    return _derive(config.get("LINK_KEY") or config["SECRET_KEY"])


def hash_key(config: Mapping) -> str:
    """The key of the stored keyed hashes (addresses, devices, logins): HASH_KEY or SECRET_KEY."""
    return config.get("HASH_KEY") or config["SECRET_KEY"]


def receipt_key(config: Mapping) -> bytes:
    """The MAC key of receipt codes: RECEIPT_KEY (at least 16 bytes), else derived from
    SECRET_KEY as HMAC-SHA256(SECRET_KEY, "manyi.receipt-key")."""
    own = config.get("RECEIPT_KEY") or ""
    if own:
        key = own.encode() if isinstance(own, str) else bytes(own)
        if len(key) < 16:
            raise ValueError("RECEIPT_KEY must have at least 16 bytes")
        return key
    return hmac.new(config["SECRET_KEY"].encode(), b"manyi.receipt-key", hashlib.sha256).digest()
