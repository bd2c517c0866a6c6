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

A refusal must cost less than the work it refuses, or a flood keeps the event loop busy
refusing and nothing is served. :class:`EarlyRefusal` answers before routing, dependency
resolution and body parsing while the queue is full, so a client that floods (or a large upload
that arrives at a full server) is turned away for the price of a header read.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from yiwang.core.errors import Busy


class ServerBusy(Busy):
    """Too many requests at once: try again after ``Retry-After`` seconds."""


@dataclass
class Admission:
    """At most ``limit`` admitted at once; up to ``queue`` more wait at most ``wait_seconds``,
    and up to ``priority_queue`` more in a lane of their own for callers this process has seen
    sign in (see :meth:`vouch`), who are let in first when a place frees.

    Why a lane: a flood by clients that ignore Retry-After keeps the ordinary queue full, so a
    department's editor who waits as told would never get in. A place in the lane is earned by
    a credential that authenticated here before, never by merely sending one: the flood cannot
    take it, and a signed-in user, whose every action is audited, is not the flood."""

    limit: int
    queue: int
    wait_seconds: float
    retry_after: int = 1
    priority_queue: int = 16
    vouched_max: int = 10_000
    vouched_seconds: float = 600.0
    admitted: int = field(default=0, init=False)  # in flight now
    refused: int = field(default=0, init=False)  # since start, for /readyz and tests
    _priority: deque[asyncio.Future[bool]] = field(default_factory=deque, init=False, repr=False)
    _ordinary: deque[asyncio.Future[bool]] = field(default_factory=deque, init=False, repr=False)
    _vouched: OrderedDict[bytes, float] = field(default_factory=OrderedDict, init=False, repr=False)

    def vouch(self, key: bytes | None) -> None:
        """Remember that the credential with this key (:func:`credential_key`) authenticated."""
        if key is None:
            return
        self._vouched[key] = time.monotonic() + self.vouched_seconds
        self._vouched.move_to_end(key)
        while len(self._vouched) > self.vouched_max:
            self._vouched.popitem(last=False)

    def is_vouched(self, key: bytes | None) -> bool:
        if key is None:
            return False
        until = self._vouched.get(key)
        if until is None:
            return False
        if until < time.monotonic():
            del self._vouched[key]
            return False
        return True

    def saturated(self, priority: bool = False) -> bool:
        """Every place taken and the lane full: a request would be refused."""
        if self.admitted < self.limit:
            return False
        if priority:
            return len(self._priority) >= self.priority_queue
        return len(self._ordinary) >= self.queue

    async def enter(self, priority: bool = False) -> None:
        """Take a place, or raise :class:`ServerBusy`."""
        if self.admitted < self.limit and not self._priority and not self._ordinary:
            self.admitted += 1
            return
        if self.saturated(priority):
            self.refused += 1
            raise ServerBusy(self.retry_after)
        lane = self._priority if priority else self._ordinary
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        lane.append(waiter)
        timer = loop.call_later(self.wait_seconds, self._expire, lane, waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:  # the client went away while waiting
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.leave()  # handed a place at the same moment: give it on
            elif waiter in lane:
                lane.remove(waiter)
            raise
        finally:
            timer.cancel()
        if not granted:
            self.refused += 1
            raise ServerBusy(self.retry_after)

    def _expire(self, lane: deque[asyncio.Future[bool]], waiter: asyncio.Future[bool]) -> None:
        if not waiter.done():
            lane.remove(waiter)
            waiter.set_result(False)

    def leave(self) -> None:
        """Give the place back: to the first waiter of the priority lane, else of the queue."""
        self.admitted -= 1
        while self.admitted < self.limit and (self._priority or self._ordinary):
            waiter = (self._priority or self._ordinary).popleft()
            if waiter.done():  # cancelled with its client
                continue
            self.admitted += 1
            waiter.set_result(True)


_CREDENTIAL_HEADERS = (b"authorization", b"x-ckan-api-key")


def credential_key(headers: Iterable[tuple[bytes, bytes]], session_cookie: str) -> bytes | None:
    """A digest of the credential a request presents (a token, a password, a web session), to
    recognise a caller :meth:`Admission.vouch` has seen; None when it presents none."""
    cookie_prefix = session_cookie.encode() + b"="
    cookie = None
    for name, value in headers:
        if name in _CREDENTIAL_HEADERS:  # what authenticates first (see deps._resolve_actor)
            return hashlib.sha256(name + b":" + value).digest()
        if name == b"cookie" and cookie is None:
            for part in value.split(b";"):
                if part.strip().startswith(cookie_prefix):
                    cookie = hashlib.sha256(part.strip()).digest()
                    break
    return cookie


# Paths that never use the database (files, liveness) pass even when the database is saturated;
# /readyz answers a saturated server itself, as "busy".
_PASS_PREFIXES = ("/static/", "/api/docs/assets/", "/favicon.ico", "/healthz")


class EarlyRefusal:
    """Answer 503 with Retry-After before routing while the admission queue is full (see the
    module's text). Requests that pass may still be refused by :meth:`Admission.enter` when
    they ask for the database; this only makes the refusal cheap when refusals are many."""

    def __init__(self, app: ASGIApp, *, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie

    def _priority(self, scope: Scope, admission: Admission) -> bool:
        return admission.is_vouched(credential_key(scope["headers"], self.session_cookie))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_PASS_PREFIXES):
            admission: Admission | None = getattr(scope["app"].state, "admission", None)
            if admission is not None and admission.saturated(self._priority(scope, admission)):
                admission.refused += 1
                from yiwang.core.web import errors  # noqa: PLC0415  (errors imports deps, deps us)
                from yiwang.core.web.deps import request_language  # noqa: PLC0415

                request = Request(scope, receive)
                busy = ServerBusy(admission.retry_after)
                response = errors.render(
                    request, 503, busy.envelope(request_language(request)), busy.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
