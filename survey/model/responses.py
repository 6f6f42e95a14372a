"""Submitted responses, their answers and the quarantine reviews of flagged ones."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

if TYPE_CHECKING:
    from survey.model.accounts import User


__all__ = ["Answer", "QuarantineReview", "REVIEW_DECISIONS", "Response"]

class Response(Base):
    """One submitted questionnaire; its answers live in `answer`."""

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("collection_link.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    instrument_code: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Optional respondent profile; "undisclosed" = prefer not to say, NULL = skipped.
    age_band: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(16))
    residence: Mapped[str | None] = mapped_column(String(16))
    frequency: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    wants_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    # Form-issued key: a double tap or a refresh cannot store a second response.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Keyed hashes (HMAC with the secret key), never raw addresses or device signals.
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    # Keyed hash of the respondent's first-party cookie: one response per device per
    # enterprise per wave (NULL, e.g. demo or imported rows, never collides).
    client_hash: Mapped[str | None] = mapped_column(String(64))
    quarantined: Mapped[bool] = mapped_column(Boolean, default=False)
    # 'qr' (a respondent's own phone) or 'field' (a bureau interviewer's intercept).
    source: Mapped[str] = mapped_column(String(8), default="qr", server_default="qr")
    # A valid, unused receipt code came with it (its use is in receipt_use).
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    field_assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("field_assignment.id"), index=True)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    # On a counter-display link: whether the stamp the answer came with verified (NULL on
    # other links) and when that stamp was issued (survey.ops.counter).
    stamp_valid: Mapped[bool | None] = mapped_column(Boolean)
    stamp_issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("wave_id", "enterprise_id", "client_hash", name="uq_response_client"),
        # Answers from one network to one enterprise, recent first: the burst and duplicate
        # checks at submission (and any look-up by network: ip_hash leads).
        Index("ix_response_network", "ip_hash", "enterprise_id", "wave_id", "submitted_at"),
        CheckConstraint("source IN ('qr', 'field')", name="source_known"),
        CheckConstraint("(source = 'field') = (field_assignment_id IS NOT NULL)",
                        name="field_has_slot"),
    )



class Answer(Base):
    """One item's answer; NULL value = not applicable / don't know (never 0)."""

    __tablename__ = "answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int | None] = mapped_column(SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")



REVIEW_DECISIONS = ("release", "confirm")



class QuarantineReview(Base):
    """An analyst's decision on a flagged response: release it into the indices or confirm."""

    __tablename__ = "quarantine_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    # The response's flags when it was reviewed.
    flags: Mapped[list] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("decision IN ('release', 'confirm')", name="decision_known"),
    )

