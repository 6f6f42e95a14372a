"""The domain's tables as SQLAlchemy 2.0 mapped classes (no queries here), split by concern.

Import them from here (``from survey.model import Response, Wave``); importing the package
registers every table on the one ``Base``. Each module lists its public names once, in
its ``__all__``.
"""

from survey.model import (
    accounts,
    base,
    calendar,
    field,
    integrity,
    portal,
    programme,
    responses,
    results,
)
from survey.model.accounts import *  # noqa: F403
from survey.model.base import *  # noqa: F403
from survey.model.calendar import *  # noqa: F403
from survey.model.field import *  # noqa: F403
from survey.model.integrity import *  # noqa: F403
from survey.model.portal import *  # noqa: F403
from survey.model.programme import *  # noqa: F403
from survey.model.responses import *  # noqa: F403
from survey.model.results import *  # noqa: F403

__all__ = [name for module in (accounts, base, calendar, field, integrity, portal, programme,
                                      responses, results)
           for name in module.__all__]
