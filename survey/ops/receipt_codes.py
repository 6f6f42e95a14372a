"""One-time receipt codes: issued per enterprise and wave, verified by a keyed MAC.

A code is 10 characters of Crockford base32 (``0-9 A-Z`` without ``I L O U``), printed
as ``XXXXX-XXXXX``: 50 bits = batch number (15 bits) ‖ serial within the batch (11 bits)
‖ tag (24 bits), where ``tag = HMAC-SHA256(key, purpose ‖ enterprise ‖ wave ‖ batch ‖
serial)`` truncated to its first 24 bits. Batch and serial are readable, so a code names
its batch without a per-code table; only the tag is secret, and it binds the code to its
enterprise and wave.

Forgery: without the key the tag of a new (batch, serial) is a uniform 24-bit value, so a
made-up or altered code is accepted with probability ``2**-24`` (about 1 in 16.8 million)
per attempt; ``k`` attempts succeed with probability ``1 - (1 - 2**-24)**k ~ k 2**-24``
(10,000 tries: 0.06 %). Rate limits on the entry page keep ``k`` small. The key is secret
configuration; rotating it invalidates codes not yet used.

Single use is not a property of the code: the web layer stores :func:`code_hash` of every
accepted code in a unique column, and :func:`verify` reports a code already there as
``used``. A typing slip changes the payload, so it reads as ``forged`` (its message asks
the respondent to check the code).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_TYPING = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
PURPOSE = b"manyi.receipt-code.v1"
USED_PURPOSE = b"manyi.receipt-code.used.v1"


@dataclass(frozen=True)
class Layout:
    """Bit widths of a code's fields; ``length`` characters of 5 bits hold all three."""

    batch_bits: int = 15
    serial_bits: int = 11
    tag_bits: int = 24

    def __post_init__(self):
        bits = (self.batch_bits, self.serial_bits, self.tag_bits)
        if min(bits) < 1 or self.tag_bits > 64 or sum(bits) % 5:
            raise ValueError("field widths must be positive, tag_bits <= 64, sum a multiple of 5")

    @property
    def length(self) -> int:
        return (self.batch_bits + self.serial_bits + self.tag_bits) // 5

    @property
    def max_batch(self) -> int:
        return (1 << self.batch_bits) - 1

    @property
    def per_batch(self) -> int:
        return 1 << self.serial_bits


LAYOUT = Layout()

