"""Keyed hashes of network and device signals: we store these, never the raw values."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache, lru_cache

from flask import Request


@cache
def _keyed(key: str) -> hmac.HMAC:
    # HMAC's keyed inner and outer states, computed once per key and copied per use.
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def keyed_hash(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, separated by `purpose`; 32 hex characters."""
    mac = _keyed(key).copy()
    mac.update(f"{purpose}\x00{value}".encode())
    return mac.hexdigest()[:32]


def client_ip(request: Request) -> str:
    """The client's address as seen by the app (a proxy fix sets remote_addr)."""
    return request.remote_addr or ""


def ip_hash(key: str, request: Request) -> str:
    """Keyed hash of the client address."""
    return keyed_hash(key, "ip", client_ip(request))


_MINOR_VERSIONS = re.compile(r"(\d+)(?:[._]\d+)+")


def coarse_agent(user_agent: str) -> str:
    """The user agent's families and major versions only ("Chrome/120.0.6099" → "Chrome/120")."""
    # Phones send a few hundred distinct agents: remember those of ordinary length.
    if len(user_agent) <= 512:
        return _coarse_agent(user_agent)
    return _MINOR_VERSIONS.sub(r"\1", user_agent)[:300]


@lru_cache(maxsize=1024)
def _coarse_agent(user_agent: str) -> str:
    return _MINOR_VERSIONS.sub(r"\1", user_agent)[:300]


def device_hash(key: str, request: Request) -> str:
    """Keyed hash of coarse device signals: user-agent families and major versions, and the
    preferred languages. Many phones share it; with the network hash it tells devices apart."""
    signals = "|".join((
        coarse_agent(request.headers.get("User-Agent", "")),
        request.headers.get("Accept-Language", "")[:100].lower(),
    ))
    return keyed_hash(key, "device", signals)


def client_hash(key: str, cookie: str) -> str:
    """Keyed hash of the respondent's first-party device cookie."""
    return keyed_hash(key, "client", cookie)
