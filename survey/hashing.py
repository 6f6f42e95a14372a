"""Keyed hashes of network and device signals: we store these, never the raw values."""

from __future__ import annotations

import hashlib
import hmac

from flask import Request


def keyed_hash(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, separated by `purpose`; 32 hex characters."""
    mac = hmac.new(key.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def client_ip(request: Request) -> str:
    """The client's address as seen by the app (a proxy fix sets remote_addr)."""
    return request.remote_addr or ""


def ip_hash(key: str, request: Request) -> str:
    """Keyed hash of the client address."""
    return keyed_hash(key, "ip", client_ip(request))


def device_hash(key: str, request: Request) -> str:
    """Keyed hash of coarse device signals: user agent and preferred languages."""
    signals = "|".join(
        (request.headers.get("User-Agent", ""), request.headers.get("Accept-Language", ""))
    )
    return keyed_hash(key, "device", signals)
