"""Compiled SQL for the statements on the survey's hot path, run through the DBAPI.

SQLAlchemy Core costs about 0.1 ms per execution on top of the database's own work; the
survey GET (one lookup) and POST (a response and its ~21 answers) run often enough for
that to matter. The SQL and the value conversions are still SQLAlchemy's own for the
engine's dialect, computed once.
"""

from __future__ import annotations

from sqlalchemy import Connection, Dialect, Engine, Table, insert
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


_INSERTS: dict[tuple, tuple[str, tuple[str, ...] | None, dict]] = {}


def insert_returning_id(conn: Connection, table: Table, values: dict) -> int:
    """Insert one row through the DBAPI cursor of `conn` and return its new id.

    Values are converted by the columns' own SQLAlchemy bind processors (dates and JSON on
    SQLite, for instance), so the row reads back exactly as if Core had written it. Errors
    are the driver's own (e.g. its IntegrityError), raised inside the caller's transaction.
    """
    return insert_row_id(conn.dialect, conn.connection.driver_connection, table, values)


def insert_row_id(dialect: Dialect, dbapi_connection, table: Table, values: dict) -> int:
    """:func:`insert_returning_id` on a DBAPI connection of `dialect`."""
    key = (dialect.name, table.name, tuple(values))
    if key not in _INSERTS:
        statement = insert(table).returning(table.c.id)
        result = statement.compile(dialect=dialect, column_keys=list(values))
        processors = {}
        for column in table.columns:
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            if column.key in values and process is not None:
                processors[column.key] = process
        order = tuple(result.positiontup) if result.positiontup else None
        _INSERTS[key] = (str(result), order, processors)
    sql, order, processors = _INSERTS[key]
    row = {k: (processors[k](v) if k in processors else v) for k, v in values.items()}
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, parameters(order, row))
        return cursor.fetchone()[0]
    finally:
        cursor.close()
