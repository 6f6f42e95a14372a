"""Bureau and enterprise accounts and the audit log of their acts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

__all__ = ["AuditEntry", "LoginThrottle", "ROLES", "User"]

ROLES = ("admin", "analyst", "enterprise", "interviewer")



class User(Base):
    """A person who logs in: bureau admin, analyst or interviewer, or an enterprise's user."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    # A developer's or manufacturer's login: it sees every unit its organisation owns.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every login session: raising it (logout, deactivation) ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'analyst', 'enterprise', 'interviewer')", name="role_known"
        ),
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL OR organisation_id IS NOT NULL)",
            name="enterprise_users_only",
        ),
        CheckConstraint("enterprise_id IS NULL OR organisation_id IS NULL",
                        name="one_portal_scope"),
    )



class AuditEntry(Base):
    """One change made in the console: who, when, what, before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()



class LoginThrottle(Base):
    """Failed logins naming one account (keyed hash of the e-mail, known or not) from one
    network (keyed hash of the address), and until when that pair must wait."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_hash: Mapped[str] = mapped_column(String(32), index=True)
    network_hash: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    wait_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("account_hash", "network_hash"),)
