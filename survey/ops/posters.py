"""Printable A5 posters for collection links (WeasyPrint), from plain data."""

from __future__ import annotations

import base64
import io
import zipfile

from weasyprint import HTML

from reports.render import DataOnlyFetcher, environment
from survey.ops.links import qr_svg, survey_url

# What a poster calls its survey and asks for, by the kind of rated unit.
SURVEY_TITLES = {"enterprise": "服务业顾客满意度调查", "housing_project": "住宅工程满意度调查",
                 "product_line": "民生产品满意度调查", "public_work": "市政工程满意度调查"}
CALLS = {"enterprise": "扫码评价", "housing_project": "扫码评价该楼盘",
         "product_line": "扫码评价该产品", "public_work": "扫码评价该工程"}


def poster_of(link, enterprise) -> dict:
    """The plain data one poster shows: unit, location, URL, QR code and the unit's wording."""
    kind = enterprise.kind or "enterprise"
    url = survey_url(link.token)
    svg = base64.b64encode(qr_svg(url, scale=10)).decode()
    return {"name": enterprise.name, "location": link.location, "url": url,
            "qr": f"data:image/svg+xml;base64,{svg}", "wave": link.wave.code,
            "title": SURVEY_TITLES.get(kind, SURVEY_TITLES["enterprise"]),
            "call": CALLS.get(kind, CALLS["enterprise"])}


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
