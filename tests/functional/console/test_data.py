"""The console's data pages: a department's resources, uploading a new version without
JavaScript (and what a bad or oversized file shows), and sharing requests asked for, approved
and rejected through the catalog's services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.factories.core import actor, make_department, make_user
from tests.functional.core.test_pages import csrf_of, sign_in
from tests.support.databases import BoundDatabase
from yiwang.catalog import datastore_versions, sharing
from yiwang.catalog.models import ShareRequest
from yiwang.core.config import Settings
from yiwang.core.jobs import Worker
from yiwang.core.policy import SYSTEM, Role

HTML = {"Accept": "text/html"}
MAX_UPLOAD = 64 * 1024  # this module's server refuses bigger uploads

STATIONS = """站点编号,站点名称,城市,AQI
1001,西溪,杭州市,42
1002,朝晖五区,杭州市,57
2001,市监测站,宁波市,63
"""
MORE_STATIONS = STATIONS + "3001,鹿城,温州市,38\n3002,龙湾,温州市,45\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite:///unused.db",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        log_format="text",
        max_upload_bytes=MAX_UPLOAD,
    )


@dataclass
class Org:
    air: str  # the environment department's open resource (name), loaded once
    air_table: str  # its distribution's id
    draft: str  # a draft of the environment department
    licences: str  # conditionally shared by the environment department
    transport_only: str  # the transport department's closed resource


@pytest.fixture
def org(session: Session, db: BoundDatabase, tmp_path: Path) -> Org:
    env = make_department(session, name_zh="省生态环境厅", slug="consoleenv")
    transport = make_department(session, name_zh="省交通运输厅", slug="consoletransport")
    editor = make_user(session, role=Role.EDITOR, department=env, username="env_editor")
    make_user(session, role=Role.DEPARTMENT_ADMIN, department=env, username="env_admin")
    make_user(session, role=Role.MEMBER, department=env, username="env_member")
    make_user(session, role=Role.MEMBER, department=transport, username="tr_member")
    make_user(session, role=Role.DEPARTMENT_ADMIN, department=transport, username="tr_admin")
    make_user(session, role=Role.SYSADMIN, username="root")
    air = make_resource(session, actor(editor), department_id=env.id, title="空气质量站点日报")
    table = make_distribution(session, actor(editor), air, name="站点日报表")
    draft = make_resource(
        session, actor(editor), department_id=env.id, title="排污许可草稿", state="draft"
    )
    licences = make_resource(
        session,
        actor(editor),
        department_id=env.id,
        title="排污许可证信息",
        share_class="conditional",
        share_conditions="仅用于监管执法",
        open_class="none",
        open_conditions="含企业联系人信息",
        fields=[{"name": "许可证编号"}, {"name": "企业名称"}, {"name": "联系人"}],
    )
    closed = make_resource(
        session,
        SYSTEM,
        department_id=transport.id,
        title="治超检测站称重明细",
        share_class="none",
        share_conditions="涉及执法记录",
        open_class="none",
        open_conditions="涉及执法记录",
    )
    session.commit()
    _, job = upload(db, actor(editor), table.id, STATIONS.encode(), "stations.csv", tmp_path)
    assert job.status == "succeeded", job.error
    return Org(air.name, table.id, draft.name, licences.name, closed.name)


def _versions(session: Session, distribution_id: str) -> list[tuple[int, str, bool]]:
    session.expire_all()
    found = datastore_versions.versions(session, actor=SYSTEM, distribution_id=distribution_id)
    current = datastore_versions.get_distribution(session, actor=SYSTEM, ref=distribution_id)[0]
    return [(v.number, v.status, v.id == current.current_version_id) for v in found]


def _upload_form(client: TestClient, org: Org, content: bytes, filename: str) -> object:
    page = client.get(f"/console/data/{org.air}", headers=HTML)
    assert page.status_code == 200, page.text
    return client.post(
        f"/console/data/{org.air}/distributions/{org.air_table}/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": (filename, content, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )


def test_the_public_dataset_page_leads_staff_to_the_console(
    app_client: TestClient, org: Org
) -> None:
    link = f'href="/console/data/{org.air}"'
    assert link not in app_client.get(f"/dataset/{org.air}", headers=HTML).text
    sign_in(app_client, "env_editor")
    page = app_client.get(f"/dataset/{org.air}", headers=HTML).text
    assert link in page
    assert app_client.get(f"/console/data/{org.air}", headers=HTML).status_code == 200


def test_the_department_sees_its_resources_and_not_another_departments_closed_ones(
    app_client: TestClient, org: Org
) -> None:
    sign_in(app_client, "env_editor")
    page = app_client.get("/console/data", headers=HTML)
    assert page.status_code == 200
    for title in ("空气质量站点日报", "排污许可草稿", "排污许可证信息"):
        assert title in page.text
    assert "治超检测站称重明细" not in page.text
    assert "站点日报表" in page.text
    assert "第 1 版" in page.text
    assert f'href="/dataset/{org.air}"' in page.text
    assert f'href="/console/data/{org.air}"' in page.text

    app_client.cookies.clear()
    sign_in(app_client, "tr_member")
    page = app_client.get("/console/data", headers=HTML)
    assert "治超检测站称重明细" in page.text
    assert "空气质量站点日报" not in page.text
    assert "排污许可草稿" not in page.text
    # Another department's draft does not exist for them; its published entries can be found.
    assert app_client.get(f"/console/data/{org.draft}", headers=HTML).status_code == 404
    found = app_client.get("/console/data", params={"q": "排污许可证"}, headers=HTML)
    assert "排污许可证信息" in found.text
    assert "排污许可草稿" not in found.text

    app_client.cookies.clear()
    sign_in(app_client, "root")
    page = app_client.get("/console/data", headers=HTML)
    assert "治超检测站称重明细" in page.text
    assert "排污许可草稿" in page.text
    department = re.search(r'<option value="(\d+)">省交通运输厅</option>', page.text)
    assert department is not None
    page = app_client.get("/console/data", params={"department": department[1]}, headers=HTML)
    assert "治超检测站称重明细" in page.text
    assert "空气质量站点日报" not in page.text


def test_an_upload_without_javascript_loads_a_new_version(
    app_client: TestClient, db: BoundDatabase, session: Session, org: Org
) -> None:
    sign_in(app_client, "env_editor")
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text
    # The form posts here without JavaScript; the script sends it to the catalog's API.
    assert f'data-upload-api="/api/v1/catalog/distributions/{org.air_table}/upload"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "<progress" in page
    sent = _upload_form(app_client, org, MORE_STATIONS.encode("gbk"), "stations-gbk.csv")
    assert sent.status_code == 303  # type: ignore[attr-defined]
    location = sent.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith(f"/console/data/{org.air}?uploaded=2")
    queued = app_client.get(location, headers=HTML).text
    assert "第 2 版正在排队载入" in queued
    made_up = app_client.get(f"/console/data/{org.air}?uploaded=<i>9</i>", headers=HTML).text
    assert "正在排队载入" not in made_up  # a link cannot make the page announce an upload
    assert "载入中" in queued

    Worker(db).run_one()
    assert _versions(session, org.air_table) == [(2, "ready", True), (1, "ready", False)]
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text
    assert "当前版本：第 2 版，5 行" in page
    assert "stations-gbk.csv" in page


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (STATIONS.encode() + b"3001,\xff\xfe\xfd,x,1\n", "第 5 行"),  # neither UTF-8 nor GBK
        ((STATIONS + "3001,鹿城,温州市\n").encode(), "第 5 行有 3 列，表头有 4 列"),  # ragged
    ],
    ids=["undecodable", "ragged"],
)
def test_a_bad_file_fails_its_version_in_chinese_and_the_old_one_stays(
    app_client: TestClient,
    db: BoundDatabase,
    session: Session,
    org: Org,
    content: bytes,
    named: str,
) -> None:
    sign_in(app_client, "env_editor")
    assert _upload_form(app_client, org, content, "stations.csv").status_code == 303  # type: ignore[attr-defined]
    Worker(db).run_one()
    assert _versions(session, org.air_table) == [(2, "failed", False), (1, "ready", True)]
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text
    assert "最近一次载入失败" in page
    assert "文件无法载入" in page
    assert named in page
    assert "当前版本：第 1 版，3 行" in page


def test_a_failed_loads_message_is_for_the_department_that_loads_the_data(
    app_client: TestClient, db: BoundDatabase, session: Session, org: Org
) -> None:
    # The loader quotes the file's cells in its message (here a ragged row's); staff of another
    # department may see the resource's versions, but not what the file held.
    sign_in(app_client, "env_editor")
    ragged = (STATIONS + "3001,鹿城,温州市\n").encode()
    assert _upload_form(app_client, org, ragged, "stations.csv").status_code == 303  # type: ignore[attr-defined]
    Worker(db).run_one()
    assert "第 5 行有 3 列，表头有 4 列" in app_client.get(f"/console/data/{org.air}").text

    app_client.cookies.clear()
    sign_in(app_client, "tr_member")
    page = app_client.get(f"/console/data/{org.air}", headers=HTML)
    assert page.status_code == 200
    assert "最近一次载入失败" in page.text  # that the load failed is no secret
    assert "文件无法载入" not in page.text
    assert "第 5 行" not in page.text
    versions = app_client.get(
        f"/api/v1/catalog/distributions/{org.air_table}/versions",
        headers={"Accept": "application/json", "X-CSRF-Token": ""},
    ).json()
    assert versions[0]["status"] == "failed"
    assert versions[0]["error"] is None


def test_an_oversized_upload_is_refused_on_the_form(
    app_client: TestClient, session: Session, org: Org
) -> None:
    sign_in(app_client, "env_editor")
    big = STATIONS.encode() + b"9999,tail,city,1\n" * (MAX_UPLOAD // 16)
    refused = _upload_form(app_client, org, big, "big.csv")
    assert refused.status_code == 413  # type: ignore[attr-defined]
    assert "上传内容超过大小限制" in refused.text  # type: ignore[attr-defined]
    assert 'role="alert"' in refused.text  # type: ignore[attr-defined]
    assert _versions(session, org.air_table) == [(1, "ready", True)]


def test_uploads_need_the_forms_csrf_token_and_an_editor(
    app_client: TestClient, session: Session, org: Org
) -> None:
    sign_in(app_client, "env_editor")
    forged = app_client.post(
        f"/console/data/{org.air}/distributions/{org.air_table}/upload",
        files={"file": ("stations.csv", STATIONS.encode(), "text/csv")},
        headers=HTML,
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.text

    app_client.cookies.clear()
    sign_in(app_client, "env_member")  # staff of the department, but not an editor
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text
    assert "upload-form" not in page
    refused = _upload_form(app_client, org, STATIONS.encode(), "stations.csv")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _versions(session, org.air_table) == [(1, "ready", True)]


def _request_share(client: TestClient, org: Org, purpose: str) -> int:
    page = client.get(f"/console/data/{org.licences}", headers=HTML)
    assert "提交共享申请" in page.text
    sent = client.post(
        f"/console/data/{org.licences}/share-requests",
        data={
            "csrf": csrf_of(page.text),
            "purpose": purpose,
            "duration_days": "30",
            "fields": ["许可证编号", "企业名称"],
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    match = re.search(r"requested=(\d+)", sent.headers["location"])
    assert match is not None
    return int(match[1])


def _status(session: Session, request_id: int) -> str:
    session.expire_all()
    found = session.get(ShareRequest, request_id)
    assert found is not None
    return sharing.effective_status(found)


def _decide(client: TestClient, request_id: int, verb: str, reason: str = "") -> tuple[int, str]:
    page = client.get("/console/sharing", headers=HTML).text
    answer = client.post(
        f"/console/sharing/{request_id}/{verb}",
        data={"csrf": csrf_of(page), "reason": reason},
        headers=HTML,
        follow_redirects=True,
    )
    return answer.status_code, answer.text


def test_a_request_is_made_then_approved_by_the_providing_departments_admin(
    app_client: TestClient, session: Session, org: Org
) -> None:
    sign_in(app_client, "tr_member")
    request_id = _request_share(app_client, org, "治超执法中核对企业排污许可 <script>x</script>")
    outgoing = app_client.get(
        "/console/sharing", params={"box": "outgoing", "requested": request_id}, headers=HTML
    ).text
    assert f"共享申请 #{request_id} 已提交" in outgoing
    assert "待审批" in outgoing
    assert "&lt;script&gt;x&lt;/script&gt;" in outgoing
    assert "<script>x" not in outgoing
    assert "许可证编号、企业名称" in outgoing

    app_client.cookies.clear()
    sign_in(app_client, "env_member")  # sees the request, cannot decide it
    incoming = app_client.get("/console/sharing", headers=HTML).text
    assert f"#{request_id}" in incoming
    assert "省交通运输厅" in incoming
    assert f"/console/sharing/{request_id}/approve" not in incoming
    assert _decide(app_client, request_id, "approve")[0] == 403
    assert _status(session, request_id) == "pending"

    app_client.cookies.clear()
    sign_in(app_client, "env_admin")
    incoming = app_client.get("/console/sharing", headers=HTML).text
    assert f"/console/sharing/{request_id}/approve" in incoming
    status, page = _decide(app_client, request_id, "approve")
    assert status == 200
    assert f"申请 #{request_id}：" in page
    assert "已批准" in page
    assert _status(session, request_id) == "approved"

    app_client.cookies.clear()
    sign_in(app_client, "tr_member")
    page = app_client.get(f"/console/data/{org.licences}", headers=HTML).text
    assert "共享数据，不脱敏" in page
    assert "依据已批准的共享申请" in page


def test_a_rejection_needs_a_reason_and_only_the_owners_admin_decides(
    app_client: TestClient, session: Session, org: Org
) -> None:
    sign_in(app_client, "tr_member")
    request_id = _request_share(app_client, org, "用于治超执法的企业信息核对")

    # The requesting department's own admin cannot decide it.
    app_client.cookies.clear()
    sign_in(app_client, "tr_admin")
    assert _decide(app_client, request_id, "approve")[0] == 403
    assert _status(session, request_id) == "pending"

    app_client.cookies.clear()
    sign_in(app_client, "env_admin")
    status, page = _decide(app_client, request_id, "reject", reason="  ")
    assert status == 422
    assert "驳回申请须说明理由" in page
    assert _status(session, request_id) == "pending"

    forged = app_client.post(
        f"/console/sharing/{request_id}/reject", data={"reason": "伪造"}, headers=HTML
    )
    assert forged.status_code == 403
    assert _status(session, request_id) == "pending"

    status, page = _decide(app_client, request_id, "reject", reason="用途与共享条件不符")
    assert status == 200
    assert "已驳回" in page
    assert _status(session, request_id) == "rejected"
    assert "用途与共享条件不符" in page
    # Decided once: no second decision.
    status, page = _decide(app_client, request_id, "approve")
    assert status == 409
    assert "该申请已处理" in page


def test_a_request_form_keeps_its_values_and_says_what_is_wrong(
    app_client: TestClient, session: Session, org: Org
) -> None:
    sign_in(app_client, "tr_member")
    page = app_client.get(f"/console/data/{org.licences}", headers=HTML).text
    refused = app_client.post(
        f"/console/data/{org.licences}/share-requests",
        data={"csrf": csrf_of(page), "purpose": "核对", "duration_days": "30"},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "字段 purpose 无效：请用 5–5000 个字说明用途" in refused.text
    assert ">核对</textarea>" in refused.text
    assert sharing.list_requests(session, actor=SYSTEM, incoming=True) == []

    # A resource that is not shared on conditions takes no requests: no form, and a refusal.
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text
    assert "无条件共享" in page
    assert "share-form" not in page
    refused = app_client.post(
        f"/console/data/{org.air}/share-requests",
        data={"csrf": csrf_of(page), "purpose": "用于交通规划分析", "duration_days": "30"},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert "该资源不接受共享申请" in refused.text


def test_the_pages_speak_english_when_asked(app_client: TestClient, org: Org) -> None:
    sign_in(app_client, "env_editor")
    page = app_client.get("/console/data", params={"lang": "en"}, headers=HTML).text
    assert "Your department&#39;s resources" in page
    assert "v1" in page
    page = app_client.get(f"/console/data/{org.air}", headers=HTML).text  # the cookie holds
    assert "Upload a new version" in page
    assert "Current version: v1, 3 rows" in page
    assert '"done": "Loaded: {rows} rows; version {version} is now current."' in page
    page = app_client.get("/console/sharing", headers=HTML).text
    assert "Made to your department" in page
    assert "No sharing requests." in page
