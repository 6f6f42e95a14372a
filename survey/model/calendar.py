"""The bureau's working-day calendar: days off and adjusted working days it has entered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.clock import utcnow
from survey.model.base import Base

__all__ = ["CalendarDay"]


class CalendarDay(Base):
    """One exception to "Monday to Friday are working days" in a year the bureau entered.

    A year with any row is the bureau's: its days follow these rows (a public holiday is
    ``working = False``, an adjusted working weekend 调休 ``working = True``) and the plain
    week otherwise, whatever the chinese-calendar package says.
    """

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(40), default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
