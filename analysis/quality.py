"""Data-quality flags of survey responses: speeders, straight-lining, duplicates, bursts,
answers outside opening hours and one device rating several competitors.

Pure functions over a frame of responses (numpy and pandas only). The per-response checks
(`speeder`, `straight_lined`) are cheap enough to run as an answer is stored; the checks
across responses run over a whole wave in `flag_responses`. Near-identical comments are
in `analysis.quality_text`. Every flag is a reason code; a flagged response is quarantined
(kept, excluded from the indices by default) until an analyst reviews it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

SPEEDER = "speeder"
STRAIGHT_LINE = "straight_line"
DUPLICATE = "duplicate"
BURST = "burst"
OFF_HOURS = "off_hours"
NEAR_DUPLICATE_COMMENT = "near_duplicate_comment"
CROSS_RATING = "cross_rating"
APPEAL_UPHELD = "appeal_upheld"
#: The codes computed here (a recompute replaces these and keeps any other, e.g. appeals).
AUTOMATIC = (SPEEDER, STRAIGHT_LINE, DUPLICATE, BURST, OFF_HOURS, NEAR_DUPLICATE_COMMENT,
             CROSS_RATING)
SURGE = "surge"  # inside an improbable arrival window (analysis.surge)
COPIED_LINK = "copied_link"  # evidence of a copied link (analysis.link_evidence)
#: More arrivals than expected over days *and* answers shifted (analysis.shifted_surge): its
#: own code, since its evidence (answers, not counts alone) and the held side differ.
SHIFTED_SURGE = "shifted_surge"
#: Codes of the identity-free integrity checks, computed over a wave by analysis.integrity
#: (not by flag_responses, so a quality recompute must not drop them).
INTEGRITY = (SURGE, SHIFTED_SURGE, COPIED_LINK)
#: The integrity codes an analyst releases or confirms per enterprise on the Integrity page.
HELD_BY_SCAN = (SURGE, SHIFTED_SURGE)
#: Every reason code with its names (Chinese, English): the one table the console, the
#: portal and the bulletin name reasons from. "unspecified" stands for a quarantined
#: response without a stored reason.
REASONS = {
    SPEEDER: ("答题过快", "Too fast"),
    STRAIGHT_LINE: ("所有题目同一分值", "Same answer everywhere"),
    DUPLICATE: ("同一设备重复作答", "Same device and network again"),
    BURST: ("同一网络短时集中作答", "Burst from one network"),
    OFF_HOURS: ("营业时间外作答", "Outside opening hours"),
    NEAR_DUPLICATE_COMMENT: ("留言雷同", "Copied comment"),
    CROSS_RATING: ("同一设备评价多家同业", "One device rated competitors"),
    APPEAL_UPHELD: ("企业申诉成立", "Appeal upheld"),
    SURGE: ("到达量异常激增", "Improbable surge of arrivals"),
    SHIFTED_SURGE: ("多日到达偏多且评分偏移", "Surplus over days with shifted answers"),
    COPIED_LINK: ("疑似链接被复制传播", "Link copied elsewhere"),
    "unspecified": ("其他", "Other"),
}
#: Codes that are not enough on their own: an honest enthusiast answers 10 everywhere (about
#: 1 % of honest respondents), so quarantining straight-lining alone would systematically
#: lower the best-liked enterprises' indices. They quarantine only beside another reason.
WEAK = (STRAIGHT_LINE,)


def quarantines(flags) -> bool:
    """Whether reason codes ``flags`` quarantine a response: any strong code, or a weak
    code together with a second reason (e.g. straight-lining and speeding)."""
    codes = set(flags or ())
    return bool(codes - set(WEAK)) or len(codes) >= 2


def reason_names(language: str) -> dict[str, str]:
    """Reason code -> its name in ``language`` ("zh…" for Chinese, anything else English)."""
    column = 0 if language.lower().startswith("zh") else 1
    return {code: names[column] for code, names in REASONS.items()}


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the quality checks (all overridable from the app's QUALITY setting)."""

    reading_cps: float = 20.0  # characters read per second: a fast skim (~4× careful reading)
    answer_seconds: float = 0.5  # least time to tap one answer
    straight_line_min_items: int = 8  # answered rating items needed to call it straight-lining
    burst_count: int = 5  # responses to one enterprise from one network ...
    burst_minutes: float = 10.0  # ... within this many minutes
    opening_grace_minutes: int = 120  # answering on the way home is fine
    comment_min_chars: int = 10  # shorter comments ("很好") are alike by nature
    comment_ngram: int = 3
    comment_jaccard: float = 0.8  # character n-gram Jaccard similarity that counts as the same
    comment_min_group: int = 3  # near-identical comments to one enterprise ...
    comment_window_hours: float = 24.0  # ... within this many hours
    cross_rating_min: int = 2  # enterprises of one sector rated by one device in a wave

    @classmethod
    def from_dict(cls, values: dict | None) -> QualityRules:
        """Rules from a settings dict; unknown keys raise ValueError."""
        values = dict(values or {})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown quality rules: {sorted(unknown)}")
        return cls(**values)

    def to_dict(self) -> dict:
        """The rules as a plain dict."""
        return asdict(self)


