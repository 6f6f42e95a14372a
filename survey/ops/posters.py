"""Printable A5 posters for collection links (WeasyPrint), from plain data."""

from __future__ import annotations

import base64
import io
import zipfile

from weasyprint import HTML

from reports.render import DataOnlyFetcher, environment
from survey.ops.links import qr_svg, survey_url


def poster_of(link, enterprise) -> dict:
    """The plain data one poster shows: enterprise, location, URL and its QR code."""
    url = survey_url(link.token)
    svg = base64.b64encode(qr_svg(url, scale=10)).decode()
    return {"name": enterprise.name, "location": link.location, "url": url,
            "qr": f"data:image/svg+xml;base64,{svg}", "wave": link.wave.code}


def _document(posters: list[dict]):
    html = environment().get_template("reports/posters.html").render(posters=posters)
    # Only inline data: URLs; a poster never reads files or the network.
    return HTML(string=html, url_fetcher=DataOnlyFetcher()).render()


def posters_pdf(posters: list[dict]) -> bytes:
    """One PDF with a page per poster."""
    return _document(posters).write_pdf()


def poster_pages(posters: list[dict]) -> list[bytes]:
    """One PDF per poster, laid out in a single pass (much faster than one render each)."""
    if not posters:
        return []
    document = _document(posters)
    return [document.copy([page]).write_pdf() for page in document.pages]


def posters_zip(pairs) -> bytes:
    """A ZIP with one poster PDF (``poster-<link id>.pdf``) per ``(link, enterprise)``."""
    pairs = list(pairs)
    pages = poster_pages([poster_of(link, enterprise) for link, enterprise in pairs])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for (link, _enterprise), pdf in zip(pairs, pages, strict=True):
            archive.writestr(f"poster-{link.id}.pdf", pdf)
    return out.getvalue()
