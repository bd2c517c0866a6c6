"""Limit/offset pagination with a link to the next page."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
# Bounded: a 64-bit database integer takes no more (a larger one was an overflow, a 500).
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None = None


def next_link(request: Request, *, total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.url.include_query_params(limit=limit, offset=offset + limit))
