"""The domain as SQLAlchemy 2.0 mapped classes (no queries here)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

WAVE_STATUSES = ("draft", "open", "closed", "published")


def utcnow() -> dt.datetime:
    """Current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table, with named constraints for migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Category(Base):
    """A service category with its satisfaction target, e.g. producer services ≥ 85."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    target: Mapped[float] = mapped_column(Float)
    target_source: Mapped[str] = mapped_column(String(300), default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    weight_source: Mapped[str] = mapped_column(String(300), default="")

    sectors: Mapped[list[Sector]] = relationship(back_populates="category")

    __table_args__ = (CheckConstraint("target >= 0 AND target <= 100", name="target_range"),)


class Sector(Base):
    """A service sector inside a category, with its aggregation weight and instrument."""

    __tablename__ = "sector"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    weight_source: Mapped[str] = mapped_column(String(300), default="")
    instrument_code: Mapped[str] = mapped_column(String(64))

    category: Mapped[Category] = relationship(back_populates="sectors")
    enterprises: Mapped[list[Enterprise]] = relationship(back_populates="sector")

    __table_args__ = (CheckConstraint("weight >= 0", name="weight_nonnegative"),)


class Enterprise(Base):
    """A service enterprise rated by its customers."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    street: Mapped[str] = mapped_column(String(100), default="")
    customer_volume: Mapped[float | None] = mapped_column(Float)
    revenue: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Local opening hours "HH:MM-HH:MM" when known; responses far outside them are flagged.
    opening_hours: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sector: Mapped[Sector] = relationship(back_populates="enterprises")
    links: Mapped[list[CollectionLink]] = relationship(back_populates="enterprise")


class Wave(Base):
    """A survey wave such as 2026Q4."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Instrument versions pinned for this wave: {instrument code: version}.
    instrument_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    # Method settings for analysis.Settings.from_dict; empty = the defaults.
    analysis_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Population margins for raking: {sector: {column: {level: total or share}}}.
    margins: Mapped[dict] = mapped_column(JSON, default=dict)
    # Sample targets: {"sectors": {code: n}, "enterprise_default": n, "enterprises": {id: n}}.
    quotas: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'open', 'closed', 'published')", name="status_known"
        ),
        CheckConstraint("opens_on <= closes_on", name="dates_ordered"),
    )


def wave_accepts(status: str, opens_on: dt.date, closes_on: dt.date, today: dt.date) -> bool:
    """A wave takes responses while its status is open and `today` lies within its dates."""
    return status == "open" and opens_on <= today <= closes_on


class CollectionLink(Base):
    """What a QR code points at: an enterprise (and location) in a wave."""

    __tablename__ = "collection_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    location: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    enterprise: Mapped[Enterprise] = relationship(back_populates="links")
    wave: Mapped[Wave] = relationship()


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
    flags: Mapped[list] = mapped_column(JSON, default=list)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("wave_id", "enterprise_id", "client_hash", name="uq_response_client"),
        # Answers from one network to one enterprise, recent first: the burst and duplicate
        # checks at submission (and any look-up by network: ip_hash leads).
        Index("ix_response_network", "ip_hash", "enterprise_id", "wave_id", "submitted_at"),
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


class ComputedResult(Base):
    """A stored wave computation: the result JSON with its provenance."""

    __tablename__ = "computed_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    input_sha256: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict] = mapped_column(JSON)
    result_json: Mapped[str] = mapped_column(Text)
    code_version: Mapped[str] = mapped_column(String(64), default="")
    # SVG charts drawn by the background job for the console: {"sectors": [...], ...}.
    charts: Mapped[dict | None] = mapped_column(JSON)
    # The same indices with quarantined responses included, for comparison (None: none
    # were quarantined): [{"level", "unit", "name", "without", "with", "n_without", ...}].
    with_quarantined: Mapped[list | None] = mapped_column(JSON)

    wave: Mapped[Wave] = relationship()


ROLES = ("admin", "analyst", "enterprise")


class User(Base):
    """A person who logs in: bureau admin or analyst, or an enterprise's user."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'analyst', 'enterprise')", name="role_known"),
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_users_only"
        ),
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


class Bulletin(Base):
    """A published revision of a wave's index bulletin: a frozen snapshot.

    Everything shown is rendered from the stored result JSON and metadata, so later edits to
    responses or settings never change a published bulletin; a correction is a new revision.
    """

    __tablename__ = "bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    issue_label: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    result_json: Mapped[str] = mapped_column(Text)
    previous_json: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict] = mapped_column(JSON)
    input_sha256: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64), default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    # Rendered once at publication (charts and PDF take seconds): served as stored.
    html: Mapped[str] = mapped_column(Text, default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)

    wave: Mapped[Wave] = relationship()

    __table_args__ = (UniqueConstraint("wave_id", "revision", name="one_per_revision"),)


JOB_KINDS = ("compute", "publish")
JOB_STATUSES = ("queued", "running", "done", "failed")


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


class Job(Base):
    """Work started from the console that runs outside the web request, with its progress."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    wave: Mapped[Wave] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('compute', 'publish')", name="kind_known"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )


# The portal's tables live in their own module; importing it registers them on Base.
import survey.portal_models  # noqa: E402, F401
