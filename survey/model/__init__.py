"""The domain's tables as SQLAlchemy 2.0 mapped classes (no queries here), split by concern.

Import them from here (``from survey.model import Response, Wave``); importing the package
registers every table on the one ``Base``.
"""

from survey.model.accounts import ROLES, AuditEntry, User
from survey.model.base import Base
from survey.model.portal import APPEAL_STATUSES, Appeal, ComplaintReply, Invitation
from survey.model.programme import (
    WAVE_STATUSES,
    Category,
    CollectionLink,
    Enterprise,
    Sector,
    Wave,
    wave_accepts,
)
from survey.model.responses import REVIEW_DECISIONS, Answer, QuarantineReview, Response
from survey.model.results import JOB_KINDS, JOB_STATUSES, Bulletin, ComputedResult, Job

__all__ = [
    "APPEAL_STATUSES", "JOB_KINDS", "JOB_STATUSES", "REVIEW_DECISIONS", "ROLES", "WAVE_STATUSES",
    "Answer", "Appeal", "AuditEntry", "Base", "Bulletin", "Category", "CollectionLink",
    "ComplaintReply", "ComputedResult", "Enterprise", "Invitation", "Job", "QuarantineReview",
    "Response", "Sector", "User", "Wave", "wave_accepts",
]
