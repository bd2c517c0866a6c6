"""The real CKAN client against a live ``yiwang serve``: ``ckanapi.RemoteCKAN`` and the
``ckanapi`` command, unchanged, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from tests.support.processes import live_server
from yiwang.catalog import service
from yiwang.catalog.schemas import ResourceCreate
from yiwang.core import identity
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM, Role

pytestmark = pytest.mark.slow

CKANAPI = Path(sys.executable).with_name("ckanapi")

AIR_QUALITY = """城市,监测点,监测时间,AQI,PM2.5,首要污染物
杭州市,西湖,2025-10-01 08:00,45,12.5,无
杭州市,滨江,2025-10-01 08:00,88,40.2,细颗粒物
杭州市,下沙,2025-10-01 08:00,102,75.0,细颗粒物
宁波市,三江口,2025-10-01 08:00,60,20.1,臭氧
温州市,鹿城,2025-10-01 08:00,35,8.0,无
"""

# package_create as an environment department's editor would call it.
AIR_PACKAGE: dict[str, Any] = {
    "name": "hz-air-quality-hourly",
    "title": "杭州市空气质量小时数据",
    "notes": "杭州市各国控监测站点逐小时发布的空气质量指数（AQI）和主要污染物浓度。",
    "owner_org": "zjenv",
    "tags": [{"name": "空气质量"}],
    "groups": [{"name": "environment"}],
    "license_id": "cc-by-4.0",
    "open_class": "unconditional",
    "share_class": "unconditional",
    "spatial_division": "330100",
    "update_frequency": "hourly",
}


@dataclass
class Site:
    """A running server, with a database of its own holding the environment department
    (``zjenv``) and its editor, and the transport department and one of its members."""

    url: str
    db: Database
    env_department_id: int
    editor_token: str
    outsider_token: str
    clients: ExitStack = field(default_factory=ExitStack)

    def client(self, token: str | None = None) -> Any:
        """A ``RemoteCKAN`` with ``token`` (anonymous without), closed after the test."""
        return self.clients.enter_context(ckanapi.RemoteCKAN(self.url, apikey=token))

    def editor(self) -> Any:
        return self.client(self.editor_token)

    def outsider(self) -> Any:
        return self.client(self.outsider_token)

    def anonymous(self) -> Any:
        return self.client()


def _seed(db: Database) -> tuple[int, str, str]:
    """Add the two departments and their staff; return the environment department's id, the
    editor's token and the transport member's token."""
    with db.session() as session:
        env = identity.create_department(
            session, actor=SYSTEM, name_zh="浙江省生态环境厅", division_code="330000", slug="zjenv"
        )
        transport = identity.create_department(
            session,
            actor=SYSTEM,
            name_zh="浙江省交通运输厅",
            division_code="330000",
            slug="zjtransport",
        )
        editor = identity.create_user(
            session, actor=SYSTEM, username="env_editor", role=Role.EDITOR, department_id=env.id
        )
        member = identity.create_user(
            session,
            actor=SYSTEM,
            username="tr_member",
            role=Role.MEMBER,
            department_id=transport.id,
        )
        _, editor_token = identity.create_token(session, actor=SYSTEM, user_id=editor.id)
        _, member_token = identity.create_token(session, actor=SYSTEM, user_id=member.id)
        return env.id, editor_token, member_token


@pytest.fixture
def site(committed_database: Database, tmp_path: Path) -> Iterator[Site]:
    env_department_id, editor_token, outsider_token = _seed(committed_database)
    with live_server(committed_database, tmp_path) as url:
        running = Site(url, committed_database, env_department_id, editor_token, outsider_token)
        with running.clients:
            yield running


def _create_air_package(site: Site, **changes: Any) -> dict[str, Any]:
    return site.editor().action.package_create(**{**AIR_PACKAGE, **changes})


def _wait_for_datastore(ckan: Any, resource_id: str) -> dict[str, Any]:
    """Poll resource_show until the upload is loaded (the server's job worker loads it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        resource: dict[str, Any] = ckan.action.resource_show(id=resource_id)
        if resource["datastore_active"]:
            return resource
        time.sleep(0.2)
    pytest.fail(f"the upload of {resource_id} was not loaded within 30 s")


def test_the_site_its_organizations_and_groups(site: Site) -> None:
    ckan = site.anonymous()
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.")
    assert status["site_url"] == site.url
    assert "datastore" in status["extensions"]

    assert ckan.action.organization_list() == ["zjenv", "zjtransport"]
    organization = ckan.action.organization_show(id="zjenv")
    assert organization["name"] == "zjenv"
    assert organization["title"] == "浙江省生态环境厅"
    assert organization["is_organization"] is True
    groups = ckan.action.group_list()
    assert "environment" in groups
    assert "transport" in groups


def test_a_package_is_created_shown_patched_and_updated(site: Site) -> None:
    ckan = site.editor()
    created = ckan.action.package_create(**AIR_PACKAGE)
    assert created["name"] == AIR_PACKAGE["name"]
    assert created["title"] == "杭州市空气质量小时数据"
    assert created["notes"] == AIR_PACKAGE["notes"]
    assert created["organization"]["name"] == "zjenv"
    assert [t["name"] for t in created["tags"]] == ["空气质量"]
    assert [g["name"] for g in created["groups"]] == ["environment"]
    assert created["license_id"] == "cc-by-4.0"
    assert created["spatial_division"] == "330100"
    assert created["update_frequency"] == "hourly"
    assert created["private"] is False
    assert created["state"] == "active"

    shown = site.anonymous().action.package_show(id=AIR_PACKAGE["name"])
    assert shown["id"] == created["id"]
    assert shown["title"] == created["title"]

    patched = ckan.action.package_patch(id=created["id"], notes="每小时更新的空气质量指数。")
    assert patched["notes"] == "每小时更新的空气质量指数。"
    changed = {k for k in shown if shown[k] != patched.get(k)}
    # Only the notes (and the bookkeeping that records an edit) change.
    assert changed == {"notes", "summary", "revision", "version", "metadata_modified"}

    # package_update replaces the package with what is sent: the client sends back what it
    # was shown, with its edits.
    sent = {
        **patched,
        "title": "杭州市空气质量小时数据（国控站点）",
        "tags": [{"name": "空气质量"}, {"name": "PM2.5"}, {"name": "臭氧"}],
    }
    updated = ckan.action.package_update(**sent)
    assert updated["title"] == "杭州市空气质量小时数据（国控站点）"
    assert sorted(t["name"] for t in updated["tags"]) == sorted(["空气质量", "PM2.5", "臭氧"])
    assert updated["notes"] == "每小时更新的空气质量指数。"
    assert updated["spatial_division"] == "330100"
    assert updated["revision"] == patched["revision"] + 1
    assert site.anonymous().action.package_show(id=created["id"])["title"] == updated["title"]


def test_an_uploaded_gbk_csv_is_loaded_and_searched(site: Site, tmp_path: Path) -> None:
    package = _create_air_package(site)
    csv_path = tmp_path / "杭州市空气质量2025年10月.csv"
    csv_path.write_bytes(AIR_QUALITY.replace("\n", "\r\n").encode("gbk"))
    with csv_path.open("rb") as upload:
        created = site.editor().action.resource_create(
            package_id=package["id"], name="2025年10月", upload=upload
        )
    assert created["name"] == "2025年10月"
    assert created["format"] == "CSV"

    ckan = site.anonymous()
    resource = _wait_for_datastore(ckan, created["id"])
    assert resource["datastore_rows"] == 5
    assert resource["url"].startswith(site.url)

    hangzhou = ckan.action.datastore_search(
        resource_id=resource["id"], filters={"城市": "杭州市"}, sort="AQI desc", limit=2
    )
    assert hangzhou["total"] == 3
    assert [(r["监测点"], r["AQI"], r["PM2.5"]) for r in hangzhou["records"]] == [
        ("下沙", 102, 75.0),
        ("滨江", 88, 40.2),
    ]
    types = {f["id"]: f["type"] for f in hangzhou["fields"]}
    assert types == {
        "_id": "int",
        "城市": "text",
        "监测点": "text",
        "监测时间": "timestamp",
        "AQI": "int",
        "PM2.5": "numeric",
        "首要污染物": "text",
    }
    assert hangzhou["records"][0]["监测时间"].startswith("2025-10-01T08:00")

    found = ckan.action.datastore_search(resource_id=resource["id"], q="滨江")
    assert [r["监测点"] for r in found["records"]] == ["滨江"]
    assert found["total"] == 1

    picked = ckan.action.datastore_search(
        resource_id=resource["id"], fields=["城市", "AQI"], sort="AQI", limit=2
    )
    assert picked["records"] == [{"城市": "温州市", "AQI": 35}, {"城市": "杭州市", "AQI": 45}]

    cities = ckan.action.datastore_search(
        resource_id=resource["id"], fields=["城市"], distinct=True, sort="城市"
    )
    assert sorted(r["城市"] for r in cities["records"]) == ["宁波市", "杭州市", "温州市"]

    lists = ckan.action.datastore_search(
        resource_id=resource["id"],
        fields=["监测点", "AQI"],
        sort="AQI desc",
        records_format="lists",
    )
    assert lists["records"][:2] == [["下沙", 102], ["滨江", 88]]
    assert [f["id"] for f in lists["fields"]] == ["监测点", "AQI"]

    as_csv = ckan.action.datastore_search(
        resource_id=resource["id"], fields=["城市", "AQI"], sort="AQI desc", records_format="csv"
    )
    assert as_csv["records"].splitlines() == [
        "杭州市,102",
        "杭州市,88",
        "宁波市,60",
        "杭州市,45",
        "温州市,35",
    ]

    untotalled = ckan.action.datastore_search(
        resource_id=resource["id"], include_total=False, limit=1
    )
    assert "total" not in untotalled
    assert len(untotalled["records"]) == 1


def test_packages_are_found_with_facets(site: Site) -> None:
    editor = site.editor()
    air = _create_air_package(site)
    editor.action.datastore_create(
        resource={"package_id": air["id"], "name": "站点", "format": "CSV"},
        fields=[{"id": "站点", "type": "text"}],
        records=[{"站点": "西湖"}],
    )
    editor.action.package_create(
        name="nb-surface-water",
        title="宁波市地表水水质监测数据",
        notes="宁波市地表水国控断面每月水质监测结果。",
        owner_org="zjenv",
        tags=[{"name": "水质"}],
        groups=[{"name": "water"}],
        license_id="cc-by-4.0",
        open_class="unconditional",
    )
    with site.db.session() as session:  # a draft on the same subject, not yet published
        service.create_resource(
            session,
            actor=SYSTEM,
            data=ResourceCreate(
                name="hz-air-quality-draft",
                title="杭州市空气质量日报（草稿）",
                summary="尚未发布的空气质量日报。",
                department_id=site.env_department_id,
                state="draft",
                open_class="unconditional",
                tags=["空气质量"],
            ),
        )
    ckan = site.anonymous()

    found = ckan.action.package_search(
        q="空气质量",
        fq="organization:zjenv",
        **{"facet.field": ["organization", "tags", "res_format"]},
    )
    assert found["count"] == 1
    assert [p["name"] for p in found["results"]] == [AIR_PACKAGE["name"]]
    facets = found["search_facets"]
    assert facets["organization"]["items"] == [
        {"name": "zjenv", "display_name": "浙江省生态环境厅", "count": 1}
    ]
    assert {i["name"]: i["count"] for i in facets["tags"]["items"]} == {"空气质量": 1}
    assert found["facets"]["organization"] == {"zjenv": 1}

    # CKAN's documentation sends facet.field as a JSON string; the answer is the same.
    as_documented = ckan.action.package_search(
        q="空气质量", **{"facet.field": json.dumps(["organization", "tags"])}
    )
    assert as_documented["search_facets"]["organization"] == facets["organization"]

    everything = ckan.action.package_search(
        fq="organization:zjenv", rows=0, **{"facet.field": ["groups", "tags"]}
    )
    assert everything["count"] == 2
    assert everything["results"] == []
    groups = {i["name"]: i for i in everything["search_facets"]["groups"]["items"]}
    assert groups["environment"]["display_name"] == "生态环境"
    assert groups["water"]["count"] == 1

    # A draft is found only by its own editor, and only when asked for, as in CKAN.
    mine = editor.action.package_search(q="空气质量")
    assert [p["name"] for p in mine["results"]] == [AIR_PACKAGE["name"]]
    with_drafts = editor.action.package_search(q="空气质量", include_drafts=True)
    assert sorted(p["name"] for p in with_drafts["results"]) == sorted(
        [AIR_PACKAGE["name"], "hz-air-quality-draft"]
    )

    assert sorted(ckan.action.package_list()) == sorted([AIR_PACKAGE["name"], "nb-surface-water"])
    assert {"空气质量", "水质"} <= set(ckan.action.tag_list())

    # res_format counts the formats of the package's resources (CKAN's meaning), the same
    # formats that fq=res_format:CSV filters on.
    assert [p["name"] for p in ckan.action.package_search(fq="res_format:CSV")["results"]] == [
        AIR_PACKAGE["name"]
    ]
    assert facets["res_format"]["items"] == [{"name": "CSV", "display_name": "CSV", "count": 1}]


def test_the_datastore_is_written_directly(site: Site) -> None:
    editor = site.editor()
    package = _create_air_package(site)
    created = editor.action.datastore_create(
        resource={"package_id": package["id"], "name": "监测站点名录"},
        fields=[{"id": "编号", "type": "int"}, {"id": "名称", "type": "text"}],
        records=[{"编号": 1, "名称": "西湖"}, {"编号": 2, "名称": "滨江"}],
        primary_key=["编号"],
    )
    resource_id = created["resource_id"]
    assert created["fields"] == [{"id": "编号", "type": "int"}, {"id": "名称", "type": "text"}]
    ckan = site.anonymous()
    assert ckan.action.resource_show(id=resource_id)["datastore_active"] is True

    def rows() -> list[tuple[int, str]]:
        found = ckan.action.datastore_search(resource_id=resource_id, sort="编号")
        assert found["total"] == len(found["records"])
        return [(r["编号"], r["名称"]) for r in found["records"]]

    assert rows() == [(1, "西湖"), (2, "滨江")]

    editor.action.datastore_upsert(
        resource_id=resource_id,
        records=[{"编号": 1, "名称": "西湖（杭州植物园）"}, {"编号": 3, "名称": "下沙"}],
        method="upsert",
    )
    assert rows() == [(1, "西湖（杭州植物园）"), (2, "滨江"), (3, "下沙")]

    editor.action.datastore_delete(resource_id=resource_id, filters={"编号": 2})
    assert rows() == [(1, "西湖（杭州植物园）"), (3, "下沙")]
    assert ckan.action.resource_show(id=resource_id)["datastore_rows"] == 2

    with pytest.raises(ckanapi.NotAuthorized):
        site.outsider().action.datastore_upsert(
            resource_id=resource_id, records=[{"编号": 9, "名称": "外来"}], method="insert"
        )
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.datastore_delete(resource_id=resource_id, filters={"编号": 1})
    assert rows() == [(1, "西湖（杭州植物园）"), (3, "下沙")]


def test_errors_are_ckanapis_exceptions(site: Site) -> None:
    editor = site.editor()
    with pytest.raises(ckanapi.NotFound):
        site.anonymous().action.package_show(id="nope")

    with pytest.raises(ckanapi.ValidationError) as bad_division:
        editor.action.package_create(**{**AIR_PACKAGE, "spatial_division": "339999"})
    assert "spatial_division" in bad_division.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as no_title:
        editor.action.package_create(**{k: v for k, v in AIR_PACKAGE.items() if k != "title"})
    assert "title" in no_title.value.error_dict
    with pytest.raises(ckanapi.ValidationError) as no_organization:
        editor.action.package_create(**{k: v for k, v in AIR_PACKAGE.items() if k != "owner_org"})
    assert "owner_org" in no_organization.value.error_dict

    with pytest.raises(ckanapi.NotAuthorized):  # a member of another department
        site.outsider().action.package_create(**AIR_PACKAGE)
    with pytest.raises(ckanapi.NotAuthorized):  # a token the server never issued
        site.client("yw_" + "x" * 43).action.package_create(**AIR_PACKAGE)
    with pytest.raises(ckanapi.NotAuthorized):  # not even shaped like one of ours
        site.client("0b7a2f0c-1f6e-4e43-9a55-2d1c8e0f3b11").action.package_show(id="nope")

    assert site.anonymous().action.package_list() == []


def _ckanapi(*args: str) -> Any:
    """Run the ``ckanapi`` command and return what it printed, parsed as JSON."""
    done = subprocess.run(
        [str(CKANAPI), *args],
        capture_output=True,
        timeout=60,
        check=False,
    )
    stdout, stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 0, stderr
    return json.loads(stdout)


def test_the_ckanapi_command(site: Site) -> None:
    package = _create_air_package(site)
    created = site.editor().action.datastore_create(
        resource={"package_id": package["id"], "name": "监测站点", "format": "CSV"},
        fields=[{"id": "城市", "type": "text"}, {"id": "AQI", "type": "int"}],
        records=[{"城市": "杭州市", "AQI": 45}, {"城市": "宁波市", "AQI": 60}],
    )
    url = ["-r", site.url]

    shown = _ckanapi("action", "package_show", f"id={AIR_PACKAGE['name']}", *url)
    assert shown["title"] == "杭州市空气质量小时数据"
    assert shown["resources"][0]["id"] == created["resource_id"]

    found = _ckanapi("action", "package_search", "q=空气质量", *url)
    assert found["count"] == 1
    assert found["results"][0]["name"] == AIR_PACKAGE["name"]

    faceted = _ckanapi("action", "package_search", 'facet.field:["organization"]', "rows:0", *url)
    assert faceted["facets"] == {"organization": {"zjenv": 1}}

    data = _ckanapi(
        "action", "datastore_search", f"resource_id={created['resource_id']}", "sort=AQI", *url
    )
    assert [(r["城市"], r["AQI"]) for r in data["records"]] == [("杭州市", 45), ("宁波市", 60)]

    patched = _ckanapi(
        "action",
        "package_patch",
        f"id={AIR_PACKAGE['name']}",
        "notes=改由命令行更新。",
        *url,
        "-a",
        site.editor_token,
    )
    assert patched["notes"] == "改由命令行更新。"

    refused = subprocess.run(
        [str(CKANAPI), "action", "package_patch", f"id={AIR_PACKAGE['name']}", "notes=x", *url],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert b"NotAuthorized" in refused.stderr
