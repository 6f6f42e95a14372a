"""The in-memory counters count as the limits library's fixed windows do."""

from __future__ import annotations

import pytest
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from survey.web import ratelimits
from survey.web.ratelimits import MemoryCounters


@pytest.mark.parametrize("text", ["3 per minute", "2 per second; 4 per hour"])
def test_memory_counters_agree_with_limits(text, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ratelimits.time, "time", lambda: now[0])
    ours = MemoryCounters()
    reference = FixedWindowRateLimiter(MemoryStorage())
    items = parse_many(text)
    for step in (0, 0.2, 0.3, 0.5, 1.1, 1.2, 30, 59, 61, 62, 3700, 3700.5):
        now[0] = 1000.0 + step
        for key in ("a", "b", "a"):
            expected = all([reference.hit(item, "S", key) for item in items])
            assert ours.hit("S", key, ratelimits.windows(text)) == expected, (step, key)


def test_reset_forgets_the_memory_counters(app):
    limits = app.extensions["manyi_limiter"]
    assert limits.counters is not None
    for _ in range(3):
        limits.counters.hit("S", "k", ((2, 60),))
    assert not limits.counters.hit("S", "k", ((2, 60),))
    limits.reset()
    assert limits.counters.hit("S", "k", ((2, 60),))
