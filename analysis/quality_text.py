"""Identical and near-identical comments: the same text pasted into many responses.

Pure (pandas only). Two comments are near-identical when the Jaccard similarity of their
character n-gram sets, ``|A ∩ B| / |A ∪ B|``, reaches a threshold (0.8 by default: a
changed word or punctuation mark in a 30-character comment keeps it above).
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.quality import QualityRules, epoch_seconds

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case text without spaces or punctuation (full- or half-width)."""
    return _NOISE.sub("", str(text)).lower()


def ngrams(text: str, n: int) -> frozenset[str]:
    """The set of character n-grams of normalised `text` (the text itself when shorter)."""
    text = normalise(text)
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + n] for i in range(len(text) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicate_comments(frame: pd.DataFrame, rules: QualityRules) -> pd.Series:
    """True for each comment with ≥ `comment_min_group` − 1 near-identical comments to the
    same enterprise within `comment_window_hours`.

    `frame` has enterprise_id, submitted_at (UTC) and comment; comments shorter than
    `comment_min_chars` (after normalising) are never flagged.
    """
    out = pd.Series(False, index=frame.index)
    if frame.empty:
        return out
    text = frame["comment"].fillna("").astype(str).map(normalise)
    long_enough = text.str.len() >= rules.comment_min_chars
    window = rules.comment_window_hours * 3600
    times = pd.Series(epoch_seconds(frame["submitted_at"]), index=frame.index)
    for _enterprise, rows in frame[long_enough].groupby("enterprise_id"):
        index = list(rows.index)
        texts = [text[i] for i in index]
        stamps = [float(times[i]) for i in index]
        grams = [ngrams(t, rules.comment_ngram) for t in texts]
        for a, i in enumerate(index):
            similar = sum(
                1 for b in range(len(index))
                if b != a and abs(stamps[a] - stamps[b]) <= window
                and (texts[a] == texts[b] or jaccard(grams[a], grams[b]) >= rules.comment_jaccard)
            )
            out[i] = similar >= rules.comment_min_group - 1
    return out
