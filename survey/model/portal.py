"""Tables of the enterprise portal: invitations, complaint replies and appeals (no queries)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

if TYPE_CHECKING:
    from survey.model.accounts import User
    from survey.model.programme import Enterprise, Organisation
    from survey.model.responses import Response

__all__ = ["APPEAL_STATUSES", "Appeal", "ComplaintReply", "Invitation"]

APPEAL_STATUSES = ("pending", "upheld", "rejected")


class Invitation(Base):
    """A one-time activation link for a portal user of one unit or of one organisation.

    Only a hash of its token is kept.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    # A developer's or manufacturer's invitation: its user sees every unit of the organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    enterprise: Mapped[Enterprise | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (CheckConstraint("(enterprise_id IS NULL) <> (organisation_id IS NULL)",
                                      name="one_scope"),)


class ComplaintReply(Base):
    """An enterprise's reply to a complaint-flagged response; may mark the complaint handled."""

    __tablename__ = "complaint_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    marks_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    response: Mapped[Response] = relationship()
    author: Mapped[User | None] = relationship()


class Appeal(Base):
    """An enterprise's appeal (申诉) against a response it considers malicious, and its decision.

    `index_with` and `index_without` record the enterprise's satisfaction index with and
    without the response, computed when the bureau decides.
    """

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    index_with: Mapped[float | None] = mapped_column(Float)
    index_without: Mapped[float | None] = mapped_column(Float)
    effect: Mapped[dict | None] = mapped_column(JSON)

    response: Mapped[Response] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    decider: Mapped[User | None] = relationship(foreign_keys=[decided_by])

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'upheld', 'rejected')", name="status_known"),
    )
