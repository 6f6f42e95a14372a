"""Integers from URLs and query strings, bounded so that no database ever sees an overflow.

Werkzeug's ``<int:>`` accepts any number of digits and ``str.isdigit`` accepts "²" and
other Unicode digits that ``int`` refuses; a value beyond a 64-bit column makes SQLite raise
OverflowError. Every id the app takes from a request goes through these instead.
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter

# Largest id the app accepts: PostgreSQL's INTEGER, far below SQLite's 64-bit limit.
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


class BoundedIntConverter(IntegerConverter):
    """``<int:>`` limited to 0..MAX_ID (a larger value is a 404 like an unknown id)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, fixed_digits=0, min=0, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(text: str | None) -> int | None:
    """`text` as an id when it is 1-10 ASCII digits within MAX_ID, else None."""
    if not text or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def int_arg(name: str, default: int | None = None) -> int | None:
    """The query parameter `name` as a bounded id (`default` when absent or not one)."""
    value = parse_id(request.args.get(name))
    return default if value is None else value


def init_app(app: Flask) -> None:
    """Make ``<int:>`` bounded; must run before any route is added."""
    app.url_map.converters["int"] = BoundedIntConverter
