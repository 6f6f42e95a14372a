"""Security headers on every response and the session cookie's HTTPS settings.

The Content-Security-Policy allows no inline script and no inline style: every page loads
its CSS and JavaScript from /static. A view whose document needs another policy (the frozen
bulletin HTML shown in an iframe) sets its own header, which is then left alone.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Request, Response, abort, current_app, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
))
# A frozen bulletin document: its own inline CSS and data: images, nothing else, no script,
# shown only inside our own pages.
DOCUMENT_CSP = "; ".join((
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src data:",
    "frame-ancestors 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "sandbox",
))
HSTS = "max-age=31536000; includeSubDomains"


def is_https(req: Request, force: bool) -> bool:
    """Whether the request came over HTTPS (or the settings say the site is HTTPS-only)."""
    return force or req.is_secure


STATIC_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_STATIC_NAMES = frozenset(name.lower() for name, _value in STATIC_HEADERS)


def add_headers(response: Response) -> Response:
    """Set the security headers a view did not set itself."""
    headers = response.headers
    # One pass over the (name, value) pairs present: this runs on the survey's hottest
    # requests, and Headers.keys() or `in` cost a generator or an exception per name.
    present = {name.lower() for name, _value in headers}
    if present.isdisjoint(_STATIC_NAMES):
        headers.extend(STATIC_HEADERS)
    else:
        headers.extend([(k, v) for k, v in STATIC_HEADERS if k.lower() not in present])
    if is_https(request, current_app.config["HTTPS_ONLY"]):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def refuse_nul_bytes() -> None:
    """Refuse a request whose path (404), query or form (400) holds a NUL character.

    No browser sends one, PostgreSQL cannot store or compare one in text, and C-based
    parsers cut strings at it: refusing it here keeps it out of every view and query.
    """
    if "\x00" in request.path:
        abort(404)  # no resource has such a name
    # A NUL can reach the query only percent-encoded; no need to parse it on every request.
    if b"%00" in request.query_string.lower() and _has_nul(request.args):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
        if _has_nul(request.form) or any("\x00" in (f.filename or "") for f in
                                         request.files.values()):
            abort(400)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(multidict) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in multidict.items(multi=True))


def no_store(response: Response) -> Response:
    """Keep a logged-in page or export out of every cache (shared computers, proxies)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def private_area(bp: Blueprint) -> None:
    """Mark every response of a logged-in blueprint (console, portal) not to be stored."""
    bp.after_request(no_store)


def document_headers(response: Response) -> Response:
    """Mark a response as a sandboxed document that only our own pages may frame."""
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def init_app(app: Flask) -> None:
    """Register the header hook; HTTPS_ONLY also makes the session cookie Secure."""
    if app.config["HTTPS_ONLY"]:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.before_request(refuse_nul_bytes)
    app.after_request(add_headers)
