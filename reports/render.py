"""Render a bulletin context to HTML (Jinja2) and to an A4 PDF (WeasyPrint)."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reports.charts import bulletin_charts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class RefusedURLError(ValueError):
    """A bulletin asked for a resource outside the document (file:, http:, …)."""


class DataOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses every other scheme.

    The bulletin is self-contained, so any other URL is a template or data error;
    ``fail_on_errors`` makes WeasyPrint stop instead of warning and carrying on.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True)

    def fetch(self, url: str, headers=None):
        """Fetch ``url`` if it is a ``data:`` URL, else raise :class:`RefusedURLError`."""
        if not url.lower().startswith("data:"):
            raise RefusedURLError(f"bulletins only embed data: URLs, refused {url[:80]!r}")
        return super().fetch(url, headers)


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescaped, strict)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _markup(charts: dict) -> dict:
    """Chart SVGs marked safe: matplotlib wrote them and escaped their text."""
    return {k: ([Markup(s) for s in v] if isinstance(v, list) else v and Markup(v))
            for k, v in charts.items()}


def bulletin_html(context: dict, charts: dict | None = None) -> str:
    """The bulletin as one self-contained HTML document (web page and PDF source).

    ``charts`` (from :func:`reports.charts.bulletin_charts`) is drawn from the
    context when not given.
    """
    svg = _markup(charts if charts is not None else bulletin_charts(context["charts"]))
    return environment().get_template("reports/bulletin.html").render(b=context, svg=svg)


def bulletin_pdf(context: dict, charts: dict | None = None) -> bytes:
    """The bulletin as an A4 PDF with embedded CJK fonts; only ``data:`` URLs are fetched."""
    return html_to_pdf(bulletin_html(context, charts))


def html_to_pdf(html: str) -> bytes:
    """Any self-contained HTML document to PDF bytes through :class:`DataOnlyFetcher`."""
    return HTML(string=html, url_fetcher=DataOnlyFetcher()).write_pdf()
