"""The survey programme: categories, sectors, enterprises, waves and collection links."""

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
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

__all__ = ["Category", "CollectionLink", "Enterprise", "Sector", "WAVE_STATUSES", "Wave",
           "wave_accepts"]

WAVE_STATUSES = ("draft", "open", "closed", "published")



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
    # When the link was last reprinted (a new generation): answers far outside opening
    # hours just after a reprint are evidence of a copied link (analysis.link_evidence).
    reprinted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    enterprise: Mapped[Enterprise] = relationship(back_populates="links")
    wave: Mapped[Wave] = relationship()

