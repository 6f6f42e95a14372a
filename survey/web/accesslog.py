"""gunicorn's access log with nothing personal in it (`--logger-class` PrivateLogger).

gunicorn's own log writes each client's address, User-Agent and referrer, and the full
request line — which for a respondent holds the survey token of the QR code they scanned
(and for an invited user the activation token). Here the address, User-Agent, referrer and
every request or response header are left out, tokens in paths are replaced by ``-`` and
survey query strings are dropped, whatever ``--access-logformat`` asks for.
"""

from __future__ import annotations

import re

from gunicorn import glogging

# Paths whose last part is a secret: survey links, counter displays and invitation links.
SECRET_PATHS = re.compile(r"^(/s/|/d/|/portal/activate/)[^/?]*")
# Suggested format: time, request line, status, bytes, seconds.
FORMAT = '%(t)s "%(r)s" %(s)s %(b)s %(L)s'
KEPT = ("l", "t", "s", "m", "H", "b", "B", "T", "D", "M", "L", "p")


def private_path(path: str) -> str:
    """`path` with a survey, counter-display or activation token replaced by ``-``."""
    return SECRET_PATHS.sub(r"\1-", path)


def private_atoms(atoms: dict, environ: dict) -> dict:
    """The log fields of a request with nothing personal in them."""
    raw_path = environ.get("PATH_INFO") or ""
    path = private_path(raw_path)
    secret = path != raw_path or raw_path.startswith("/s/")
    query = "" if secret else environ.get("QUERY_STRING") or ""
    safe = {key: atoms[key] for key in KEPT if key in atoms}
    line = f"{path}?{query}" if query else path
    safe |= {"h": "-", "u": "-", "a": "-", "f": "-", "U": path, "q": query,
             "r": f"{environ.get('REQUEST_METHOD', '-')} {line} "
                  f"{environ.get('SERVER_PROTOCOL', '-')}"}
    return safe


class PrivateLogger(glogging.Logger):
    """gunicorn's logger, writing access lines through :func:`private_atoms`."""

    def atoms(self, resp, req, environ, request_time):
        """The access-log fields, without addresses, agents, headers or tokens."""
        return private_atoms(super().atoms(resp, req, environ, request_time), environ)
