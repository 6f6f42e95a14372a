"""Receipt-code batches in the database: issuing, checking a typed code, rates per batch.

The codes are computed by :mod:`survey.ops.receipt_codes` from the key, the enterprise,
the wave and the (batch number, serial); only batches and accepted codes are stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, Integer, func, select
from sqlalchemy.orm import Session

from survey.model import Enterprise, ReceiptBatch, ReceiptUse, Response, Wave
from survey.ops import receipt_codes
from survey.ops.receipt_codes import LAYOUT, Verdict

MAX_COUNT = 20000  # codes in one request (about 10 batches)


@dataclass(frozen=True)
class Issued:
    """Codes just issued for one enterprise and wave, batch by batch."""

    enterprise: Enterprise
    wave: Wave
    batches: list[tuple[ReceiptBatch, list[str]]]

    def codes(self) -> list[tuple[int, int, str]]:
        """(batch number, serial, printable code) of every code, in order."""
        return [(b.number, b.first_serial + i, receipt_codes.format_code(c))
                for b, codes in self.batches for i, c in enumerate(codes)]

    def dwellings(self) -> list[str | None]:
        """The dwelling label of every code, in the order of :meth:`codes` (None if none)."""
        return [(b.dwelling_labels or [None] * len(codes))[i]
                for b, codes in self.batches for i in range(len(codes))]


def issue(session: Session, key: bytes, enterprise: Enterprise, wave: Wave, count: int,
          user=None, labels: list[str] | None = None) -> Issued:
    """New batches holding ``count`` codes (2048 per batch) for an enterprise and wave.

    With ``labels`` (a housing project's dwellings) there is one code per label and each
    batch keeps the labels of its serials; a housing project gets dwelling codes only.
    Batch numbers are bureau-wide (the next free ones); the caller commits. Raises
    ValueError for a count outside 1..MAX_COUNT or when the batch numbers run out.
    """
    housing = enterprise.kind == "housing_project"
    if housing != (labels is not None):
        raise ValueError("a housing project gets dwelling codes (one per dwelling label), "
                         "other units plain receipt codes")
    if labels is not None:
        count = len(labels)
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT}")
    start = session.scalar(select(func.max(ReceiptBatch.number)))
    number = 0 if start is None else start + 1
    out, done = [], 0
    while count > 0:
        if number > LAYOUT.max_batch:
            raise ValueError("all receipt batch numbers are in use")
        size = min(count, LAYOUT.per_batch)
        batch = ReceiptBatch(number=number, enterprise_id=enterprise.id, wave_id=wave.id,
                             issued=size, first_serial=0, created_by=getattr(user, "id", None),
                             dwelling_labels=None if labels is None
                             else list(labels[done:done + size]))
        session.add(batch)
        out.append((batch, receipt_codes.issue_codes(key, enterprise.id, wave.id, number, size)))
        number, count, done = number + 1, count - size, done + size
    session.flush()
    return Issued(enterprise, wave, out)


def codes_csv(issued: Issued) -> str:
    """The codes as CSV (enterprise, USCC, wave, batch, serial, code, and the dwelling of
    each dwelling code) for a till, an SMS system or the letters to a project's dwellings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dwellings = issued.dwellings()
    with_dwelling = any(d is not None for d in dwellings)
    writer.writerow(["enterprise", "uscc", "wave", "batch", "serial", "code"]
                    + (["dwelling"] if with_dwelling else []))
    for (number, serial, code), dwelling in zip(issued.codes(), dwellings, strict=True):
        writer.writerow([issued.enterprise.name, issued.enterprise.uscc or "", issued.wave.code,
                         number, serial, code] + ([dwelling] if with_dwelling else []))
    return out.getvalue()


def check(engine: Engine, key: bytes, code: str, enterprise_id: int, wave_id: int) -> Verdict:
    """Verdict on a typed code for this enterprise and wave (valid, used, foreign, forged,
    malformed): the batch named inside the code is looked up, then whether it was used."""
    parts = receipt_codes.parse(code)
    if parts is None:
        return Verdict("malformed")
    serial = parts[1]
    with engine.connect() as conn:
        def owner(number: int):
            row = conn.execute(_BATCH.where(ReceiptBatch.number == number)).first()
            if row is None or not row.first_serial <= serial < row.first_serial + row.issued:
                return None
            return row.enterprise_id, row.wave_id

        def is_used(code_hash: str) -> bool:
            found = conn.execute(select(ReceiptUse.id).where(ReceiptUse.code_hash == code_hash))
            return found.first() is not None

        return receipt_codes.verify(key, code, enterprise_id, wave_id, owner=owner,
                                    is_used=is_used)


_BATCH = select(ReceiptBatch.id, ReceiptBatch.enterprise_id, ReceiptBatch.wave_id,
                ReceiptBatch.issued, ReceiptBatch.first_serial)


def batch_id_of(conn: Connection, number: int) -> int:
    """The row id of the batch with this bureau-wide number."""
    return conn.execute(select(ReceiptBatch.id).where(ReceiptBatch.number == number)).scalar_one()


def rates_frame(session: Session, wave: Wave) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(batches, used) of a wave as :func:`analysis.integration.receipt_rates` reads them."""
    batches = pd.DataFrame(session.execute(
        select(ReceiptBatch.id.label("batch_id"), ReceiptBatch.number, ReceiptBatch.enterprise_id,
               ReceiptBatch.wave_id, ReceiptBatch.issued)
        .where(ReceiptBatch.wave_id == wave.id).order_by(ReceiptBatch.number)).all(),
        columns=["batch_id", "number", "enterprise_id", "wave_id", "issued"])
    used = pd.DataFrame(session.execute(
        select(ReceiptUse.batch_id, ReceiptUse.response_id)
        .join(ReceiptBatch, ReceiptUse.batch_id == ReceiptBatch.id)
        .where(ReceiptBatch.wave_id == wave.id)).all(), columns=["batch_id", "response_id"])
    return batches, used


def verified_share(session: Session, wave: Wave, enterprise_id: int) -> dict:
    """An enterprise's QR responses in a wave, how many are verified, and its code use."""
    n, verified = session.execute(
        select(func.count(), func.coalesce(func.sum(func.cast(Response.verified, Integer)), 0))
        .where(Response.wave_id == wave.id, Response.enterprise_id == enterprise_id,
               Response.source == "qr")).one()
    issued = session.scalar(select(func.coalesce(func.sum(ReceiptBatch.issued), 0)).where(
        ReceiptBatch.wave_id == wave.id, ReceiptBatch.enterprise_id == enterprise_id))
    used = session.scalar(select(func.count()).select_from(ReceiptUse)
                          .join(ReceiptBatch, ReceiptUse.batch_id == ReceiptBatch.id)
                          .where(ReceiptBatch.wave_id == wave.id,
                                 ReceiptBatch.enterprise_id == enterprise_id))
    return {"responses": int(n), "verified": int(verified),
            "share": verified / n if n else None, "issued": int(issued), "used": int(used),
            "rate": used / issued if issued else None}

