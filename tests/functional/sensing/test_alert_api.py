"""The rules-and-alerts API as a client sees it, and webhooks delivered to a real HTTP server
and checked with the documented verification snippet."""

from __future__ import annotations

import datetime as dt
import http.server
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import make_token, make_user
from tests.functional.sensing.stations import T0, Station
from tests.support.databases import BoundDatabase
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.jobs import Job, Worker
from yiwang.core.policy import Role
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import tasks
from yiwang.sensing.alerting.models import Webhook
from yiwang.sensing.parsing import NewObservation

DOCS = Path(__file__).resolve().parents[3] / "docs" / "sensing-alerts.md"
PM25_LEVELS = [
    {"label": "黄色", "value": 75},
    {"label": "橙色", "value": 115},
    {"label": "红色", "value": 150},
]


@pytest.fixture
def editor_headers(session: Session, station: Station) -> dict[str, str]:
    user = make_user(session, role=Role.EDITOR, department=station.department)
    token = make_token(session, user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def store(session: Session, station: Station, values: list[float], start: int = 0) -> None:
    observations.create_observations(
        session,
        actor=station.editor,
        observations=[
            NewObservation(
                stream_id=station.pm25.id,
                phenomenon_time=T0 + dt.timedelta(minutes=start + i),
                result=v,
            )
            for i, v in enumerate(values)
        ],
    )
    session.commit()


def create_rule(client: TestClient, headers: dict[str, str], station: Station) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/sensing/rules",
        json={
            "name": "PM2.5 超标",
            "datastream_id": station.pm25.id,
            "levels": PM25_LEVELS,
            "hysteresis": 5,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    rule: dict[str, Any] = answer.json()
    return rule


def test_rules_are_created_read_changed_and_deleted(
    app_client: TestClient, session: Session, station: Station, editor_headers: dict[str, str]
) -> None:
    rule = create_rule(app_client, editor_headers, station)
    assert [level["level"] for level in rule["levels"]] == [1, 2, 3]
    assert rule["department_id"] == station.department.id
    url = f"/api/v1/sensing/rules/{rule['id']}"
    assert app_client.get(url, headers=editor_headers).json()["name"] == "PM2.5 超标"
    listed = app_client.get("/api/v1/sensing/rules", headers=editor_headers).json()
    assert [r["id"] for r in listed] == [rule["id"]]
    changed = app_client.patch(url, json={"enabled": False}, headers=editor_headers)
    assert changed.json()["enabled"] is False
    assert app_client.delete(url, headers=editor_headers).status_code == 204
    assert app_client.get(url, headers=editor_headers).status_code == 404
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "alert_rule")
    ).all()
    assert actions == ["sensing.rule.create", "sensing.rule.update", "sensing.rule.delete"]


