"""HTML to PDF: Chinese text laid out, nothing fetched, and a bounded number of renders at once
(a request past them is refused with a 503 and Retry-After rather than holding a thread)."""

from __future__ import annotations

import pytest

from yiwang.core import pdf
from yiwang.core.errors import Busy

pytest.importorskip("weasyprint", reason="weasyprint is not installed (make installs it)")

PAGE = "<html><head><title>回执</title></head><body><p>办件编号 330100-1</p></body></html>"


def test_a_page_becomes_a_pdf() -> None:
    assert pdf.html_to_pdf(PAGE).startswith(b"%PDF")


def test_renders_past_the_limit_are_refused_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "RENDER_WAIT_SECONDS", 0.05)
    for _ in range(pdf.MAX_CONCURRENT_RENDERS):  # every turn taken by renders in progress
        assert pdf._renders.acquire(timeout=1)
    try:
        with pytest.raises(Busy) as refused:
            pdf.html_to_pdf(PAGE)
        assert refused.value.status_code == 503
        assert refused.value.headers == {"Retry-After": str(pdf.RETRY_AFTER_SECONDS)}
    finally:
        for _ in range(pdf.MAX_CONCURRENT_RENDERS):
            pdf._renders.release()
    assert pdf.html_to_pdf(PAGE).startswith(b"%PDF")  # and the next one has its turn
