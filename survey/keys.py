"""The app's keys, each with its one fallback: set on its own, or derived from SECRET_KEY.

``SECRET_KEY`` signs sessions, CSRF tokens and form keys. ``LINK_KEY`` signs the link tokens
printed on QR codes; ``HASH_KEY`` keys the HMACs stored instead of network addresses and
device signals. Either, when empty, falls back to ``SECRET_KEY`` — which then must not
change, or printed codes stop working and stored hashes stop matching.

``make run`` keeps random keys in ``instance/keys.json`` (mode 0600, made on first start by
``python -m survey.keys FILE``) and points ``KEYS_FILE`` at it; the app refuses to start
outside debug and testing with an empty or the public default ``SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
from collections.abc import Mapping, MutableMapping
from functools import cache
from pathlib import Path


@cache
def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"manyi.link-key", hashlib.sha256).digest()


def link_key(config: Mapping) -> bytes:
    """The signing key of link tokens: HMAC-SHA256(LINK_KEY or SECRET_KEY, "manyi.link-key")."""
    return _derive(config.get("LINK_KEY") or config["SECRET_KEY"])


@cache
def _subkey(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def stamp_key(config: Mapping) -> bytes:
    """The MAC key of counter-display stamps: HMAC-SHA256(link key, "manyi.counter-stamp")."""
    return _subkey(link_key(config), b"manyi.counter-stamp")


def display_key(config: Mapping) -> bytes:
    """The signing key of counter-display URLs: HMAC-SHA256(link key, "manyi.counter-display");
    a survey token, signed with the link key itself, says nothing about it."""
    return _subkey(link_key(config), b"manyi.counter-display")


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


# The documented development key: anyone can forge sessions signed with it.
DEFAULT_SECRET = "dev-only-change-me"
KEY_NAMES = ("SECRET_KEY", "LINK_KEY", "HASH_KEY")


def ensure_keys_file(path: str | os.PathLike) -> bool:
    """Create `path` (mode 0600) holding a random SECRET_KEY, LINK_KEY and HASH_KEY unless
    it exists; True when it was created. The folder is created as needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        json.dump({name: secrets.token_urlsafe(32) for name in KEY_NAMES}, out)
    return True


def apply_keys_file(config: MutableMapping) -> None:
    """Fill the keys left empty (or at the public default) from the file KEYS_FILE names."""
    name = config.get("KEYS_FILE")
    if not name:
        return
    try:
        stored = json.loads(Path(name).read_text())
    except FileNotFoundError:
        raise RuntimeError(f"KEYS_FILE {name} does not exist: make it with "
                           f"`python -m survey.keys {name}`") from None
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"KEYS_FILE {name} cannot be read as a keys file ({exc})") from None
    if not isinstance(stored, dict):
        raise RuntimeError(f"KEYS_FILE {name} does not hold a JSON object of keys")
    for key in KEY_NAMES:
        if config.get(key) in (None, "", DEFAULT_SECRET) and stored.get(key):
            config[key] = stored[key]


def key_problems(config: Mapping, *, debug: bool) -> tuple[str | None, list[str]]:
    """(why the app must not start, warnings): the public default SECRET_KEY is refused
    outside debug and testing; LINK_KEY and HASH_KEY left empty are derived from it."""
    weak = config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET)
    fatal = None
    if weak and not (debug or config.get("TESTING")):
        fatal = ("SECRET_KEY is empty or the public default: set FLASK_SECRET_KEY, or "
                 "FLASK_KEYS_FILE to a file made by `python -m survey.keys FILE`")
    notes = [f"{key} is empty: derived from SECRET_KEY (changing SECRET_KEY changes it)"
             for key in ("LINK_KEY", "HASH_KEY") if not config.get(key)]
    return fatal, notes


def main(argv: list[str]) -> int:
    """``python -m survey.keys FILE``: create the keys file unless it exists (values not shown)."""
    if len(argv) != 1:
        print("usage: python -m survey.keys FILE", file=sys.stderr)
        return 2
    created = ensure_keys_file(argv[0])
    print(f"{'created' if created else 'kept'} random SECRET_KEY, LINK_KEY and HASH_KEY "
          f"in {argv[0]} (mode 0600)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
