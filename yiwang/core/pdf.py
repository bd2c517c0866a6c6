"""HTML laid out as PDF, for the documents people keep: receipts, and licences to come.

WeasyPrint lays the page out with the machine's Pango and fonts (Debian's
``libpango-1.0-0``, ``libpangoft2-1.0-0`` and ``libharfbuzz-subset0``). Chinese text needs a
CJK font installed on the machine: every document is given WenQuanYi Micro Hei
(``fonts-wqy-microhei``) first, :data:`CJK_FONT_FAMILY`, unless its own styles name another.

The HTML comes from our own templates, but it carries values citizens typed; nothing it
refers to is fetched while it is laid out (only ``data:`` URLs are read), so no value can make
the server request an address or read a file."""

from __future__ import annotations

import threading
from typing import Final

from yiwang.core.errors import Busy

# The font families of a PDF with Chinese text, the installed CJK font first.
CJK_FONT_FAMILY: Final = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif'

# Laying a page out takes a core for a moment and tens of megabytes: at most this many at once,
# whatever the number of requests admitted.
MAX_CONCURRENT_RENDERS: Final = 2
_renders = threading.BoundedSemaphore(MAX_CONCURRENT_RENDERS)
RENDER_WAIT_SECONDS: Final = 10.0  # past this wait for a turn: 503 with Retry-After
RETRY_AFTER_SECONDS: Final = 5
_BASE = f"html {{ font-family: {CJK_FONT_FAMILY}; }}"


def html_to_pdf(html: str, *, stylesheet: str | None = None) -> bytes:
    """Return the PDF of ``html`` (a whole document, its ``<title>`` the PDF's title), laid
    out for print media with ``stylesheet`` (CSS text) added to its own styles. Resources other
    than ``data:`` URLs are left out, never fetched."""
    # Imported here: loading Pango takes a moment that pages without a PDF need not wait for.
    from weasyprint import CSS, HTML  # noqa: PLC0415
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=html, url_fetcher=fetcher)
    sheets = [CSS(string=_BASE)]
    if stylesheet:
        sheets.append(CSS(string=stylesheet, url_fetcher=fetcher))
    # A request waits a while for its turn, then is refused at once rather than holding a
    # worker thread while others queue behind it.
    if not _renders.acquire(timeout=RENDER_WAIT_SECONDS):
        raise Busy(RETRY_AFTER_SECONDS)
    try:
        pdf = document.write_pdf(stylesheets=sheets)
    finally:
        _renders.release()
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf returns bytes without a target
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


__all__ = [
    "CJK_FONT_FAMILY",
    "MAX_CONCURRENT_RENDERS",
    "RENDER_WAIT_SECONDS",
    "RETRY_AFTER_SECONDS",
    "html_to_pdf",
]
