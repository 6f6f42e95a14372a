"""The demo district's receipt codes and field sample for its open wave.

A few enterprises get a batch of receipt codes of which some verified QR responses were
typed in (one of them hands codes to few customers: a low use rate); the open wave gets a
drawn field plan with a demo interviewer, and each slot its interviews, answered like the
enterprise's own customers (resampled from its demo responses).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from survey.model import Answer, Enterprise, ReceiptUse, Response, User, Wave
from survey.ops import field, receipt_codes, receipts
from survey.ops.accounts import hash_password

RECEIPT_ENTERPRISES = 6  # enterprises of the open wave that get codes
CODES_PER_BATCH = 120
USE_RATES = (0.12, 0.10, 0.15, 0.03, 0.11, 0.14)  # the fourth hands out few codes
INTERVIEWER_EMAIL = "interviewer@demo.invalid"


def add(session: Session, wave: Wave, rng: np.random.Generator, key: bytes) -> dict[str, int]:
    """Receipt batches with used codes and a field plan with interviews for ``wave``.

    Demo interviews are entered unflagged (an interviewer's intercept is not checked by
    the respondent-side quality rules at entry).
    """
    used = _receipts(session, wave, rng, key)
    session.add(User(email=INTERVIEWER_EMAIL, name="演示访问员", role="interviewer",
                     password_hash=hash_password(rng.bytes(16).hex())))
    session.flush()
    plan = field.draw(session, wave, n=2, seed=int(rng.integers(1 << 30)), slots=3,
                      intercepts=6)
    interviews = sum(_interviews(session, wave, a, rng) for a in plan)
    return {"receipt codes used": used, "field slots": len(plan), "field interviews": interviews}


def _receipts(session, wave, rng, key) -> int:
    # One sector's enterprises, so that each has enough peers for the solicitation screen.
    ents = session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
    sector = ents[int(rng.integers(len(ents)))].sector_id
    same = [e for e in ents if e.sector_id == sector]
    picked = [same[i] for i in sorted(rng.choice(len(same), min(RECEIPT_ENTERPRISES, len(same)),
                                                 replace=False))]
    total = 0
    for ent, rate in zip(picked, USE_RATES, strict=False):
        issued = receipts.issue(session, key, ent, wave, CODES_PER_BATCH)
        batch, codes = issued.batches[0]
        ids = session.scalars(select(Response.id).where(
            Response.wave_id == wave.id, Response.enterprise_id == ent.id,
            Response.source == "qr").order_by(Response.id)).all()
        k = min(len(ids), int(rng.binomial(CODES_PER_BATCH, rate)))
        for serial, rid in enumerate(rng.choice(ids, k, replace=False) if k else []):
            session.add(ReceiptUse(code_hash=receipt_codes.code_hash(key, codes[serial]),
                                   batch_id=batch.id, serial=serial, response_id=int(rid)))
            session.get(Response, int(rid)).verified = True
        total += k
    session.flush()
    return total


def _interviews(session, wave, assignment, rng) -> int:
    """``target`` field interviews of a slot, each copying a demo customer's answers."""
    pool = session.scalars(select(Response).where(
        Response.wave_id == wave.id, Response.enterprise_id == assignment.enterprise_id,
        Response.source == "qr")).all()
    if not pool:
        return 0
    link = field.field_link(session, assignment)
    for j in range(assignment.target):
        src = pool[int(rng.integers(len(pool)))]
        rid = session.scalar(insert(Response).returning(Response.id), [dict(
            link_id=link.id, enterprise_id=src.enterprise_id, wave_id=wave.id,
            instrument_code=src.instrument_code, instrument_version=src.instrument_version,
            locale="zh_CN", started_at=src.started_at, submitted_at=src.submitted_at,
            comment="", wants_complaint=False,
            idempotency_key=f"demo-field-{assignment.id}-{j}", quarantined=False, flags=[],
            source="field", interviewer_id=assignment.interviewer_id,
            field_assignment_id=assignment.id, age_band=src.age_band, sex=src.sex,
            residence=src.residence, frequency=src.frequency)])
        session.execute(insert(Answer), [{"response_id": rid, "item_code": a.item_code,
                                          "value": a.value} for a in src.answers])
    return assignment.target
