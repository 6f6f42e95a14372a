"""Storing a validated response: one transaction, idempotent on the form's key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from survey.clock import utcnow
from survey.model import Answer, DwellingUse, ReceiptBatch, ReceiptUse, Response
from survey.ops import quarantine
from survey.rawsql import compiled, insert_returning_id, insert_row_id, parameters


class LinkLike(Protocol):
    """The identity of a collection link: what a response is filed under."""

    id: int
    enterprise_id: int
    wave_id: int


@dataclass(frozen=True)
class Submission:
    """Everything a respondent sent, already validated against the instrument."""

    key: str
    started_at: datetime | None
    instrument_code: str
    instrument_version: int
    answers: dict[str, int | None]
    profile: dict[str, str | None]
    comment: str
    wants_complaint: bool
    locale: str
    ip_hash: str | None
    device_hash: str | None
    client_hash: str | None = None
    flags: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    # A receipt code found valid and unused just before storing (it verifies the response).
    receipt: Receipt | None = None
    # The dwelling a housing project's dwelling code names (its receipt is then required).
    dwelling: str | None = None
    source: str = "qr"
    interviewer_id: int | None = None
    field_assignment_id: int | None = None
    # A counter-display link's stamp: whether it verified (None elsewhere), when it was issued.
    stamp_valid: bool | None = None
    stamp_issued_at: datetime | None = None


@dataclass(frozen=True)
class Receipt:
    """The accepted receipt code of a submission: its keyed hash, batch number and serial."""

    code_hash: str
    batch_number: int
    serial: int


STORED, ALREADY_STORED, REPEAT = "stored", "already_stored", "repeat"
# Stored, unverified: its receipt code was used by another response in the meantime.
RECEIPT_USED = "receipt_used"
# Not stored: the dwelling (or its code) answered in this wave in the meantime.
DWELLING_USED = "dwelling_used"


def store(engine: Engine, link: LinkLike, sub: Submission) -> str:
    """Insert the response and its answers, flagged and quarantined when `sub.flags` say so.

    Returns STORED; ALREADY_STORED when its form key was stored before (a double tap);
    REPEAT when this device (its cookie's hash) has already answered for this enterprise
    in this wave. All rows are written in one transaction: stored whole or not at all.
    With ``sub.receipt`` the response is verified and the code's use stored with it; when
    the unique code hash shows the code was used meanwhile, the response is stored
    unverified instead and RECEIPT_USED returned (nothing is lost, nothing verified twice).
    With ``sub.dwelling`` (a housing project) the dwelling's use is stored too, and when
    that dwelling or its code answered meanwhile nothing is stored: DWELLING_USED.
    """
    if sub.dwelling is not None and sub.receipt is None:
        raise ValueError("a dwelling response needs its dwelling code")
    values = dict(
        link_id=link.id,
        enterprise_id=link.enterprise_id,
        wave_id=link.wave_id,
        instrument_code=sub.instrument_code,
        instrument_version=sub.instrument_version,
        locale=sub.locale,
        started_at=sub.started_at,
        submitted_at=sub.submitted_at or utcnow(),
        comment=sub.comment,
        wants_complaint=sub.wants_complaint,
        idempotency_key=sub.key,
        ip_hash=sub.ip_hash,
        device_hash=sub.device_hash,
        client_hash=sub.client_hash,
        quarantined=quarantine.initial_state(sub.flags),
        flags=list(sub.flags),
        source=sub.source,
        verified=sub.receipt is not None,
        interviewer_id=sub.interviewer_id,
        field_assignment_id=sub.field_assignment_id,
        stamp_valid=sub.stamp_valid,
        stamp_issued_at=sub.stamp_issued_at,
        **sub.profile,
    )
    try:
        if sub.receipt is None and sub.dwelling is None:
            _insert_plain(engine, values, sub.answers)
            return STORED
        with engine.begin() as conn:
            response_id = insert_returning_id(conn, Response.__table__, values)
            if sub.receipt is not None:
                _use_receipt(conn, sub.receipt, response_id)
            if sub.dwelling is not None:
                conn.execute(insert(DwellingUse).values(
                    enterprise_id=link.enterprise_id, wave_id=link.wave_id, label=sub.dwelling,
                    response_id=response_id, used_at=utcnow()))
            sql, order = compiled(engine, _INSERT_ANSWER)
            rows = _answer_rows(order, response_id, sub.answers)
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
    except (IntegrityError, engine.dialect.dbapi.IntegrityError):
        if already_stored(engine, sub.key):
            return ALREADY_STORED
        if sub.client_hash and client_answered(engine, link, sub.client_hash):
            return REPEAT
        if sub.dwelling is not None and (dwelling_used(engine, link, sub.dwelling)
                                         or receipt_used(engine, sub.receipt.code_hash)):
            return DWELLING_USED
        if sub.receipt is not None and receipt_used(engine, sub.receipt.code_hash):
            store(engine, link, replace(sub, receipt=None))
            return RECEIPT_USED
        raise
    return STORED


def _insert_plain(engine: Engine, values: dict, answers: dict) -> None:
    """Insert a response without receipt or dwelling and its answers in one transaction.

    The statements a Core transaction would run, on a pooled DBAPI connection without
    Core's per-transaction bookkeeping (about a twentieth of a survey POST). On SQLite the
    write lock is taken at BEGIN, as the writer engine's begin hook does.
    """
    sql, order = compiled(engine, _INSERT_ANSWER)
    pooled = engine.raw_connection()
    try:
        dbapi_connection = pooled.driver_connection
        cursor = dbapi_connection.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            response_id = insert_row_id(engine.dialect, dbapi_connection, Response.__table__,
                                        values)
            cursor.executemany(sql, _answer_rows(order, response_id, answers))
            dbapi_connection.commit()
        except BaseException:
            dbapi_connection.rollback()
            raise
        finally:
            cursor.close()
    finally:
        pooled.close()


def _use_receipt(conn, receipt: Receipt, response_id: int) -> None:
    batch_id = conn.execute(select(ReceiptBatch.id).where(
        ReceiptBatch.number == receipt.batch_number)).scalar_one()
    conn.execute(insert(ReceiptUse).values(code_hash=receipt.code_hash, batch_id=batch_id,
                                           serial=receipt.serial, response_id=response_id,
                                           used_at=utcnow()))


def receipt_used(engine: Engine, code_hash: str) -> bool:
    """True when a response was already verified by the code with this hash."""
    with engine.connect() as conn:
        found = conn.execute(select(ReceiptUse.id).where(ReceiptUse.code_hash == code_hash))
        return found.first() is not None


def dwelling_used(engine: Engine, link: LinkLike, label: str) -> bool:
    """True when this dwelling of the link's project already answered in its wave."""
    with engine.connect() as conn:
        found = conn.execute(select(DwellingUse.id).where(
            DwellingUse.enterprise_id == link.enterprise_id, DwellingUse.wave_id == link.wave_id,
            DwellingUse.label == label)).first()
    return found is not None


_INSERT_ANSWER = insert(Answer)


def _answer_rows(order: tuple[str, ...] | None, response_id: int, answers: dict) -> list:
    """The DBAPI parameters of the answer rows (tuples in `order`, or dicts)."""
    if order == ("response_id", "item_code", "value"):
        return [(response_id, code, value) for code, value in answers.items()]
    return [parameters(order, {"response_id": response_id, "item_code": c, "value": v})
            for c, v in answers.items()]


def client_answered(engine: Engine, link: LinkLike, client_hash: str) -> bool:
    """True when this device already answered for the link's enterprise in its wave."""
    with engine.connect() as conn:
        found = conn.execute(select(Response.id).where(
            Response.wave_id == link.wave_id, Response.enterprise_id == link.enterprise_id,
            Response.client_hash == client_hash)).first()
    return found is not None


def already_stored(engine: Engine, key: str) -> bool:
    """True when a response with this idempotency key exists."""
    with engine.connect() as conn:
        found = conn.execute(select(Response.id).where(Response.idempotency_key == key)).first()
    return found is not None
