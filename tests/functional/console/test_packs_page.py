"""The console's domain packs: the packs installed with their versions and what each engine
holds, the packs found but not installed with the command that installs them; sign-in needed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import sign_in
from yiwang.core import packs
from yiwang.core.policy import SYSTEM, Role

HTML = {"Accept": "text/html"}


@pytest.fixture
def water_department(session: Session) -> None:
    for slug in ("zjwater", "qzwater", "zjdata"):
        make_department(session, name_zh=f"测试{slug}", division_code="330000", slug=slug)


def test_an_anonymous_visitor_is_sent_to_sign_in(app_client: TestClient) -> None:
    response = app_client.get("/console/packs", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console/packs"


def test_staff_see_the_installed_pack_and_the_packs_to_install(
    app_client: TestClient, session: Session, water_department: None
) -> None:
    water = packs.find("water")
    packs.install(session, actor=SYSTEM, manifest=water)
    department = make_department(session, name_zh="市场监管局")
    make_user(session, username="clerk", role=Role.EDITOR, department=department)
    session.commit()
    sign_in(app_client, "clerk")

    home = app_client.get("/console", headers=HTML).text
    assert 'href="/console/packs"' in home

    response = app_client.get("/console/packs", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert '<tr id="pack-water">' in page
    assert f'<td class="pack-version">{water.version}</td>' in page
    assert water.title in page
    assert "政务服务: 办事事项 3, 投诉类别 1, 处置事项 1 · 物联感知: " in page
    assert "预警规则 1" in page
    assert f'<td class="pack-found">{water.version}</td>' in page
    assert "可升级" not in page
    assert "未在本机找到" not in page
    assert '<tr id="found-water">' not in page  # installed, so not offered again
    assert "<code>yiwang pack install environment</code>" in page

    english = app_client.get("/console/packs", params={"lang": "en"}, headers=HTML).text
    assert "Domain packs" in english
    assert "Government services: services 3, complaint categories 1, tasks 1 · Sensing: " in english


def test_a_newer_version_found_is_offered_as_an_upgrade(
    app_client: TestClient,
    session: Session,
    water_department: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packs.install(session, actor=SYSTEM, manifest=packs.find("water"))
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    sign_in(app_client, "root")
    found = dict(packs.found())
    newer = packs.find("water")
    newer.files[packs.PACK_FILE].data["pack"]["version"] = "99.0"
    found["water"] = newer
    monkeypatch.setattr(packs, "found", lambda: found)
    page = app_client.get("/console/packs", headers=HTML).text
    assert '<td class="pack-found">99.0 <strong class="pack-upgrade">可升级</strong>' in page

    del found["water"]
    page = app_client.get("/console/packs", headers=HTML).text
    assert "未在本机找到" in page
