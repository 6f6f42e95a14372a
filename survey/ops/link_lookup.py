"""What a survey link points at, read in one query on the survey's hottest path."""

from __future__ import annotations

import json
import queue
import weakref
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, bindparam, select

import instruments
from survey.model import CollectionLink, Enterprise, Sector, Wave, wave_accepts
from survey.rawsql import compiled, parameters


@dataclass(frozen=True)
class Target:
    """An active link with its enterprise, location, wave and instrument."""

    id: int
    token: str
    location: str
    enterprise_id: int
    enterprise_name: str
    wave_id: int
    wave_code: str
    wave_status: str
    opens_on: date
    closes_on: date
    instrument_code: str
    pinned_versions: dict
    opening_hours: str | None = None
    unit_kind: str = "enterprise"

    @property
    def needs_dwelling(self) -> bool:
        """True for a housing project: one response per dwelling, by its dwelling code."""
        return self.unit_kind == "housing_project"

    def accepts_responses(self, today: date) -> bool:
        """True while the wave is open and `today` lies within its dates."""
        return wave_accepts(self.wave_status, self.opens_on, self.closes_on, today)

    def instrument(self) -> instruments.Instrument:
        """The instrument version pinned for the wave, else the latest."""
        version = (self.pinned_versions or {}).get(self.instrument_code)
        return instruments.get(self.instrument_code, version)


TARGET_QUERY = (
    select(
        CollectionLink.id, CollectionLink.token, CollectionLink.location,
        CollectionLink.enterprise_id, Enterprise.name, CollectionLink.wave_id, Wave.code,
        Wave.status, Wave.opens_on, Wave.closes_on, Sector.instrument_code,
        Wave.instrument_versions, Enterprise.opening_hours, Enterprise.kind,
    )
    .join(Enterprise, CollectionLink.enterprise_id == Enterprise.id)
    .join(Sector, Enterprise.sector_id == Sector.id)
    .join(Wave, CollectionLink.wave_id == Wave.id)
    .where(
        CollectionLink.token == bindparam("token"),
        CollectionLink.active.is_(True),
        Enterprise.active.is_(True),
    )
)


def fetch_target(engine: Engine, token: str) -> Target | None:
    """The active link with this token, or None.

    Runs the compiled query on a reading connection kept for this purpose: the same SQL
    SQLAlchemy would send, without its per-execution and pool overhead (together about a
    sixth of a survey GET).
    """
    row = read_row(engine, TARGET_QUERY, {"token": token})
    return None if row is None else _target(row)


def read_row(engine: Engine, statement, values: dict):
    """The first row of a compiled read-only `statement`, on a kept reading connection."""
    sql, order = compiled(engine, statement)
    params = parameters(order, values)
    readers = _READERS.get(engine)
    if readers is None:
        readers = _READERS.setdefault(engine, queue.SimpleQueue())
    try:
        connection = readers.get_nowait()
    except queue.Empty:
        connection = _new_reader(engine)
    try:
        row = _read_one(connection, sql, params)
    except engine.dialect.dbapi.Error:
        connection.close()  # broken (e.g. the server restarted): retry once on a new one
        connection = _new_reader(engine)
        row = _read_one(connection, sql, params)
    readers.put(connection)
    return row


# Per engine, idle DBAPI connections used only for this lookup, in autocommit mode: each
# lookup sees every committed change (a retired link is refused at once) and no
# transaction stays open between requests. There are never more than concurrent requests.
_READERS: weakref.WeakKeyDictionary[Engine, queue.SimpleQueue] = weakref.WeakKeyDictionary()


def close_readers(engine: Engine) -> None:
    """Close the engine's kept reading connections (before disposing of the engine)."""
    readers = _READERS.pop(engine, None)
    while readers is not None and not readers.empty():
        readers.get_nowait().close()


def _new_reader(engine: Engine):
    # Detached from the pool: created with the engine's connect events (SQLite pragmas),
    # then owned here rather than counted against the pool's size.
    connection = engine.raw_connection()
    if engine.dialect.name == "postgresql":
        connection.driver_connection.autocommit = True
    connection.detach()
    return connection


def _read_one(connection, sql: str, params):
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
    finally:
        cursor.close()


def _target(row) -> Target:
    values = list(row)
    # SQLite hands back dates and JSON as text; PostgreSQL as Python objects.
    for i in (8, 9):
        if isinstance(values[i], str):
            values[i] = date.fromisoformat(values[i])
    if isinstance(values[11], str):
        values[11] = json.loads(values[11])
    return Target(*values)
