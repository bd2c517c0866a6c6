"""A per-process cache of derived values that stays coherent across processes.

Each cached value belongs to a *namespace* ("identity", "departments", ...). A writer that
changes what a namespace derives from calls :func:`bump` in its own transaction: the version
row of the namespace in ``cache_versions`` goes up with the change, and this process drops the
namespace as soon as the change commits. Other processes see the new version the next time they
look, which they do at most once per ``window`` seconds per namespace, so a change made on one
node is seen by every node within that window (one second by default) and at once on its own.

Values are loaded by the caller on a miss and stored with the generation the load started in;
a value loaded while the namespace was being invalidated is not kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any, Final

from sqlalchemy import BigInteger, Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwang.core.db import Base

MISSING: Final = object()
_BUMPED_KEY = "yiwang.cache_bumped"


class CacheVersion(Base):
    __tablename__ = "cache_versions"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))


class VersionedCache:
    def __init__(self, *, window: float = 1.0, max_entries: int = 20_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: dict[str, dict[Hashable, Any]] = {}
        self._versions: dict[str, int | None] = {}
        self._checked: dict[str, float] = {}
        self._generation: dict[str, int] = {}

    def begin_load(self, session: Session, namespace: str) -> int:
        """Call before loading a value to cache: bring the namespace up to date and return the
        generation to hand to :meth:`put`."""
        if _changed_here(session, namespace):
            return -1  # what this transaction loads may never be committed: keep nothing
        self._maybe_refresh(session, namespace)
        return self._generation.get(namespace, 0)

    def get(self, session: Session, namespace: str, key: Hashable) -> Any:
        """Return the cached value, or :data:`MISSING`. May read the namespace's version
        (one small query, at most once per window). A session that has itself changed the
        namespace gets MISSING: the cache cannot know its uncommitted change."""
        if _changed_here(session, namespace):
            return MISSING
        self._maybe_refresh(session, namespace)
        return self._values.get(namespace, {}).get(key, MISSING)

    def _maybe_refresh(self, session: Session, namespace: str) -> None:
        if time.monotonic() - self._checked.get(namespace, -1e9) >= self.window:
            self._refresh(session, namespace)

    def put(self, namespace: str, key: Hashable, value: Any, *, generation: int) -> None:
        """Keep ``value`` unless the namespace was invalidated since ``generation``."""
        with self._lock:
            if self._generation.get(namespace, 0) != generation:
                return
            entries = self._values.setdefault(namespace, {})
            if len(entries) >= self.max_entries:
                entries.clear()
            entries[key] = value

    def invalidate(self, namespace: str) -> None:
        with self._lock:
            self._values.pop(namespace, None)
            self._generation[namespace] = self._generation.get(namespace, 0) + 1
            self._checked.pop(namespace, None)

    def _refresh(self, session: Session, namespace: str) -> None:
        version = session.scalar(
            select(CacheVersion.version).where(CacheVersion.namespace == namespace)
        )
        if version != self._versions.get(namespace, MISSING):
            self.invalidate(namespace)
            self._versions[namespace] = version
        self._checked[namespace] = time.monotonic()


def _changed_here(session: Session, namespace: str) -> bool:
    return namespace in session.info.get(_BUMPED_KEY, ())


def bump(session: Session, namespace: str) -> None:
    """Record, in the caller's transaction, that ``namespace`` changed."""
    updated = session.execute(
        update(CacheVersion)
        .where(CacheVersion.namespace == namespace)
        .values(version=CacheVersion.version + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(CacheVersion).values(namespace=namespace, version=1))
    session.info.setdefault(_BUMPED_KEY, set()).add(namespace)


def of(session: Session) -> VersionedCache | None:
    """The cache of the database this session belongs to, if it has one."""
    cache = session.info.get("cache")
    return cache if isinstance(cache, VersionedCache) else None


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    bumped: set[str] = session.info.pop(_BUMPED_KEY, set())
    cache = of(session)
    if cache is not None:
        for namespace in bumped:
            cache.invalidate(namespace)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_BUMPED_KEY, None)
