"""Stored results: computed waves, published bulletins and background jobs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.model.base import Base

if TYPE_CHECKING:
    from survey.model.programme import Wave


__all__ = ["Bulletin", "ComputedResult", "DashboardCharts", "JOB_KINDS", "JOB_STATUSES", "Job"]

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
    # Sectors whose QR-field gap flag an analyst confirmed for the bulletin (None: unreviewed).
    gap_review: Mapped[list | None] = mapped_column(JSON)
    # Integrity of the computation: {"surges": {"enterprises": [windows, timeline, svg...]},
    # "jumps": [index jumps between waves]} (survey.ops.under_review.integrity_charts).
    integrity: Mapped[dict | None] = mapped_column(JSON)

    wave: Mapped[Wave] = relationship()



class DashboardCharts(Base):
    """One enterprise's portal dashboard charts for a stored result, in one language, drawn
    by the compute job (survey.ops.dashboard) so the dashboard serves them as stored.

    ``fingerprint`` hashes what the charts read besides the result (earlier waves' stored
    results, the enterprise's item scores); the dashboard draws afresh when it differs.
    """

    __tablename__ = "dashboard_charts"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("computed_result.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # {"profile": svg, "items": svg, "quadrant": svg, "trend": svg}, each only when shown.
    charts: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("result_id", "enterprise_id", "locale",
                                       name="one_per_enterprise_locale"),)



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
    # The English edition, frozen together with the Chinese one (None before it existed).
    html_en: Mapped[str | None] = mapped_column(Text)
    pdf_en: Mapped[bytes | None] = mapped_column(LargeBinary)

    wave: Mapped[Wave] = relationship()

    __table_args__ = (UniqueConstraint("wave_id", "revision", name="one_per_revision"),)



JOB_KINDS = ("compute", "publish", "appeal_effect")



JOB_STATUSES = ("queued", "running", "done", "failed")



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
        CheckConstraint("kind IN ('compute', 'publish', 'appeal_effect')", name="kind_known"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )

