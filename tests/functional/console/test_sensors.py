"""The console's sensing page: a department's alerts, rules and streams; acknowledging and
resolving alerts through the alerting service, with htmx or without, forbidden to other
departments and refused without the CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_user
from tests.factories.sensing import add_observations, make_datastream, make_thing
from tests.functional.core.test_pages import csrf_of, sign_in
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Role
from yiwang.sensing.alerting import alerts as alerting
from yiwang.sensing.alerting import service as rules
from yiwang.sensing.alerting.schemas import LevelIn, RuleCreate

HTML = {"Accept": "text/html"}


@dataclass
class Watch:
    """An environment department on duty with a station, a rule and one raised alert, and
    staff of another department."""

    department: Department
    member: str
    stranger: str
    alert_id: int
    stream_name: str


def _watch(session: Session, *, is_open: bool = True) -> Watch:
    department = make_department(session, name_zh="杭州市生态环境局", slug="s-env")
    other = make_department(session, name_zh="杭州市交通运输局", slug="s-transport")
    member = make_user(session, role=Role.MEMBER, department=department, username="sense_member")
    stranger = make_user(session, role=Role.EDITOR, department=other, username="sense_stranger")
    editor = make_user(session, role=Role.EDITOR, department=department, password=None)
    thing = make_thing(session, department=department, name="西湖监测站", is_open=is_open)
    stream = make_datastream(session, thing, name="西湖 PM2.5")
    rules.create_rule(
        session,
        actor=actor(editor),
        data=RuleCreate(
            name="PM2.5 超标",
            datastream_id=stream.id,
            levels=[LevelIn(label="黄色", value=75), LevelIn(label="红色", value=150)],
            hysteresis=5,
        ),
    )
    add_observations(session, stream, [40, 88])
    alerts, _ = alerting.list_alerts(
        session,
        actor=SYSTEM,
        filters=alerting.AlertFilters(datastream_id=stream.id),
    )
    assert len(alerts) == 1
    session.commit()
    return Watch(department, member.username, stranger.username, alerts[0].id, stream.name)


@pytest.fixture
def watch(session: Session) -> Watch:
    return _watch(session)


def state_of(session: Session, alert_id: int) -> str:
    session.expire_all()
    return alerting.get_alert(session, actor=SYSTEM, alert_id=alert_id).state


def post(
    client: TestClient, path: str, *, htmx: bool = False, **fields: str
) -> tuple[int, str, str | None]:
    token = csrf_of(client.get("/console/sensing", headers=HTML).text)
    headers = {**HTML, "HX-Request": "true"} if htmx else HTML
    response = client.post(
        path, data={"csrf": token, **fields}, headers=headers, follow_redirects=False
    )
    return response.status_code, response.text, response.headers.get("location")


def test_the_departments_alerts_rules_and_streams_are_shown(
    app_client: TestClient, session: Session, watch: Watch
) -> None:
    sign_in(app_client, watch.member)
    page = app_client.get("/console/sensing", headers=HTML)
    assert page.status_code == 200
    text = page.text
    row = re.search(rf'<tr id="alert-{watch.alert_id}".*?</tr>', text, re.DOTALL)
    assert row
    assert "PM2.5 超标" in row.group(0)
    assert "黄色" in row.group(0)
    assert "待确认" in row.group(0)
    assert "西湖监测站 · 西湖 PM2.5" in row.group(0)
    assert '<td class="alert-value">88 µg/m³</td>' in row.group(0)  # the value with its unit
    assert f'action="/console/sensing/alerts/{watch.alert_id}/acknowledge"' in row.group(0)
    # The rule in words, and the stream with its latest value.
    assert "数值不低于：黄色 75；红色 150（回差 5）" in text
    assert "88 µg/m³" in text
    assert "开放" in text

    resolved = app_client.get("/console/sensing", params={"state": "resolved"}, headers=HTML)
    assert f'id="alert-{watch.alert_id}"' not in resolved.text
    level_two = app_client.get("/console/sensing", params={"level": "2"}, headers=HTML)
    assert f'id="alert-{watch.alert_id}"' not in level_two.text


def test_acknowledge_then_resolve_with_a_note(
    app_client: TestClient, session: Session, watch: Watch
) -> None:
    sign_in(app_client, watch.member)
    base = f"/console/sensing/alerts/{watch.alert_id}"

    status, _, location = post(app_client, f"{base}/acknowledge", note="已通知现场核查")
    assert status == 303
    assert location == "/console/sensing?done=acknowledge"
    assert state_of(session, watch.alert_id) == "acknowledged"
    page = app_client.get(location, headers=HTML).text
    assert "预警已确认。" in page
    assert f'action="{base}/acknowledge"' not in page  # acknowledged: only resolve is left

    status, text, _ = post(app_client, f"{base}/resolve", note="  ")
    assert status == 422
    assert "手动解除预警须填写说明（note）。" in text
    assert f'id="alert-{watch.alert_id}-error"' in text
    assert state_of(session, watch.alert_id) == "acknowledged"

    status, _, location = post(app_client, f"{base}/resolve", note="设备校准后恢复正常")
    assert status == 303
    assert state_of(session, watch.alert_id) == "resolved"
    history = alerting.alert_history(session, alert_id=watch.alert_id)
    assert [(c.action, c.note) for c in history][-2:] == [
        ("acknowledged", "已通知现场核查"),
        ("resolved", "设备校准后恢复正常"),
    ]
    page = app_client.get("/console/sensing", params={"state": "all"}, headers=HTML).text
    row = re.search(rf'<tr id="alert-{watch.alert_id}".*?</tr>', page, re.DOTALL)
    assert row
    assert "已解除" in row.group(0)
    assert "人工解除" in row.group(0)
    assert "<form" not in row.group(0)


def test_with_htmx_the_row_comes_back(
    app_client: TestClient, session: Session, watch: Watch
) -> None:
    sign_in(app_client, watch.member)
    base = f"/console/sensing/alerts/{watch.alert_id}"
    status, text, _ = post(app_client, f"{base}/acknowledge", htmx=True)
    assert status == 200
    assert f'<tr id="alert-{watch.alert_id}"' in text
    assert "已确认" in text
    assert "<html" not in text
    assert state_of(session, watch.alert_id) == "acknowledged"

    status, text, _ = post(app_client, f"{base}/resolve", htmx=True)
    assert status == 200  # shown in the row: htmx does not swap error answers
    assert "手动解除预警须填写说明（note）。" in text
    assert state_of(session, watch.alert_id) == "acknowledged"


def test_another_department_can_neither_see_nor_handle_the_alert(
    app_client: TestClient, session: Session, watch: Watch
) -> None:
    sign_in(app_client, watch.stranger)
    page = app_client.get("/console/sensing", headers=HTML).text
    assert f'id="alert-{watch.alert_id}"' not in page
    assert "PM2.5 超标" not in page
    status, text, _ = post(app_client, f"/console/sensing/alerts/{watch.alert_id}/acknowledge")
    assert status == 403
    assert "无权执行此操作" in text
    assert state_of(session, watch.alert_id) == "raised"


def test_an_alert_on_closed_data_does_not_exist_for_another_department(
    app_client: TestClient, session: Session
) -> None:
    watch = _watch(session, is_open=False)
    sign_in(app_client, watch.member)
    assert "不开放" in app_client.get("/console/sensing", headers=HTML).text
    app_client.cookies.clear()
    sign_in(app_client, watch.stranger)
    status, _, _ = post(
        app_client, f"/console/sensing/alerts/{watch.alert_id}/resolve", note="不是我们的"
    )
    assert status == 404
    assert state_of(session, watch.alert_id) == "raised"


def test_handling_an_alert_needs_the_csrf_token(
    app_client: TestClient, session: Session, watch: Watch
) -> None:
    sign_in(app_client, watch.member)
    app_client.get("/console/sensing", headers=HTML)
    response = app_client.post(
        f"/console/sensing/alerts/{watch.alert_id}/resolve",
        data={"note": "没有令牌"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert state_of(session, watch.alert_id) == "raised"


def test_the_page_needs_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/console/sensing", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console/sensing"
