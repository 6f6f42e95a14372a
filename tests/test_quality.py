"""The pure quality checks: speeders, straight-lining, duplicates, bursts, opening hours,
near-identical comments and cross-ratings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.quality import (
    QualityRules,
    burst_members,
    flag_responses,
    outside_hours,
    speeder,
    speeder_threshold,
    straight_lined,
)
from analysis.quality_text import jaccard, near_duplicate_comments, ngrams

RULES = QualityRules()
T0 = pd.Timestamp("2026-11-20 02:00", tz="UTC")


def test_speeder_threshold_is_reading_time_plus_answer_time():
    rules = QualityRules(reading_cps=20, answer_seconds=0.5)
    assert speeder_threshold(700, 21, rules) == pytest.approx(700 / 20 + 21 * 0.5)
    assert speeder(30.0, 45.5) and not speeder(46.0, 45.5) and not speeder(None, 45.5)
    with pytest.raises(ValueError):
        speeder_threshold(-1, 3, rules)


@pytest.mark.parametrize(("answers", "flat"), [
    ([10] * 12, True),
    ([1] * 8 + [None] * 4, True),
    ([10] * 7 + [None] * 5, False),  # too few answered to tell
    ([10] * 11 + [9], False),
])
def test_straight_lining_needs_enough_identical_answers(answers, flat):
    assert straight_lined(answers, RULES) is flat


def test_bursts_are_windows_with_enough_responses_of_one_group():
    minutes = [0, 1, 2, 3, 4, 30, 31, 60, 200, 201]
    groups = pd.Series(["a"] * 8 + ["b"] * 2)
    times = pd.Series([T0 + pd.Timedelta(minutes=m) for m in minutes])
    got = burst_members(groups, times, count=5, minutes=10)
    assert got.tolist() == [True] * 5 + [False] * 5
    # The same times split over two groups never make a burst.
    split = burst_members(pd.Series(list("ababababab")), times, count=5, minutes=10)
    assert not split.any()


@pytest.mark.parametrize(("minute", "opens", "closes", "outside"), [
    (12 * 60, 9 * 60, 21 * 60, False),
    (22 * 60, 9 * 60, 21 * 60, False),  # within the grace after closing
    (23 * 60 + 30, 9 * 60, 21 * 60, True),
    (3 * 60, 9 * 60, 21 * 60, True),
    (1 * 60, 18 * 60, 2 * 60, False),  # a bar open past midnight
    (12 * 60, 18 * 60, 2 * 60, True),
    (3 * 60, np.nan, np.nan, False),  # hours unknown
])
def test_opening_hours_with_grace(minute, opens, closes, outside):
    got = outside_hours(pd.Series([minute]), pd.Series([opens]), pd.Series([closes]), 120)
    assert bool(got.iloc[0]) is outside


def test_near_identical_comments_by_ngram_jaccard():
    a, b = "上菜速度很快，服务员态度非常好！", "上菜速度很快，服务员态度非常好。。"
    assert jaccard(ngrams(a, 3), ngrams(b, 3)) == 1.0  # punctuation is ignored
    c = "上菜速度很快，服务员态度特别好"
    assert 0.5 < jaccard(ngrams(a, 3), ngrams(c, 3)) < 1.0
    frame = pd.DataFrame({
        "enterprise_id": [1, 1, 1, 1, 2, 1],
        "submitted_at": [T0, T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=2),
                         T0 + pd.Timedelta(days=5), T0, T0],
        "comment": [a, b, a + "赞", a, a, "很好"],
    })
    got = near_duplicate_comments(frame, QualityRules(comment_jaccard=0.8))
    # Three alike within a day for enterprise 1; the late one, the other enterprise's and
    # the short comment are not flagged.
    assert got.tolist() == [True, True, True, False, False, False]


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"sector": "catering", "duration_s": 120.0, "threshold_s": 45.0, "client_hash": None,
            "local_minute": 12 * 60, "opens_minute": np.nan, "closes_minute": np.nan}
    frame = pd.DataFrame([base | r for r in rows])
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    return frame


def test_flag_responses_finds_each_reason():
    items = [f"q{i}" for i in range(10)]
    varied = {f"q{i}": float(5 + i % 4) for i in range(10)}
    flat = {f"q{i}": 10.0 for i in range(10)}
    rows = [
        {"enterprise_id": 1, "submitted_at": T0, "ip_hash": "n1", "device_hash": "d1", **varied},
        {"enterprise_id": 1, "submitted_at": T0 + pd.Timedelta(days=1), "ip_hash": "n1",
         "device_hash": "d1", **varied},  # same device and network again
        {"enterprise_id": 1, "submitted_at": T0, "ip_hash": "n2", "device_hash": "d2",
         "duration_s": 20.0, **varied},  # too fast
        {"enterprise_id": 1, "submitted_at": T0, "ip_hash": "n3", "device_hash": "d3", **flat},
        {"enterprise_id": 2, "submitted_at": T0, "ip_hash": "n4", "device_hash": "d4",
         "client_hash": "c1", **varied},
        {"enterprise_id": 3, "submitted_at": T0, "ip_hash": "n5", "device_hash": "d5",
         "client_hash": "c1", **varied},  # the same phone rates a competitor
        {"enterprise_id": 4, "submitted_at": T0, "ip_hash": "n6", "device_hash": "d6",
         "local_minute": 3 * 60, "opens_minute": 540, "closes_minute": 1260, **varied},
    ]
    got = flag_responses(_frame(rows), items, RULES).tolist()
    assert got == [[], ["duplicate"], ["speeder"], ["straight_line"], ["cross_rating"],
                   ["cross_rating"], ["off_hours"]]


def test_flag_responses_marks_every_member_of_a_burst():
    items = ["q0"]
    rows = [{"enterprise_id": 1, "submitted_at": T0 + pd.Timedelta(minutes=m), "ip_hash": "n",
             "device_hash": f"d{m}", "q0": 7.0} for m in range(6)]
    rows.append({"enterprise_id": 1, "submitted_at": T0 + pd.Timedelta(hours=3),
                 "ip_hash": "n", "device_hash": "dx", "q0": 7.0})
    got = flag_responses(_frame(rows), items, RULES).tolist()
    assert got == [["burst"]] * 6 + [[]]


def test_rules_from_settings_refuse_unknown_names():
    assert QualityRules.from_dict({"burst_count": 8}).burst_count == 8
    with pytest.raises(ValueError, match="unknown"):
        QualityRules.from_dict({"burst": 8})


def _honest_enthusiasts_bias(rule) -> tuple[float, float]:
    """Mean and top-quartile change of enterprise indices when responses are dropped by
    `rule(flags)`, on honest respondents of the known-truth model (analysis.simulate) with
    an independent 3 % of speeders as the only other signal."""
    from analysis.simulate import Items, simulate_responses

    items = Items(image=("i1", "i2"), expectation=("e1", "e2"),
                  quality=tuple(f"q{k}" for k in range(1, 7)), value=("v1", "v2"),
                  satisfaction=("s1", "s2", "s3"), loyalty=("l1", "l2"))
    rating = [c for group in (items.image, items.expectation, items.quality, items.value,
                              items.satisfaction, items.loyalty) for c in group]
    rng = np.random.default_rng(7)
    means = np.linspace(70, 95, 40)
    ent = np.repeat(np.arange(40), 400)
    frame = simulate_responses(items, means[ent], rng)
    flags = [(["straight_line"] if straight_lined(row, RULES) else [])
             + (["speeder"] if rng.random() < 0.03 else [])
             for row in frame[rating].to_numpy().tolist()]
    score = (frame[list(items.satisfaction)].mean(axis=1) - 1) / 9 * 100
    keep = np.array([not rule(f) for f in flags])
    whole = score.groupby(ent).mean()
    kept = score[keep].groupby(ent[keep]).mean()
    change = kept - whole
    return float(change.mean()), float(change[means >= np.quantile(means, 0.75)].mean())


def test_straight_lining_alone_no_longer_penalises_the_best_liked_enterprises():
    from analysis.quality import quarantines

    old_mean, old_top = _honest_enthusiasts_bias(bool)
    new_mean, new_top = _honest_enthusiasts_bias(quarantines)
    assert old_top < -0.05  # the old rule: honest all-10s dropped, the best-liked lose most
    assert abs(new_mean) < 0.02 and abs(new_top) < 0.02


@pytest.mark.parametrize(("flags", "quarantined"), [
    ([], False), (["straight_line"], False), (["speeder"], True),
    (["straight_line", "speeder"], True), (["straight_line", "surge"], True),
])
def test_straight_lining_quarantines_only_beside_a_second_signal(flags, quarantined):
    from analysis.quality import quarantines

    assert quarantines(flags) is quarantined
