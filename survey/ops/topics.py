"""Topic tags of customers' comments: jieba word segmentation over a per-sector lexicon."""

from __future__ import annotations

import logging
import tomllib
from functools import cache, lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

LEXICON = Path(__file__).resolve().parent / "data" / "topics.toml"
TOPICS = {
    "price": _l("Price"),
    "attitude": _l("Staff attitude"),
    "waiting": _l("Waiting time"),
    "hygiene": _l("Hygiene"),
    "facilities": _l("Facilities"),
    "quality": _l("Quality of service"),
}


@cache
def lexicon() -> dict[str, dict[str, frozenset[str]]]:
    """Sector code → topic → its words (common words included); key "" = common only."""
    doc = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
    common = {t: set(words) for t, words in doc["common"].items()}
    unknown = set(common) - set(TOPICS)
    for topics in doc.get("sectors", {}).values():
        unknown |= set(topics) - set(TOPICS)
    if unknown:
        raise ValueError(f"{LEXICON.name}: unknown topics {sorted(unknown)}")
    out = {"": {t: frozenset(w) for t, w in common.items()}}
    for sector, topics in doc.get("sectors", {}).items():
        merged = {t: set(w) for t, w in common.items()}
        for topic, words in topics.items():
            merged.setdefault(topic, set()).update(words)
        out[sector] = {t: frozenset(w) for t, w in merged.items()}
    return out


@cache
def _tokenizer():
    import jieba  # deferred: loading its dictionary takes a second

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for topics in lexicon().values():
        for words in topics.values():
            for word in words:
                tokenizer.add_word(word)
    return tokenizer


def warm() -> None:
    """Build the tokenizer now instead of on the first comment (survey.web.warm calls it)."""
    _tokenizer()


@lru_cache(maxsize=20000)
def tags(text: str, sector: str = "") -> tuple[str, ...]:
    """Topic codes whose lexicon words occur among the comment's segmented words."""
    if not text or not text.strip():
        return ()
    words = set(_tokenizer().lcut(text.lower()))
    topics = lexicon().get(sector) or lexicon()[""]
    return tuple(t for t in TOPICS if words & topics.get(t, frozenset()))


def topic_name(code: str) -> str:
    """The translated name of a topic."""
    return str(TOPICS.get(code, code))
