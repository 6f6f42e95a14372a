"""Dashboard charts drawn on demand, kept in memory per process (LRU).

Only results stored before the compute job drew the dashboards (or whose inputs changed
since) need this; the drawing itself is `reports.dashboard_charts`.
"""

from __future__ import annotations

from collections import OrderedDict

_CACHE: OrderedDict[tuple, dict] = OrderedDict()
_CACHE_MAX = 64


def cached(key: tuple, draw) -> dict:
    """The charts stored under `key`, drawn with `draw()` on first use (LRU)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = draw()
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return value
