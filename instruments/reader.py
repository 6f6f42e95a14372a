"""Typed, named-error access to parsed TOML tables; shared by the core and sector parsers."""

from __future__ import annotations

import re
from typing import Any

from instruments.model import LANGUAGES, InstrumentError, Label

#: Placeholder in core labels, replaced by the sector's ``subject`` (e.g. 这家餐厅).
SUBJECT = "{subject}"
_MISSING = object()
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]*")


class Reader:
    """Typed access to TOML tables that fails with the file and the place named."""

    def __init__(self, src: str, subject: Label | None = None) -> None:
        self.src = src
        self.subject = subject

    def fail(self, where: str, message: str) -> InstrumentError:
        """Return an error naming the file and, when given, the place in it."""
        place = f"{where}: " if where else ""
        return InstrumentError(f"{self.src}: {place}{message}")

    def table(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        """Check that value is a table with no unknown keys."""
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field '{unknown[0]}'")
        return value

    def take(self, table: dict, key: str, kind: type, where: str, default: Any = _MISSING) -> Any:
        """Return table[key] checked against kind, or default when absent."""
        if key not in table:
            if default is _MISSING:
                raise self.fail(where, f"missing field '{key}'")
            return default
        value = table[key]
        # bool is a subclass of int: a version of `true` must not pass as 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(where, f"field '{key}' must be of type {kind.__name__}")
        return value

    def positive(self, table: dict, key: str, where: str) -> int:
        """Return a required positive integer, such as a version."""
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            if key not in table:
                raise self.fail(where, f"missing field '{key}'")
            raise self.fail(where, f"{key} must be a positive integer, got {value!r}")
        return value

    def label(self, table: dict, key: str, where: str, required: bool = True) -> Label | None:
        """Return a bilingual label with exactly the languages zh_CN and en."""
        if key not in table and not required:
            return None
        value = self.take(table, key, dict, where)
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail(where, f"{key}: missing language '{lang}'")
            if not isinstance(value[lang], str) or not value[lang].strip():
                raise self.fail(where, f"{key}: language '{lang}' must be a non-empty string")
        extra = sorted(set(value) - set(LANGUAGES))
        if extra:
            raise self.fail(where, f"{key}: unknown language '{extra[0]}'")
        texts = [value[lang] for lang in LANGUAGES]
        if self.subject is not None:
            subject = self.subject.to_dict()
            texts = [value[lang].replace(SUBJECT, subject[lang]) for lang in LANGUAGES]
        return Label(*texts)

    def code(self, table: dict, where: str) -> str:
        """Return a required code: lower-case letters, digits, '_' or '-'."""
        code = self.take(table, "code", str, where)
        if not _CODE.fullmatch(code):
            raise self.fail(where, f"bad code {code!r}")
        return code
