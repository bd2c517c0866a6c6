"""The native API as a client sees it: envelopes, languages, authentication, pagination."""

from __future__ import annotations

import base64
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import tests.support.jobs  # noqa: F401
from tests.factories.core import PASSWORD, make_department, make_token, make_user
from tests.support.calendars import notice_2027
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core import clock
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.identity import Department
from yiwang.core.jobs import Worker
from yiwang.core.policy import Role


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(username: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


def _sysadmin_token(session: Session) -> str:
    admin = make_user(session, role=Role.SYSADMIN)
    token = make_token(session, admin)
    session.commit()
    return token


def test_health_and_readiness(app_client: TestClient, dialect: str) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    ready = app_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == dialect


def test_every_response_carries_a_request_id(app_client: TestClient) -> None:
    given = app_client.get("/healthz", headers={"X-Request-ID": "trace-abc-12345"})
    assert given.headers["x-request-id"] == "trace-abc-12345"
    made = app_client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["x-request-id"]) == 32


def test_departments_are_public_and_paginated(app_client: TestClient, session: Session) -> None:
    for _ in range(3):
        make_department(session)
    session.commit()
    total = session.scalar(select(func.count()).select_from(Department))
    first = app_client.get("/api/v1/departments", params={"limit": 2}).json()
    assert first["total"] == total
    assert len(first["items"]) == 2
    assert first["next"].endswith("limit=2&offset=2")
    second = app_client.get(first["next"]).json()
    assert {d["id"] for d in second["items"]}.isdisjoint({d["id"] for d in first["items"]})
    assert first["items"][0]["division_name"]


def test_creating_a_department_needs_a_sysadmin(app_client: TestClient, session: Session) -> None:
    editor = make_user(session, role=Role.EDITOR)
    editor_token = make_token(session, editor)
    admin_token = _sysadmin_token(session)
    body = {"name_zh": "台州市大数据发展管理局", "division_code": "331000"}

    assert app_client.post("/api/v1/departments", json=body).status_code == 401
    denied = app_client.post("/api/v1/departments", json=body, headers=bearer(editor_token))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "policy.denied"
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (entry.outcome, entry.action, entry.actor_id) == (
        "denied",
        "department.create",
        editor.id,
    )

    created = app_client.post("/api/v1/departments", json=body, headers=bearer(admin_token))
    assert created.status_code == 201
    assert created.json()["division_name"] == "台州市"
    again = app_client.post("/api/v1/departments", json=body, headers=bearer(admin_token))
    assert again.status_code == 409


def test_an_invalid_division_code_in_both_languages(
    app_client: TestClient, session: Session
) -> None:
    token = _sysadmin_token(session)
    before = session.scalar(select(func.count()).select_from(Department))
    body = {"name_zh": "不存在的局", "division_code": "339999"}
    zh = app_client.post("/api/v1/departments", json=body, headers=bearer(token))
    en = app_client.post(
        "/api/v1/departments",
        json=body,
        headers={**bearer(token), "Accept-Language": "en-US,en;q=0.9"},
    )
    assert zh.status_code == en.status_code == 422
    assert zh.json()["error"]["details"][0]["message"] == "行政区划代码无效（GB/T 2260）：339999"
    assert en.json()["error"]["details"][0]["message"].startswith(
        "Not a valid administrative division code"
    )
    assert en.json()["error"]["details"][0]["field"] == "division_code"
    assert session.scalar(select(func.count()).select_from(Department)) == before


