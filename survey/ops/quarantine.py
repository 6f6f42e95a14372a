"""The one writer of quarantine state: every change of ``Response.quarantined`` is made here.

A response is quarantined (kept, left out of the indices by default) while it carries a
reason code (a weak one, straight-lining, only beside a second reason), unless an analyst
released it and no reason has appeared since; an analyst's confirmation keeps it
quarantined whatever its flags. Reason codes and their names are the
one table ``analysis.quality.REASONS``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from analysis.quality import APPEAL_UPHELD, INTEGRITY, REASONS, quarantines
from survey.model import QuarantineReview, Response, User
from survey.ops import audit

DECISIONS = ("release", "confirm")


def initial_state(flags) -> bool:
    """Whether a new response with these reason codes starts quarantined
    (``analysis.quality.quarantines``: a weak code such as straight-lining needs a second)."""
    return quarantines(flags)


def state_after(flags: list[str], review: QuarantineReview | None) -> bool:
    """Whether a response with ``flags`` is quarantined, given the latest analyst review."""
    if review is None:
        return quarantines(flags)
    if review.decision == "confirm":
        return True
    return not set(flags) <= set(review.flags or [])


def set_flags(response: Response, flags: list[str],
              review: QuarantineReview | None = None) -> bool:
    """Give the response these reason codes and the quarantine state they imply."""
    response.flags = list(flags)
    response.quarantined = state_after(response.flags, review)
    return response.quarantined


def set_integrity_flags(response: Response, codes: list[str],
                        review: QuarantineReview | None = None) -> bool:
    """Replace the response's integrity codes (``analysis.quality.INTEGRITY``: surge, copied
    link) by ``codes``, keeping its other flags; the analyst's latest review still stands."""
    unknown = set(codes) - set(INTEGRITY)
    if unknown:
        raise ValueError(f"not integrity reasons: {sorted(unknown)}")
    kept = [f for f in (response.flags or []) if f not in INTEGRITY]
    return set_flags(response, kept + [c for c in INTEGRITY if c in codes], review)


def add_flag(response: Response, code: str) -> bool:
    """Add one reason code (if new) and quarantine the response; True if it was new."""
    if code not in REASONS:
        raise ValueError(f"unknown quarantine reason {code!r}")
    if code in (response.flags or []):
        return False
    response.flags = [*(response.flags or []), code]
    response.quarantined = response.quarantined or quarantines(response.flags)
    return True


def review(session: Session, response: Response, decision: str, reason: str,
           user) -> QuarantineReview:
    """An analyst releases a flagged response into the indices or confirms its quarantine;
    recorded as a review and in the audit log. The caller commits."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    before = {"quarantined": response.quarantined, "flags": list(response.flags or [])}
    response.quarantined = decision == "confirm"
    row = QuarantineReview(response_id=response.id, decision=decision, reason=reason,
                           flags=list(response.flags or []), user_id=user.id)
    session.add(row)
    audit.record(session, user, decision, "response", response.id, before,
                 {"quarantined": response.quarantined, "reason": reason})
    return row


def uphold_appeal(session: Session, response: Response, user: User | None) -> bool:
    """Quarantine a response whose enterprise's appeal was upheld (flag ``appeal_upheld``),
    audited; False when it was quarantined already. The caller commits."""
    if response.quarantined:
        return False
    before = {"quarantined": response.quarantined, "flags": list(response.flags or [])}
    add_flag(response, APPEAL_UPHELD)
    audit.record(session, user, "quarantine", "response", response.id, before,
                 {"quarantined": True, "flags": list(response.flags)})
    return True
