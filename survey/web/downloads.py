"""File downloads served by the console, the portal and the public bulletin pages."""

from __future__ import annotations

from flask import Response


def attachment(body: bytes, mime: str, filename: str, *, inline: bool = False) -> Response:
    """`body` as a file named `filename`: saved by the browser, or shown when `inline`."""
    response = Response(body, mimetype=mime)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
