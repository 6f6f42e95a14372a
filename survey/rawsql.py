"""Compiled SQL for the two statements on the survey's hot path, run through the DBAPI.

SQLAlchemy Core costs about 0.1 ms per execution on top of the database's own work; the
survey GET (one lookup) and POST (21 answer rows) run often enough for that to matter.
The SQL is still written by SQLAlchemy for the engine's dialect, once.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.sql import ClauseElement

_CACHE: dict[tuple[str, int], tuple[str, tuple[str, ...] | None]] = {}


def compiled(engine: Engine, statement: ClauseElement) -> tuple[str, tuple[str, ...] | None]:
    """The statement's SQL for the engine's dialect and, for positional paramstyles, the
    parameter names in order (None: pass a dict)."""
    key = (engine.dialect.name, id(statement))
    if key not in _CACHE:
        result = statement.compile(dialect=engine.dialect)
        order = tuple(result.positiontup) if result.positiontup else None
        _CACHE[key] = (str(result), order)
    return _CACHE[key]


def parameters(order: tuple[str, ...] | None, values: dict):
    """DBAPI parameters for one row: a tuple in `order`, or the dict itself."""
    return values if order is None else tuple(values[name] for name in order)
