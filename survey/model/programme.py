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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

__all__ = ["Category", "CollectionLink", "Enterprise", "FAMILIES", "Organisation", "Sector",
           "TARGET_KINDS", "UNIT_KINDS", "WAVE_STATUSES", "Wave", "wave_accepts"]

WAVE_STATUSES = ("draft", "open", "closed", "published")
# Index families (instruments.FAMILIES maps each to its category codes).
FAMILIES = ("service", "product", "construction")
# threshold: index >= target; share: % satisfied (>= 8 of 10) >= target; improvement:
# a significant rise over the baseline wave of at least `target` index points.
TARGET_KINDS = ("threshold", "improvement", "share")
# What a rated unit is: a service enterprise, a product line, a housing project, a public work.
UNIT_KINDS = ("enterprise", "product_line", "housing_project", "public_work")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a check that ``column`` takes one of ``values``."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"



class Category(Base):
    """A category of an index family with its target, e.g. producer services ≥ 85."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    target: Mapped[float] = mapped_column(Float)
    target_source: Mapped[str] = mapped_column(String(300), default="")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    weight_source: Mapped[str] = mapped_column(String(300), default="")
    family: Mapped[str] = mapped_column(String(16), default="service", server_default="service")
    target_kind: Mapped[str] = mapped_column(String(16), default="threshold",
                                             server_default="threshold")
    # Improvement targets are judged against this wave's stored result.
    baseline_wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"))

    sectors: Mapped[list[Sector]] = relationship(back_populates="category")
    baseline_wave: Mapped[Wave | None] = relationship()

    __table_args__ = (
        CheckConstraint("target >= 0 AND target <= 100", name="target_range"),
        CheckConstraint(_one_of("family", FAMILIES), name="family_known"),
        CheckConstraint(_one_of("target_kind", TARGET_KINDS), name="target_kind_known"),
    )

    @property
    def index_target(self) -> float | None:
        """The index a unit's satisfaction is judged against (threshold targets), else None:
        a share or improvement target is not a line on the index scale."""
        return self.target if self.target_kind == "threshold" else None



class Organisation(Base):
    """A developer, builder or manufacturer that owns or builds rated units."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)



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
    """A rated unit: a service enterprise, a product line, a housing project or a public work.

    Only enterprises have a credit code of their own; a housing project names its developer
    (``owner``) and builder, a product line its manufacturer (``owner``) and brand.
    """

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise",
                                      server_default="enterprise")
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    street: Mapped[str] = mapped_column(String(100), default="")
    customer_volume: Mapped[float | None] = mapped_column(Float)
    revenue: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Local opening hours "HH:MM-HH:MM" when known; responses far outside them are flagged.
    opening_hours: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    builder_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    brand: Mapped[str | None] = mapped_column(String(100))
    product_category: Mapped[str | None] = mapped_column(String(32))
    dwellings: Mapped[int | None] = mapped_column(Integer)
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)

    sector: Mapped[Sector] = relationship(back_populates="enterprises")
    links: Mapped[list[CollectionLink]] = relationship(back_populates="enterprise")
    owner: Mapped[Organisation | None] = relationship(foreign_keys=[owner_id])
    builder: Mapped[Organisation | None] = relationship(foreign_keys=[builder_id])

    __table_args__ = (CheckConstraint(_one_of("kind", UNIT_KINDS), name="kind_known"),)



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
    # Shown on a screen at the counter whose QR code carries a stamp that changes every few
    # minutes (survey.ops.counter): an answer without a fresh stamp is copied-link evidence.
    counter_display: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    enterprise: Mapped[Enterprise] = relationship(back_populates="links")
    wave: Mapped[Wave] = relationship()

