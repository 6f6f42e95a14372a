"""Verified and field responses: receipt-code batches, used codes and field assignments."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

if TYPE_CHECKING:
    from survey.model.programme import Enterprise


__all__ = ["DwellingUse", "FieldAssignment", "RESPONSE_SOURCES", "ReceiptBatch", "ReceiptUse"]

RESPONSE_SOURCES = ("qr", "field")


class ReceiptBatch(Base):
    """A batch of one-time receipt codes issued to an enterprise for a wave.

    ``number`` is the bureau-wide batch number printed inside every code (0..32767); the
    codes themselves are never stored (they are recomputed from the key). A batch of
    dwelling codes (a housing project) lists the dwelling of each serial in
    ``dwelling_labels`` (serial ``first_serial + i`` belongs to ``dwelling_labels[i]``).
    """

    __tablename__ = "receipt_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    issued: Mapped[int] = mapped_column(Integer)
    first_serial: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    dwelling_labels: Mapped[list | None] = mapped_column(JSON)

    enterprise: Mapped[Enterprise] = relationship()

    __table_args__ = (
        CheckConstraint("issued > 0", name="issued_positive"),
        CheckConstraint("number >= 0 AND number <= 32767", name="number_range"),
    )


class ReceiptUse(Base):
    """An accepted receipt code: its keyed hash is unique, so a code verifies one response."""

    __tablename__ = "receipt_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(32), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("receipt_batch.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DwellingUse(Base):
    """The dwelling a response speaks for: one response per dwelling of a project per wave.

    The unique constraint makes a second response for the same dwelling and wave
    impossible, even when two arrive at the same moment with two codes of that dwelling.
    """

    __tablename__ = "dwelling_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "wave_id", "label", name="uq_dwelling_use_dwelling"),
    )


class FieldAssignment(Base):
    """One drawn (enterprise, slot) of a wave's field plan, with its inclusion probabilities."""

    __tablename__ = "field_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    slot: Mapped[str] = mapped_column(String(16))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    hour: Mapped[int] = mapped_column(SmallInteger)
    open_slots: Mapped[int] = mapped_column(Integer)
    pi_enterprise: Mapped[float] = mapped_column(Float)
    pi_slot: Mapped[float] = mapped_column(Float)
    pi: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    certainty: Mapped[bool] = mapped_column(Boolean, default=False)
    target: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    enterprise: Mapped[Enterprise] = relationship()

    __table_args__ = (
        UniqueConstraint("wave_id", "enterprise_id", "slot", name="uq_field_assignment_slot"),
        CheckConstraint("weekday >= 0 AND weekday <= 6 AND hour >= 0 AND hour <= 23",
                        name="slot_range"),
        CheckConstraint("pi > 0 AND pi <= 1", name="pi_range"),
    )
