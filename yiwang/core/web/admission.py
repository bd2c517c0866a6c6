"""Admission of requests that use the database: a bounded number at a time, a short bounded
queue, and a 503 with Retry-After at once for the rest.

Why it prevents the lock-up by construction: a request's session is committed and closed in
the thread pool, so a request that holds a connection may wait for a thread; and a handler
that runs in the thread pool may wait for a connection. If more requests were let in than the
pool has connections, every thread could end up waiting for a connection held by a request
that waits for a thread. Admitting at most ``limit`` requests, where ``limit`` connections (and
one more each for a side transaction: an audit record of a read, a token's last use) always fit
in the pool, means no admitted request ever waits for a connection, so that cycle cannot form;
requests beyond the limit wait on the event loop, holding neither a thread nor a connection,
and are refused when the queue is full or their wait runs out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from yiwang.core.errors import AppError


class ServerBusy(AppError):
    """Too many requests at once: try again after ``Retry-After`` seconds."""

    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("server_busy", seconds=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class Admission:
    """At most ``limit`` admitted at once; up to ``queue`` more wait at most ``wait_seconds``."""

    limit: int
    queue: int
    wait_seconds: float
    retry_after: int = 1
    _semaphore: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _waiting: int = field(default=0, init=False)
    admitted: int = field(default=0, init=False)  # in flight now
    refused: int = field(default=0, init=False)  # since start, for /readyz and tests

    def _gate(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        return self._semaphore

    async def enter(self) -> None:
        """Take a place, or raise :class:`ServerBusy`."""
        gate = self._gate()
        if gate.locked():
            if self._waiting >= self.queue:
                self.refused += 1
                raise ServerBusy(self.retry_after)
            self._waiting += 1
            try:
                await asyncio.wait_for(gate.acquire(), self.wait_seconds)
            except TimeoutError:
                self.refused += 1
                raise ServerBusy(self.retry_after) from None
            finally:
                self._waiting -= 1
        else:
            await gate.acquire()
        self.admitted += 1

    def leave(self) -> None:
        self.admitted -= 1
        self._gate().release()