def speeder_threshold(characters: int, n_items: int, rules: QualityRules) -> float:
    """Least plausible completion time in seconds of a questionnaire.

    ``threshold = characters / reading_cps + n_items × answer_seconds``, where
    `characters` counts the text shown with the items (labels and scale ends) in the
    respondent's language. With the defaults a 21-item questionnaire of ~700 characters
    needs 45.5 s; honest respondents take about two minutes.
    """
    if characters < 0 or n_items < 0 or rules.reading_cps <= 0:
        raise ValueError("characters and n_items must be >= 0, reading_cps > 0")
    return characters / rules.reading_cps + n_items * rules.answer_seconds


def speeder(duration_s: float | None, threshold_s: float) -> bool:
    """True when a known completion time is below the threshold."""
    return duration_s is not None and duration_s == duration_s and duration_s < threshold_s


def straight_lined(answers, rules: QualityRules) -> bool:
    """True when at least `straight_line_min_items` rating answers are all the same value.

    `answers` are the rating items' values with None/NaN for missing; a satisfied customer
    rarely gives *every* item the same score, a scripted one always does.
    """
    # Plain Python: this runs inline on every submission.
    values = [v for v in answers if v is not None and v == v]
    return len(values) >= rules.straight_line_min_items and len(set(values)) == 1


def epoch_seconds(times: pd.Series) -> np.ndarray:
    """Seconds since 1970 of UTC timestamps, whatever the datetime resolution (NaN if NaT)."""
    delta = pd.to_datetime(times, utc=True) - pd.Timestamp(0, tz="UTC")
    return (delta / pd.Timedelta(seconds=1)).to_numpy(dtype="float64", na_value=np.nan)


def burst_members(groups: pd.Series, times: pd.Series, count: int, minutes: float) -> pd.Series:
    """True for each response in a window of `minutes` holding ≥ `count` responses of its
    group (e.g. one enterprise and network); windows never cross groups.
    """
    if len(times) == 0:
        return pd.Series([], dtype=bool, index=times.index)
    codes = pd.factorize(groups, use_na_sentinel=True)[0]
    seconds = epoch_seconds(times)
    span = float(np.nanmax(seconds) - np.nanmin(seconds)) + minutes * 60 + 1.0
    # Shift each group onto its own stretch of the line so one sorted search serves all.
    key = (seconds - np.nanmin(seconds)) + codes * span
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    ends = np.searchsorted(ordered, ordered + minutes * 60, side="right")
    starts = np.arange(len(ordered))
    full = (ends - starts) >= count
    marks = np.zeros(len(ordered) + 1, dtype=np.int64)
    np.add.at(marks, starts[full], 1)
    np.add.at(marks, ends[full], -1)
    inside = np.cumsum(marks[:-1]) > 0
    inside &= codes[order] >= 0
    out = np.zeros(len(ordered), dtype=bool)
    out[order] = inside
    return pd.Series(out, index=times.index)