@pytest.mark.parametrize(
    ("language", "fragment"), [("zh-CN", "数据流不存在"), ("en", "No such datastream")]
)
def test_an_unknown_datastream_is_refused_in_the_callers_language(
    app_client: TestClient, editor_headers: dict[str, str], language: str, fragment: str
) -> None:
    answer = app_client.post(
        "/api/v1/sensing/rules",
        json={"name": "x", "datastream_id": 999999, "levels": PM25_LEVELS},
        headers={**editor_headers, "Accept-Language": language},
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "alerting.unknown_datastream"
    assert fragment in error["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"levels": [{"label": "红", "value": 150}, {"label": "黄", "value": 75}]},
            "alerting.bad_levels",
        ),
        ({"direction": "sideways"}, "alerting.bad_direction"),
        ({"window_minutes": 10}, "alerting.window_only_for_rate"),
        ({"observed_property_id": 1}, "alerting.one_target"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(
    app_client: TestClient,
    station: Station,
    editor_headers: dict[str, str],
    body: dict[str, Any],
    code: str,
) -> None:
    rule = {"name": "x", "datastream_id": station.pm25.id, "levels": PM25_LEVELS, **body}
    answer = app_client.post(
        "/api/v1/sensing/rules", json=rule, headers={**editor_headers, "Accept-Language": "zh-CN"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]


def test_malformed_json_is_refused(app_client: TestClient, editor_headers: dict[str, str]) -> None:
    answer = app_client.post(
        "/api/v1/sensing/rules",
        content=b'{"name": "x", "levels": [',
        headers={**editor_headers, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert "not valid JSON" in str(answer.json())


def test_members_of_other_departments_cannot_set_rules(
    app_client: TestClient, session: Session, station: Station
) -> None:
    outsider = make_user(session, role=Role.EDITOR)
    token = make_token(session, outsider)
    session.commit()
    answer = app_client.post(
        "/api/v1/sensing/rules",
        json={
            "name": "x",
            "datastream_id": station.pm25.id,
            "levels": PM25_LEVELS,
            "department_id": station.department.id,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403


def test_alerts_are_listed_acknowledged_and_resolved(
    app_client: TestClient, session: Session, station: Station, editor_headers: dict[str, str]
) -> None:
    create_rule(app_client, editor_headers, station)
    store(session, station, [80, 130])
    page = app_client.get("/api/v1/sensing/alerts", params={"state": "open"}).json()
    assert page["total"] == 1  # open data: anyone sees the alert
    alert = page["items"][0]
    assert (alert["level"], alert["label"], alert["state"]) == (2, "橙色", "raised")
    assert app_client.get("/api/v1/sensing/alerts", params={"level": 3}).json()["total"] == 0
    assert app_client.get("/api/v1/sensing/alerts", params={"pack": "x"}).json()["total"] == 0
    later = (T0 + dt.timedelta(days=3650)).isoformat()
    assert app_client.get("/api/v1/sensing/alerts", params={"since": later}).json()["total"] == 0
    url = f"/api/v1/sensing/alerts/{alert['id']}"
    assert app_client.post(url + "/acknowledge").status_code == 401
    acked = app_client.post(url + "/acknowledge", json={"note": "已派人"}, headers=editor_headers)
    assert acked.json()["state"] == "acknowledged"
    refused = app_client.post(
        url + "/resolve", json={}, headers={**editor_headers, "Accept-Language": "en"}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "alerting.note_required"
    done = app_client.post(url + "/resolve", json={"note": "已处置"}, headers=editor_headers)
    detail = done.json()
    assert (detail["state"], detail["resolution"]) == ("resolved", "manual")
    assert [c["action"] for c in detail["history"]] == [
        "raised",
        "escalated",
        "acknowledged",
        "resolved",
    ]
    again = app_client.post(url + "/resolve", json={"note": "再次"}, headers=editor_headers)
    assert again.status_code == 409


def test_alerts_on_closed_data_are_for_the_department(
    app_client: TestClient, session: Session, station: Station, editor_headers: dict[str, str]
) -> None:
    station.pm25.is_open = False
    session.flush()
    create_rule(app_client, editor_headers, station)
    store(session, station, [80])
    assert app_client.get("/api/v1/sensing/alerts").json()["total"] == 0
    listed = app_client.get("/api/v1/sensing/alerts", headers=editor_headers).json()
    assert listed["total"] == 1
    alert_id = listed["items"][0]["id"]
    assert app_client.get(f"/api/v1/sensing/alerts/{alert_id}").status_code == 404


# --- webhooks ------------------------------------------------------------------------------------


class Receiver:
    """A local HTTP server that records what is posted to it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def documented_verify() -> Callable[..., bool]:
    """The verification snippet from docs/sensing-alerts.md, run as a receiver would."""
    text = DOCS.read_text()
    match = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, "the documentation has lost its verification snippet"
    scope: dict[str, Any] = {}
    exec(match.group(1), scope)  # noqa: S102  (our own documentation)
    verify: Callable[..., bool] = scope["verify"]
    return verify


def deliver(db: BoundDatabase, kinds: list[str]) -> None:
    worker = Worker(db, kinds=kinds)
    worker.deliver_events()
    while worker.run_one():
        pass


def test_a_signed_webhook_reaches_a_receiver_that_verifies_it(
    app_client: TestClient,
    db: BoundDatabase,
    session: Session,
    station: Station,
    editor_headers: dict[str, str],
    receiver: Receiver,
    settings: Settings,
) -> None:
    created = app_client.post(
        "/api/v1/sensing/webhooks", json={"url": receiver.url}, headers=editor_headers
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    hook_id = created.json()["id"]
    stored = session.get(Webhook, hook_id)
    assert stored is not None
    assert secret not in stored.secret_encrypted
    shown = app_client.get(f"/api/v1/sensing/webhooks/{hook_id}", headers=editor_headers).json()
    assert "secret" not in shown
    create_rule(app_client, editor_headers, station)
    store(session, station, [80])
    deliver(db, [tasks.WEBHOOK_JOB])
    [(headers, body)] = receiver.received
    verify = documented_verify()
    assert verify(secret, headers, body)
    assert not verify("whsec_wrong", headers, body)
    assert not verify(secret, headers, body + b" ")
    assert headers["X-Yiwang-Event"] == "sensing.alert.raised"
    session.expire_all()
    hook = session.get(Webhook, hook_id)
    assert hook is not None
    assert (hook.last_status, hook.last_error) == (200, None)
    assert settings.secret_key is not None


def test_a_failing_webhook_is_retried_later_and_its_status_kept(
    app_client: TestClient,
    db: BoundDatabase,
    session: Session,
    station: Station,
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    receiver.status = 503
    hook_id = app_client.post(
        "/api/v1/sensing/webhooks", json={"url": receiver.url}, headers=editor_headers
    ).json()["id"]
    create_rule(app_client, editor_headers, station)
    store(session, station, [80])
    deliver(db, [tasks.WEBHOOK_JOB])
    session.expire_all()
    hook = session.get(Webhook, hook_id)
    assert hook is not None
    assert (hook.last_status, hook.last_error) == (503, "HTTP 503")
    job = session.scalars(select(Job).where(Job.kind == tasks.WEBHOOK_JOB)).one()
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.run_after > dt.datetime.now(dt.UTC)  # backed off
    receiver.status = 200
    job.run_after = dt.datetime.now(dt.UTC)
    session.commit()
    deliver(db, [tasks.WEBHOOK_JOB])
    session.expire_all()
    assert session.get(Job, job.id).status == "succeeded"  # type: ignore[union-attr]
    assert len(receiver.received) == 2


def test_webhooks_refuse_other_schemes(
    app_client: TestClient, editor_headers: dict[str, str]
) -> None:
    answer = app_client.post(
        "/api/v1/sensing/webhooks",
        json={"url": "ftp://example.org/x"},
        headers={**editor_headers, "Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "alerting.bad_url"
