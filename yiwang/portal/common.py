"""What the portal's and the console's pages share: the page language, times as people in
Zhejiang read them, the departments by id, and the header that keeps a page with a secret on
it out of the browser's caches."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from yiwang.core import identity
from yiwang.core.identity import Department
from yiwang.core.policy import Actor
from yiwang.core.web.deps import request_language
from yiwang.core.web.templating import local_time  # the pages' filter, for handlers too

__all__ = ["NO_STORE", "departments_by_id", "is_zh", "local_time"]

# Pages that show a secret (a query code, a new token or password) or an applicant's case are
# kept out of the browser's caches, so that the next person at a shared computer cannot bring
# them back.
NO_STORE = {"Cache-Control": "no-store"}


def is_zh(request: Request) -> bool:
    """Whether the page is in Chinese (the default)."""
    return request_language(request).startswith("zh")


def departments_by_id(session: Session, actor: Actor) -> dict[int, Department]:
    """The departments ``actor`` may see, by id."""
    departments, _ = identity.list_departments(session, actor=actor, limit=1000)
    return {d.id: d for d in departments}
