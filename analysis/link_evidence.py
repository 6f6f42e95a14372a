"""Evidence that a link was copied: answers far outside opening hours, soon after a reprint,
with a link generation that had already been rotated out, or, on a link shown on a counter
display, without a fresh stamp from the display.

Each piece scores points (like log-likelihood ratios rounded to small integers); a response
with ``score >= threshold`` is flagged ``copied_link``. The default weights: beyond the grace
after closing (or before opening) 1 point, more than ``far_hours`` beyond it 2 points; within
``reprint_hours`` after the link was reprinted 1 point (a new poster photographed and shared
before many customers could see it); submitted with a generation older than the link's
current one, after the rotation plus ``rotation_grace_minutes``, 3 points (the printed code
was replaced, so the old one circulates elsewhere); on a counter-display link, submitted
without a valid stamp or with one issued more than ``stamp_grace_minutes`` earlier, 3 points
(the code on the screen changes every few minutes: an answer that did not scan it recently
came from a copy of the link). The threshold 3 needs either a stale generation or stamp
alone, or a far-off-hours answer to a just-reprinted link.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("submitted_at", "local_minute", "opens_minute", "closes_minute")


def minutes_outside(local_minute, opens, closes) -> np.ndarray:
    """Minutes from a local time of day to the opening window ``[opens, closes]`` (0 inside;
    windows past midnight handled; NaN hours give 0): the circular distance to the window."""
    m, o, c = (np.asarray(x, float) for x in (local_minute, opens, closes))
    length = (c - o) % 1440
    after_open = (m - o) % 1440
    inside = after_open <= length
    past_close = after_open - length
    before_open = 1440 - after_open
    out = np.where(inside, 0.0, np.minimum(past_close, before_open))
    return np.where(np.isnan(o) | np.isnan(c) | np.isnan(m), 0.0, out)


def copied_link_score(frame: pd.DataFrame, *, grace_minutes: int = 120, far_hours: float = 4.0,
                      reprint_hours: float = 24.0, rotation_grace_minutes: float = 10.0,
                      stamp_grace_minutes: float = 30.0, threshold: int = 3) -> pd.DataFrame:
    """Points of copied-link evidence per response and the ``copied_link`` flag.

    ``frame``: submitted_at (aware), local_minute, opens_minute, closes_minute; optional
    ``reprinted_at`` (the link's last reprint), ``generation`` (of the token used),
    ``current_generation`` and ``rotated_at`` (when the token's generation was superseded),
    ``stamp_valid`` (True or False on a counter-display link, missing/NaN elsewhere) and
    ``stamp_issued_at``.
    ``score = 1[d > grace] + 1[d > grace + 60 far_hours] + 1[0 <= t - reprinted_at <=
    reprint_hours] + 3[generation < current_generation and t > rotated_at + grace]
    + 3[counter and (not stamp_valid or t - stamp_issued_at > stamp_grace)]`` with ``d`` the
    minutes outside the opening hours.
    """
    absent = [c for c in COLUMNS if c not in frame.columns]
    if absent:
        raise ValueError(f"frame lacks columns {absent}")
    if grace_minutes < 0 or far_hours <= 0 or reprint_hours <= 0:
        raise ValueError("grace_minutes >= 0, far_hours > 0 and reprint_hours > 0")
    t = pd.to_datetime(frame["submitted_at"], utc=True)
    d = minutes_outside(frame["local_minute"], frame["opens_minute"], frame["closes_minute"])
    score = (d > grace_minutes).astype(int) + (d > grace_minutes + 60 * far_hours).astype(int)
    if "reprinted_at" in frame.columns:
        since = (t - pd.to_datetime(frame["reprinted_at"], utc=True)) / pd.Timedelta(hours=1)
        score += ((since >= 0) & (since <= reprint_hours)).to_numpy(bool).astype(int)
    if {"generation", "current_generation", "rotated_at"} <= set(frame.columns):
        stale = (frame["generation"] < frame["current_generation"]).to_numpy(bool)
        late = (t > pd.to_datetime(frame["rotated_at"], utc=True)
                + pd.Timedelta(minutes=rotation_grace_minutes)).to_numpy(bool)
        score += 3 * (stale & late)
    if {"stamp_valid", "stamp_issued_at"} <= set(frame.columns):
        score += 3 * _stamp_evidence(frame["stamp_valid"], frame["stamp_issued_at"], t,
                                     stamp_grace_minutes)
    return pd.DataFrame({"minutes_outside": d, "score": score,
                         "copied_link": score >= threshold}, index=frame.index)


def _stamp_evidence(valid: pd.Series, issued: pd.Series, t: pd.Series,
                    grace_minutes: float) -> np.ndarray:
    """1 where a counter-display answer had no valid stamp or one older than the grace."""
    counter = valid.notna().to_numpy(bool)
    ok = valid.eq(True).to_numpy(bool)
    age = (t - pd.to_datetime(issued, utc=True)) / pd.Timedelta(minutes=1)
    old = (age > grace_minutes).to_numpy(bool)  # NaN ages (no stamp) compare False
    return (counter & (~ok | old)).astype(int)
