"""Chinese full-text search of the catalogue: jieba segments text into terms; the terms of each
resource are kept in an inverted index table (``catalog_search_terms``) that works the same on
SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()
_ready = False
_WORD = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)
_LATIN = re.compile(r"[a-z0-9]+")
MAX_TERM = 64
TITLE, TAG, BODY = 3, 2, 1


def _jieba() -> Any:
    """Import jieba and load its dictionary once (about a second); quietly."""
    global _ready  # noqa: PLW0603  (a process-wide one-time initialisation)
    import jieba  # noqa: PLC0415  (heavy: loaded on first use, not at start-up)

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba


def warm_up() -> None:
    """Load the segmenter now (call from a background thread at start-up)."""
    _jieba()


def _tokens(text: str, *, for_index: bool) -> list[str]:
    jieba = _jieba()
    out: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        if chunk.isascii():
            out.extend(_LATIN.findall(chunk))
            continue
        words = jieba.cut_for_search(chunk) if for_index else jieba.cut(chunk)
        out.extend(w for w in words if w.strip())
    return [t[:MAX_TERM] for t in out if t]


def index_terms(weighted_texts: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Return each term of the texts with the highest weight it appears with."""
    terms: dict[str, int] = {}
    for text, weight in weighted_texts:
        if not text:
            continue
        for term in _tokens(text, for_index=True):
            if terms.get(term, 0) < weight:
                terms[term] = weight
    return terms


def _meaningful(terms: list[str]) -> list[str]:
    """Distinct terms in order, without single Chinese characters (年, 市, 的) when longer
    terms are there to match: they match nearly everything and only cost time."""
    distinct = list(dict.fromkeys(terms))
    longer = [t for t in distinct if len(t) > 1 or t.isascii()]
    return longer or distinct


def query_terms(query: str) -> list[str]:
    """Return the distinct terms a query asks for (all must match), in order."""
    return _meaningful(_tokens(query, for_index=False))


def index_fallback_terms(query: str) -> list[str]:
    """The query's terms as the index would segment them, for a second try when the precise
    segmentation finds nothing (a query word the index split differently)."""
    return _meaningful(_tokens(query, for_index=True))
