"""The periodic index bulletin (顾客满意度指数公报), rendered from plain data.

``bulletin_context`` turns wave results into a dict of primitives; ``bulletin_html``
and ``bulletin_pdf`` render that dict. Nothing here reads the database or a request.
"""

from reports.context import bulletin_context
from reports.render import bulletin_html, bulletin_pdf

__all__ = ["bulletin_context", "bulletin_html", "bulletin_pdf"]