MESSAGES = {
    "valid": ("收据码有效。", "The receipt code is valid."),
    "used": ("该收据码已被使用，每张收据只能评价一次。",
             "This receipt code has already been used; each receipt allows one response."),
    "foreign": ("该收据码不属于本企业或本期测评。",
                "This receipt code belongs to another enterprise or survey wave."),
    "forged": ("收据码无效，请核对后重新输入。",
               "This is not a valid receipt code; please check it and type it again."),
    "malformed": ("收据码格式不正确：应为10位字母或数字。",
                  "A receipt code has 10 letters or digits; please check what was typed."),
}


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`verify`; ``enterprise_id``/``wave_id`` name the owner if known."""

    status: str
    code: str | None = None
    batch_id: int | None = None
    serial: int | None = None
    code_hash: str | None = None
    enterprise_id: str | None = None
    wave_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    def message(self, lang: str = "zh_CN") -> str:
        """The respondent-facing message (``zh_CN`` or ``en``)."""
        return MESSAGES[self.status][0 if lang.startswith("zh") else 1]


def _key(key: bytes | str) -> bytes:
    if isinstance(key, str):
        key = key.encode()
    if len(key) < 16:
        raise ValueError("the receipt-code key must have at least 16 bytes")
    return key


def _tag(key: bytes, enterprise_id, wave_id, batch_id: int, serial: int, layout: Layout) -> int:
    msg = b"\x00".join([PURPOSE, str(enterprise_id).encode(), str(wave_id).encode(),
                        str(batch_id).encode(), str(serial).encode()])
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - layout.tag_bits)


def _encode(value: int, length: int) -> str:
    return "".join(ALPHABET[(value >> (5 * (length - 1 - i))) & 31] for i in range(length))


def normalise(text: str, layout: Layout = LAYOUT) -> str | None:
    """Canonical form of a typed code (upper case, no separators, O→0, I/L→1), or None.

    None when, after that, it is not ``layout.length`` base32 characters (``U`` included).
    """
    s = _SEPARATORS.sub("", str(text)).upper().translate(_TYPING)
    if len(s) != layout.length or any(c not in _VALUE for c in s):
        return None
    return s


def parse(text: str, layout: Layout = LAYOUT) -> tuple[int, int, int] | None:
    """``(batch_id, serial, tag)`` of a typed code, or None if it is malformed."""
    s = normalise(text, layout)
    if s is None:
        return None
    value = 0
    for c in s:
        value = (value << 5) | _VALUE[c]
    tag = value & ((1 << layout.tag_bits) - 1)
    serial = (value >> layout.tag_bits) & (layout.per_batch - 1)
    return value >> (layout.tag_bits + layout.serial_bits), serial, tag


def format_code(code: str, group: int = 5) -> str:
    """A canonical code split into groups for printing (``7K3QZ-0M9TR``)."""
    return "-".join(code[i:i + group] for i in range(0, len(code), group))


def issue_codes(key: bytes | str, enterprise_id, wave_id, batch_id: int, count: int, *,
                first_serial: int = 0, layout: Layout = LAYOUT) -> list[str]:
    """Canonical codes for serials ``first_serial .. first_serial + count - 1`` of a batch.

    Code = base32(batch ‖ serial ‖ HMAC-SHA256(key, purpose ‖ enterprise ‖ wave ‖ batch
    ‖ serial)[:tag_bits]) (Bellare, Canetti & Krawczyk 1996, HMAC; truncation as in
    NIST SP 800-107 r1, section 5.3.3). A batch holds ``layout.per_batch`` (2048) serials.
    """
    k = _key(key)
    if not 0 <= batch_id <= layout.max_batch:
        raise ValueError(f"batch_id must be in 0..{layout.max_batch}")
    if count < 1 or first_serial < 0 or first_serial + count > layout.per_batch:
        raise ValueError(f"serials must lie in 0..{layout.per_batch - 1} and count be >= 1")
    head = layout.serial_bits + layout.tag_bits
    return [_encode((batch_id << head) | (s << layout.tag_bits)
                    | _tag(k, enterprise_id, wave_id, batch_id, s, layout), layout.length)
            for s in range(first_serial, first_serial + count)]


def code_hash(key: bytes | str, code: str, layout: Layout = LAYOUT) -> str:
    """Stable keyed hash of a code's canonical form (32 hex characters), for the used list.

    ``HMAC-SHA256(key, used-purpose ‖ canonical code)[:16 bytes]``: typing variants of one
    code hash alike, and the stored value does not reveal the code.
    """
    s = normalise(code, layout)
    if s is None:
        raise ValueError("malformed receipt code")
    return hmac.new(_key(key), USED_PURPOSE + b"\x00" + s.encode(), hashlib.sha256).hexdigest()[:32]


def verify(key: bytes | str, code: str, enterprise_id, wave_id, *,
           owner: Callable[[int], tuple | None] | None = None,
           is_used: Callable[[str], bool] | None = None,
           layout: Layout = LAYOUT) -> Verdict:
    """Check a typed code for an enterprise and wave: valid, used, foreign, forged or malformed.

    The tag is recomputed for the claimed enterprise and wave and compared in constant
    time; a false accept has probability ``2**-tag_bits`` (module docstring). ``owner``
    maps a batch number to its ``(enterprise_id, wave_id)`` (None if no such batch): when
    the batch belongs elsewhere and the tag matches that owner the code is ``foreign``;
    unknown batches are ``forged``. ``is_used`` tells whether a :func:`code_hash` is stored.
    """
    k = _key(key)
    parts = parse(code, layout)
    if parts is None:
        return Verdict("malformed")
    batch_id, serial, tag = parts
    canonical = normalise(code, layout)
    ent, wave = str(enterprise_id), str(wave_id)
    if owner is not None:
        found = owner(batch_id)
        if found is None:
            return Verdict("forged", canonical, batch_id, serial)
        ent, wave = (str(v) for v in found)
    expected = _tag(k, ent, wave, batch_id, serial, layout)
    if not hmac.compare_digest(tag.to_bytes(8, "big"), expected.to_bytes(8, "big")):
        return Verdict("forged", canonical, batch_id, serial)
    h = code_hash(k, canonical, layout)
    if (ent, wave) != (str(enterprise_id), str(wave_id)):
        return Verdict("foreign", canonical, batch_id, serial, h, ent, wave)
    if is_used is not None and is_used(h):
        return Verdict("used", canonical, batch_id, serial, h, ent, wave)
    return Verdict("valid", canonical, batch_id, serial, h, ent, wave)
