"""What a survey link points at, read in one query on the survey's hottest path.

The answer is kept for a few seconds per token (``max_age``, the ``LINK_CACHE_SECONDS``
setting): a commit in this process that touches a link, enterprise, sector or wave
forgets every kept answer at once; a change made by another process (a second worker, a
CLI command) is seen within ``max_age`` seconds.
"""

from __future__ import annotations

import json
import queue
import time
import weakref
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, bindparam, event, select
from sqlalchemy.orm import Session

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
    generation: int = 1
    counter_display: bool = False  # its QR code is shown on a screen with changing stamps

    @property
    def needs_dwelling(self) -> bool:
        """True for a housing project: one response per dwelling, by its dwelling code."""
        return self.unit_kind == "housing_project"

    def accepts_responses(self, today: date) -> bool:
        """True while the wave is open and `today` lies within its dates."""
        return wave_accepts(self.wave_status, self.opens_on, self.closes_on, today)

    def instrument(self) -> instruments.Instrument:
        """The instrument version pinned for the wave, else the latest (looked up once)."""
        found = self.__dict__.get("_instrument")
        if found is None:
            version = (self.pinned_versions or {}).get(self.instrument_code)
            found = self.__dict__["_instrument"] = instruments.get(self.instrument_code, version)
        return found


TARGET_QUERY = (
    select(
        CollectionLink.id, CollectionLink.token, CollectionLink.location,
        CollectionLink.enterprise_id, Enterprise.name, CollectionLink.wave_id, Wave.code,
        Wave.status, Wave.opens_on, Wave.closes_on, Sector.instrument_code,
        Wave.instrument_versions, Enterprise.opening_hours, Enterprise.kind,
        CollectionLink.generation, CollectionLink.counter_display,
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


def fetch_target(engine: Engine, token: str, max_age: float = 0.0) -> Target | None:
    """The active link with this token, or None; a found link is kept for `max_age` seconds.

    Runs the compiled query on a reading connection kept for this purpose: the same SQL
    SQLAlchemy would send, without its per-execution and pool overhead. Unknown tokens are
    never kept, so a new link works at once.
    """
    generation = _changes.generation  # read first: a commit during the query voids the entry
    now = time.monotonic()
    cache = _TARGETS.get(engine)
    if cache is None:
        cache = _TARGETS.setdefault(engine, {})
    kept = cache.get(token)
    if kept is not None and kept[0] > now and kept[1] == generation:
        return kept[2]
    row = read_row(engine, TARGET_QUERY, {"token": token})
    target = None if row is None else _target(row)
    if target is not None and max_age > 0:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[token] = (now + max_age, generation, target)
    return target


CACHE_SIZE = 4096
_TARGETS: weakref.WeakKeyDictionary[Engine, dict] = weakref.WeakKeyDictionary()
WATCHED = frozenset({CollectionLink, Enterprise, Sector, Wave})


class _Changes:
    """A counter of this process's committed changes to what a target is read from."""

    generation = 0


_changes = _Changes()


def forget_targets() -> None:
    """Forget every kept target (a link, enterprise, sector or wave changed)."""
    _changes.generation += 1


def watch_changes() -> None:
    """Forget the kept targets whenever an ORM session commits a change to a watched table."""
    if not event.contains(Session, "after_flush", _note_flush):
        event.listen(Session, "after_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_bulk)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def _note_flush(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(type(obj) in WATCHED for obj in changed):
        session.info["manyi_targets_changed"] = True


def _note_bulk(state) -> None:
    if (state.is_update or state.is_delete) and any(
            m.class_ in WATCHED for m in state.all_mappers):
        state.session.info["manyi_targets_changed"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("manyi_targets_changed", False):
        forget_targets()


def _after_rollback(session: Session) -> None:
    session.info.pop("manyi_targets_changed", None)


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
    values[15] = bool(values[15])  # SQLite hands back 0 or 1
    return Target(*values)