def outside_hours(local_minute: pd.Series, opens: pd.Series, closes: pd.Series,
                  grace: int) -> pd.Series:
    """True when a local time of day (minutes) lies outside [opens, closes + grace].

    Hours that pass midnight (closes < opens) are handled; unknown hours (NaN) never flag.
    """
    m, o, c = (s.astype("float64") for s in (local_minute, opens, closes))
    c_late = (c + grace) % 1440
    wraps = (c + grace >= 1440) | (c < o)
    inside_plain = (m >= o) & (m <= c + grace)
    inside_wrap = (m >= o) | (m <= c_late)
    inside = inside_plain.where(~wraps, inside_wrap)
    return (~inside) & o.notna() & c.notna() & m.notna()


def device_identity(frame: pd.DataFrame) -> pd.Series:
    """Who answered, as well as we can tell: the cookie's hash, else device and network."""
    cookie = frame["client_hash"].astype("object")
    fingerprint = frame["device_hash"].astype("object") + "|" + frame["ip_hash"].astype("object")
    return cookie.where(cookie.notna(), fingerprint)


def flag_responses(frame: pd.DataFrame, rating_items: list[str], rules: QualityRules) -> pd.Series:
    """Reason codes per response (a list, empty when clean), indexed like `frame`.

    `frame` has one row per response with columns enterprise_id, sector, submitted_at
    (UTC), duration_s, threshold_s, ip_hash, device_hash, client_hash, local_minute,
    opens_minute and closes_minute (NaN when unknown) and the `rating_items` answers.
    Near-identical comments are flagged separately (`analysis.quality_text`).
    """
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    reasons = {code: pd.Series(False, index=frame.index) for code in AUTOMATIC}
    duration = frame["duration_s"].astype("float64")
    reasons[SPEEDER] = duration < frame["threshold_s"].astype("float64")
    reasons[STRAIGHT_LINE] = _straight_lines(frame[rating_items], rules)
    fingerprint = frame["device_hash"].astype("object") + "|" + frame["ip_hash"].astype("object")
    ordered = frame.assign(_fp=fingerprint).sort_values("submitted_at", kind="stable")
    repeats = ordered["_fp"].notna() & ordered.duplicated(["enterprise_id", "_fp"])
    reasons[DUPLICATE] = repeats.reindex(frame.index, fill_value=False)
    network = frame["enterprise_id"].astype("string") + "|" + frame["ip_hash"].astype("string")
    reasons[BURST] = burst_members(network, frame["submitted_at"], rules.burst_count,
                                   rules.burst_minutes)
    reasons[OFF_HOURS] = outside_hours(frame["local_minute"], frame["opens_minute"],
                                       frame["closes_minute"], rules.opening_grace_minutes)
    reasons[CROSS_RATING] = _cross_ratings(frame, rules)
    table = pd.DataFrame(reasons).astype(bool)
    return table.apply(lambda row: [c for c in AUTOMATIC if row[c]], axis=1)


def _straight_lines(answers: pd.DataFrame, rules: QualityRules) -> pd.Series:
    values = answers.astype("float64")
    answered = values.notna().sum(axis=1)
    spread = values.max(axis=1) - values.min(axis=1)
    return (answered >= rules.straight_line_min_items) & (spread == 0)


def _cross_ratings(frame: pd.DataFrame, rules: QualityRules) -> pd.Series:
    who = device_identity(frame)
    rated = frame.assign(_who=who).groupby(["sector", "_who"], dropna=True)["enterprise_id"]
    counts = rated.transform("nunique")
    return (counts >= rules.cross_rating_min).reindex(frame.index, fill_value=False)