def test_malformed_json_gets_the_envelope(app_client: TestClient, session: Session) -> None:
    token = _sysadmin_token(session)
    response = app_client.post(
        "/api/v1/departments",
        content=b'{"name_zh": "x",',
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "malformed_json"
    assert response.json()["error"]["message"] == "请求正文不是有效的 JSON。"


def test_unknown_paths_get_the_envelope(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "The requested resource was not found.",
            "details": None,
        }
    }
    missing = app_client.get("/api/v1/departments/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "object_not_found"


def test_tokens_over_the_api(app_client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.EDITOR)
    session.commit()
    auth = basic(user.username, PASSWORD)
    created = app_client.post(
        "/api/v1/tokens", json={"name": "etl", "expires_days": 30}, headers=auth
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert (
        app_client.get("/api/v1/users/me", headers=bearer(token)).json()["username"]
        == user.username
    )
    assert (
        app_client.get("/api/v1/users/me", headers=basic(user.username, token)).status_code == 200
    )
    listed = app_client.get("/api/v1/tokens", headers=bearer(token)).json()
    assert [t["name"] for t in listed] == ["etl"]
    assert "token" not in listed[0]
    revoked = app_client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=bearer(token))
    assert revoked.status_code == 200
    after = app_client.get("/api/v1/users/me", headers={**bearer(token), "Accept-Language": "en"})
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "The API token has been revoked."


def test_bad_credentials_are_refused_not_ignored(app_client: TestClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    # A wrong token on a public endpoint is still an error: the caller must learn it is wrong.
    assert app_client.get("/api/v1/departments", headers=bearer("yw_wrong")).status_code == 401
    wrong = app_client.get("/api/v1/users/me", headers=basic(user.username, "wrong password"))
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "用户名或密码错误。"
    assert (
        app_client.get("/api/v1/users/me", headers={"Authorization": "Basic !!!"}).status_code
        == 401
    )
    someone_else = make_user(session)
    token = make_token(session, someone_else)
    session.commit()
    assert (
        app_client.get("/api/v1/users/me", headers=basic(user.username, token)).status_code == 401
    )


def test_users_are_listed_for_admins_and_audited(app_client: TestClient, session: Session) -> None:
    department = make_department(session)
    admin = make_user(session, role=Role.DEPARTMENT_ADMIN, department=department)
    member = make_user(session, role=Role.MEMBER, department=department)
    admin_token, member_token = make_token(session, admin), make_token(session, member)
    session.commit()
    listed = app_client.get(
        "/api/v1/users", params={"department_id": department.id}, headers=bearer(admin_token)
    )
    assert listed.status_code == 200
    assert {u["username"] for u in listed.json()["items"]} == {admin.username, member.username}
    assert all("password" not in str(u) for u in listed.json()["items"])
    assert (
        app_client.get(
            "/api/v1/users", params={"department_id": department.id}, headers=bearer(member_token)
        ).status_code
        == 403
    )


def test_audit_log_reading_and_verifying_through_a_job(
    app_client: TestClient, session: Session, db: BoundDatabase
) -> None:
    token = _sysadmin_token(session)
    page = app_client.get("/api/v1/audit", params={"limit": 2}, headers=bearer(token)).json()
    assert [e["action"] for e in page["items"]] == ["token.create", "user.create"]  # newest first
    assert page["total"] == 2
    queued = app_client.post("/api/v1/audit/verify", headers=bearer(token))
    assert queued.status_code == 202
    job_id = queued.json()["id"]
    assert queued.json()["status"] == "queued"
    assert Worker(db).run_one()
    job = app_client.get(f"/api/v1/jobs/{job_id}", headers=bearer(token)).json()
    assert (job["status"], job["progress"]) == ("succeeded", 100)
    assert job["result"]["ok"] is True
    assert job["result"]["checked"] > 0


def test_calendar_endpoints(app_client: TestClient, session: Session) -> None:
    assert app_client.get("/api/v1/calendar/days/2025-10-11").json()["is_workday"] is True
    assert (
        app_client.get(
            "/api/v1/calendar/add", params={"start": "2025-09-26", "workdays": 10}
        ).json()["date"]
        == "2025-10-16"
    )
    assert (
        app_client.get(
            "/api/v1/calendar/between", params={"start": "2025-09-26", "end": "2025-10-16"}
        ).json()["workdays"]
        == 10
    )
    provisional = app_client.get(
        "/api/v1/calendar/add", params={"start": "2027-02-03", "workdays": 5}
    ).json()
    assert provisional == {
        "start": "2027-02-03",
        "workdays": 5,
        "date": "2027-02-17",
        "provisional": True,
    }
    beyond = app_client.get("/api/v1/calendar/days/2100-03-01", headers={"Accept-Language": "en"})
    assert beyond.status_code == 422
    assert beyond.json()["error"]["code"] == "calendar.year_not_loaded"
    token = _sysadmin_token(session)
    refused = app_client.post(
        "/api/v1/calendar/import",
        headers=bearer(token) | {"Accept-Language": "en"},
        files={"file": ("2027.csv", b"2027-03-01,holiday,test\n", "text/csv")},
    )
    assert refused.status_code == 422
    assert "does not list 2027-01-01" in refused.json()["error"]["message"]
    imported = app_client.post(
        "/api/v1/calendar/import",
        headers=bearer(token),
        files={"file": ("2027.csv", notice_2027().encode(), "text/csv")},
        data={"year": "2027"},
    )
    assert imported.json() == {"years": [2027]}
    assert app_client.get("/api/v1/calendar/days/2027-02-13").json()["is_workday"] is False
    official = app_client.get(
        "/api/v1/calendar/add", params={"start": "2027-02-03", "workdays": 5}
    ).json()
    assert (official["date"], official["provisional"]) == ("2027-02-18", False)


def test_calendar_status_and_readiness_warn_about_next_year(app_client: TestClient) -> None:
    with clock.pin("2026-10-08"):
        status = app_client.get("/api/v1/calendar/status", headers={"Accept-Language": "en"})
        ready = app_client.get("/readyz")
    body = status.json()
    assert body["today"] == "2026-10-08"
    assert {"year": 2027, "state": "provisional", "source": "law"} in body["years"]
    assert [w["code"] for w in body["warnings"]] == ["calendar.next_year_provisional"]
    assert "yiwang calendar import" in body["warnings"][0]["message"]
    assert ready.status_code == 200  # a warning, not an outage
    assert ready.json()["warnings"][0]["year"] == 2027
    with clock.pin("2026-06-01"):
        assert app_client.get("/api/v1/calendar/status").json()["warnings"] == []


def test_configuration_is_shown_masked_to_sysadmins(
    app_client: TestClient, session: Session
) -> None:
    token = _sysadmin_token(session)
    shown = app_client.get("/api/v1/config", headers=bearer(token)).json()
    assert shown["secret_key"] == "********"
    assert "test-secret-key" not in str(shown)


def test_openapi_and_offline_docs(app_client: TestClient) -> None:
    spec = app_client.get("/api/openapi.json").json()
    assert "/api/v1/departments" in spec["paths"]
    docs = app_client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert app_client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_standard_codes_are_checked_with_clear_errors(app_client: TestClient) -> None:
    ok = app_client.post(
        "/api/v1/codes/check", json={"kind": "uscc", "value": "91330106MA2B0FAK3X"}
    )
    assert ok.json() == {"kind": "uscc", "value": "91330106MA2B0FAK3X", "name": None}
    county = app_client.post("/api/v1/codes/check", json={"kind": "division", "value": "330106"})
    assert county.json()["name"] == "浙江省杭州市西湖区"
    bad_uscc = app_client.post(
        "/api/v1/codes/check", json={"kind": "uscc", "value": "91330106MA2B0FAK3Y"}
    )
    assert bad_uscc.status_code == 422
    assert (
        bad_uscc.json()["error"]["message"]
        == "统一社会信用代码无效（GB 32100）：91330106MA2B0FAK3Y"
    )
    bad_id = app_client.post(
        "/api/v1/codes/check",
        headers={"Accept-Language": "en"},
        json={"kind": "resident_id", "value": "110105194912310021"},
    )
    assert bad_id.status_code == 422
    assert bad_id.json()["error"]["message"].startswith("Not a valid resident identity number")
    unknown = app_client.post("/api/v1/codes/check", json={"kind": "passport", "value": "x"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "kind"


def test_secrets_never_reach_the_logs(
    app_client: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user(session)
    token = make_token(session, user)
    session.commit()
    with caplog.at_level(logging.DEBUG):
        app_client.get("/api/v1/users/me", headers=bearer(token))
        app_client.get("/api/v1/users/me", headers=basic(user.username, PASSWORD))
        app_client.get("/api/v1/users/me", headers=basic(user.username, "wrong-password-x"))
        app_client.post(
            "/api/v1/codes/check", json={"kind": "resident_id", "value": "11010519491231002X"}
        )
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "GET /api/v1/users/me" in text  # the requests were logged
    for secret in (token, PASSWORD, "wrong-password-x", "11010519491231002X"):
        assert secret not in text


def test_a_busy_database_answers_503_to_retry_not_500(
    db: BoundDatabase, settings: Settings
) -> None:
    import sqlite3  # noqa: PLC0415

    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    app = create_app(settings, db)

    @app.post("/api/v1/test-busy")
    def busy() -> None:
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/api/v1/test-busy")
        english = client.post("/api/v1/test-busy", headers={"Accept-Language": "en"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["code"] == "database_busy"
    assert "稍后重试" in answer.json()["error"]["message"]
    assert "retry" in english.json()["error"]["message"]


def test_a_department_update_the_database_would_refuse_is_a_4xx(
    app_client: TestClient, session: Session
) -> None:
    first = make_department(session, name_zh="浙江省生态环境厅", division_code="330000")
    second = make_department(session, name_zh="浙江省水利厅", division_code="330000")
    token = _sysadmin_token(session)
    headers = bearer(token) | {"Accept-Language": "en"}
    nameless = app_client.patch(
        f"/api/v1/departments/{second.id}", json={"name_zh": None}, headers=headers
    )
    assert nameless.status_code == 422
    taken = app_client.patch(
        f"/api/v1/departments/{second.id}", json={"name_zh": first.name_zh}, headers=headers
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "integrity_conflict"
    assert "nothing was stored" in taken.json()["error"]["message"]
    assert app_client.get(f"/api/v1/departments/{second.id}").json()["name_zh"] == "浙江省水利厅"
