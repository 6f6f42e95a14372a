"""What a background job is doing, as the console says it: step names and time left."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The messages survey/ops (compute_and_store, publish, jobs) record, in the UI's language.
STEPS = {
    "": _l("Waiting to start"),
    "started": _l("Started"),
    "checking response quality": _l("Checking response quality"),
    "computing indices": _l("Computing the indices"),
    "drawing charts": _l("Drawing the charts"),
    "comparing with quarantined responses": _l("Comparing with the quarantined responses"),
    "computing the result": _l("Computing the result"),
    "rendering the Chinese edition": _l("Rendering the Chinese edition"),
    "rendering the Chinese PDF": _l("Rendering the Chinese PDF"),
    "rendering the English edition": _l("Rendering the English edition"),
    "rendering the English PDF": _l("Rendering the English PDF"),
    "result stored": _l("Result stored"),
}
STATUSES = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"),
            "failed": _l("Failed")}


def step_label(message: str) -> str:
    """A recorded job message in the UI's language (unknown messages are shown as they are)."""
    label = STEPS.get(message)
    return str(label) if label is not None else message


def status_label(status: str) -> str:
    """A job status in the UI's language."""
    return str(STATUSES.get(status, status))


def time_left(seconds: int | None) -> str:
    """An estimate of the time left, rounded as people say it."""
    if seconds is None:
        return _("estimating…")
    if seconds < 60:
        return _("about %(n)d s left", n=max(5, round(seconds / 5) * 5))
    return _("about %(n)d min left", n=round(seconds / 60))
