"""Analysts' decisions on enterprises whose index jumped between waves with no independent
evidence (field interviews, receipt-verified responses) of the jump."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.clock import utcnow
from survey.model.base import Base

__all__ = ["INDEX_REVIEW_DECISIONS", "IndexReview"]

INDEX_REVIEW_DECISIONS = ("accept", "keep")


class IndexReview(Base):
    """An analyst's decision on an enterprise under review in a wave: accept its index (it
    is ranked again) or keep it under review; the latest row counts."""

    __tablename__ = "index_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("decision IN ('accept', 'keep')", name="decision_known"),
    )
