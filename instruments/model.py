"""Frozen dataclasses for an assembled questionnaire; no file or network I/O here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

#: Languages every label must carry, in the order they are serialised.
LANGUAGES = ("zh_CN", "en")


class InstrumentError(ValueError):
    """A questionnaire file is invalid or does not match the lock; the message names the file."""


class UnknownInstrument(InstrumentError, KeyError):
    """No instrument with the requested code or version exists."""

    def __str__(self) -> str:
        """Show the message as is, not quoted as a KeyError would."""
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Label:
    """A bilingual text: Simplified Chinese and English."""

    zh_CN: str
    en: str

    def get(self, locale: Any) -> str:
        """Return the Chinese text for a ``zh*`` locale and the English text otherwise.

        >>> label = Label("是", "Yes")
        >>> label.get("zh"), label.get("zh_CN"), label.get("zh-Hans-CN")
        ('是', '是', '是')
        >>> label.get("en"), label.get("fr"), label.get("")
        ('Yes', 'Yes', 'Yes')
        """
        return self.zh_CN if str(locale or "").lower().startswith("zh") else self.en

    def to_dict(self) -> dict[str, str]:
        """Return ``{"zh_CN": ..., "en": ...}``."""
        return {"zh_CN": self.zh_CN, "en": self.en}


@dataclass(frozen=True)
class Option:
    """One answer option: the stored numeric value and what the respondent reads."""

    value: int
    label: Label


@dataclass(frozen=True)
class Scale:
    """A named answer scale shared by items; "not applicable" is never one of its values."""

    code: str
    kind: str
    lo: int
    hi: int
    low: Label | None
    high: Label | None
    allow_na: bool
    na_label: Label | None
    options: tuple[Option, ...]

    def values(self) -> range | tuple[int, ...]:
        """Return the allowed stored values, in display order.

        >>> Scale("s5", "rating", 1, 5, None, None, True, None, ()).values()
        range(1, 6)
        """
        if self.kind == "rating":
            return range(self.lo, self.hi + 1)
        return tuple(option.value for option in self.options)

    def to_dict(self) -> dict[str, Any]:
        """Return a plain JSON-able dict."""
        return {
            "code": self.code,
            "kind": self.kind,
            "lo": self.lo,
            "hi": self.hi,
            "low": _label_dict(self.low),
            "high": _label_dict(self.high),
            "allow_na": self.allow_na,
            "na_label": _label_dict(self.na_label),
            "options": [{"value": o.value, "label": o.label.to_dict()} for o in self.options],
        }


@dataclass(frozen=True)
class Item:
    """One question; its answer is stored under ``code``."""

    code: str
    construct: str
    scale: Scale
    label: Label
    required: bool
    reverse: bool
    in_model: bool
    low: Label | None
    high: Label | None

    def to_dict(self) -> dict[str, Any]:
        """Return a plain JSON-able dict; the scale is referred to by its code."""
        return {
            "code": self.code,
            "construct": self.construct,
            "scale": self.scale.code,
            "label": self.label.to_dict(),
            "required": self.required,
            "reverse": self.reverse,
            "in_model": self.in_model,
            "low": _label_dict(self.low),
            "high": _label_dict(self.high),
        }


@dataclass(frozen=True)
class Section:
    """A short page or block of items shown together."""

    code: str
    title: Label
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Construct:
    """A latent variable of the satisfaction model, such as ``satisfaction``."""

    code: str
    label: Label


@dataclass(frozen=True)
class ProfileQuestion:
    """An optional respondent-profile question; options include ``undisclosed``."""

    code: str
    label: Label
    options: tuple[tuple[str, Label], ...]


@dataclass(frozen=True)
class Instrument:
    """A sector questionnaire version assembled from the common core and the sector module."""

    code: str
    version: int
    category: str
    title: Label
    sections: tuple[Section, ...]
    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    profile: tuple[ProfileQuestion, ...]
    content_hash: str
    source: str
    core: str = ""
    family: str = "service"
    #: Whether the respondent is offered the free-text comment box.
    comment: bool = True

    @property
    def key(self) -> str:
        """Return ``code@version``, the key used in the lock and in stored responses."""
        return f"{self.code}@{self.version}"

    @property
    def items(self) -> tuple[Item, ...]:
        """Return all items in display order."""
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def _by_code(self) -> dict[str, Item]:
        """Index items by code once; the survey looks items up on every request."""
        return {item.code: item for item in self.items}

    def item(self, code: str) -> Item:
        """Return the item with this code; raise ``KeyError`` if there is none."""
        return self._by_code[code]

    def blocks(self) -> dict[str, list[str]]:
        """Return construct code -> codes of its in-model items (the PLS measurement model)."""
        return {
            c.code: [i.code for i in self.items if i.construct == c.code and i.in_model]
            for c in self.constructs
        }

    def scales(self) -> dict[str, tuple[int, int]]:
        """Return item code -> (lo, hi) of its scale, for rescaling answers to 0-100."""
        return {item.code: (item.scale.lo, item.scale.hi) for item in self.items}

    def reverse_items(self) -> list[str]:
        """Return codes of reverse-worded items, whose answers analysis must flip."""
        return [item.code for item in self.items if item.reverse]

    def to_dict(self) -> dict[str, Any]:
        """Return a plain JSON-able dict of the whole instrument."""
        scales = {item.scale.code: item.scale for item in self.items}
        return {
            "code": self.code,
            "version": self.version,
            "category": self.category,
            "family": self.family,
            "core": self.core,
            "comment": self.comment,
            "title": self.title.to_dict(),
            "scales": {code: scale.to_dict() for code, scale in sorted(scales.items())},
            "constructs": [{"code": c.code, "label": c.label.to_dict()} for c in self.constructs],
            "paths": [list(path) for path in self.paths],
            "sections": [
                {
                    "code": s.code,
                    "title": s.title.to_dict(),
                    "items": [item.to_dict() for item in s.items],
                }
                for s in self.sections
            ],
            "profile": [
                {
                    "code": q.code,
                    "label": q.label.to_dict(),
                    "options": [{"code": c, "label": lab.to_dict()} for c, lab in q.options],
                }
                for q in self.profile
            ],
            "content_hash": self.content_hash,
            "source": self.source,
        }


def content_hash(instrument: Instrument) -> str:
    """Return the sha256 of the canonical JSON of an instrument, ignoring its hash and path.

    The file's location is left out so that a copy elsewhere hashes the same; everything a
    respondent sees or analysis reads is in. The family is left out because it follows from
    the category, and ``comment`` only when it has its default (True), so that versions
    locked before these fields existed keep their hashes.
    """
    data = instrument.to_dict()
    del data["content_hash"], data["source"], data["family"]
    if data["comment"] is True:
        del data["comment"]
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _label_dict(label: Label | None) -> dict[str, str] | None:
    """Serialise an optional label."""
    return None if label is None else label.to_dict()
