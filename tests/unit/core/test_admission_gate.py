"""A full server refuses before it routes a request or reads its body: a refusal costs a header
read, so a flood (or a large upload arriving at a full server) cannot keep the event loop busy
refusing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

from starlette.types import Message

from yiwang.core.config import Settings
from yiwang.core.web.admission import Admission, EarlyRefusal, ServerBusy, credential_key

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run in a thread of its own: a test before may have left an event loop on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=30)


class _Inner:
    """The application behind the gate: records whether it was reached."""

    def __init__(self) -> None:
        self.reached = 0

    async def __call__(self, _scope: Any, receive: Any, send: Any) -> None:
        self.reached += 1
        await receive()  # reads the body, as a route with a form would
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _call(gate: EarlyRefusal, admission: Admission, path: str, language: str) -> list[Message]:
    app = SimpleNamespace(state=SimpleNamespace(admission=admission, settings=Settings()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"accept-language", language.encode()),
            (b"content-length", b"17000000"),
        ],
        "app": app,
    }
    sent: list[Message] = []
    body_read = False

    async def receive() -> Message:
        nonlocal body_read
        body_read = True
        return {"type": "http.request", "body": b"x", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    _run(gate(scope, receive, send))
    if sent and sent[0]["status"] == 503:
        assert not body_read, "a refused request's body was read"
    return sent


def _status(sent: list[Message]) -> int:
    return int(sent[0]["status"])


def _headers(sent: list[Message]) -> dict[bytes, bytes]:
    return dict(sent[0]["headers"])


def test_a_full_queue_is_refused_before_routing_or_reading_the_body() -> None:
    inner = _Inner()
    gate = EarlyRefusal(inner, session_cookie="yiwang_session")
    full = Admission(limit=0, queue=0, wait_seconds=0.1)  # no place, no queue: saturated
    sent = _call(gate, full, "/api/v1/catalog/resources/x/upload", "zh-CN")
    assert _status(sent) == 503
    assert inner.reached == 0
    assert _headers(sent)[b"retry-after"] == b"1"
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "server_busy"
    assert "秒" in body["error"]["message"]  # in the user's language
    assert full.refused == 1
    english = _call(gate, full, "/api/v1/departments", "en")
    english_body = json.loads(b"".join(m.get("body", b"") for m in english[1:]))
    assert "retry in 1 s" in english_body["error"]["message"]


def test_a_server_with_room_passes_everything_through() -> None:
    inner = _Inner()
    gate = EarlyRefusal(inner, session_cookie="yiwang_session")
    roomy = Admission(limit=4, queue=8, wait_seconds=0.1)
    assert _status(_call(gate, roomy, "/api/v1/departments", "zh-CN")) == 200
    assert inner.reached == 1
    assert roomy.refused == 0


def test_files_and_liveness_pass_a_saturated_server() -> None:
    inner = _Inner()
    gate = EarlyRefusal(inner, session_cookie="yiwang_session")
    full = Admission(limit=0, queue=0, wait_seconds=0.1)
    for path in ("/static/css/site.css", "/healthz"):
        assert _status(_call(gate, full, path, "zh-CN")) == 200
    assert inner.reached == 2


def test_a_caller_seen_to_sign_in_passes_a_flood_in_a_lane_of_its_own() -> None:
    full = Admission(limit=0, queue=0, wait_seconds=0.1, priority_queue=1)
    token = [(b"authorization", b"Bearer yw_example")]
    key = credential_key(token, "yiwang_session")
    assert key is not None
    # Presenting a credential is not enough: only one that signed in here before.
    assert not full.is_vouched(key)
    full.vouch(key)
    assert full.is_vouched(key)
    # A cookie of the same value, or another token, is another caller.
    cookie = credential_key([(b"cookie", b"yiwang_session=yw_example")], "yiwang_session")
    assert not full.is_vouched(cookie)
    # The vouched caller may still wait when the ordinary queue is full.
    assert full.saturated()
    assert not full.saturated(priority=True)
    assert credential_key([(b"cookie", b"lang=zh; x=1")], "yiwang_session") is None


def test_places_go_first_to_the_priority_lane_and_waits_run_out() -> None:
    async def scenario() -> list[str]:
        admission = Admission(limit=1, queue=4, wait_seconds=0.5, priority_queue=2)
        order: list[str] = []
        await admission.enter()  # the one place is taken

        async def waiter(name: str, priority: bool) -> None:
            await admission.enter(priority)
            order.append(name)
            await asyncio.sleep(0.01)
            admission.leave()

        tasks = [asyncio.create_task(waiter("ordinary", False))]
        await asyncio.sleep(0.01)
        tasks.append(asyncio.create_task(waiter("signed-in", True)))
        await asyncio.sleep(0.01)
        assert admission.saturated() is False  # room in the queue still
        admission.leave()
        await asyncio.gather(*tasks)
        # A wait that runs out is a refusal, and leaves no place taken.
        await admission.enter()
        try:
            await admission.enter()
        except ServerBusy:
            order.append("refused")
        admission.leave()
        assert admission.admitted == 0
        assert admission.refused == 1
        return order

    assert _run(scenario()) == ["signed-in", "ordinary", "refused"]


def test_a_client_that_goes_away_while_waiting_leaves_no_place_behind() -> None:
    async def scenario() -> int:
        admission = Admission(limit=1, queue=4, wait_seconds=5)
        await admission.enter()
        waiting = asyncio.create_task(admission.enter())
        await asyncio.sleep(0.01)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        admission.leave()
        await admission.enter()  # the freed place is there for the next one
        admission.leave()
        return admission.admitted

    assert _run(scenario()) == 0
