"""The catalog's native API as a department's script uses it: register, upload, follow the
job, read, share."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.functional.catalog.conftest import Government
from tests.functional.catalog.test_datastore import STATIONS
from tests.support.databases import BoundDatabase
from yiwang.core.config import Settings
from yiwang.core.jobs import Worker


def auth(token: str, language: str = "zh-CN") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": language}


def _register(client: TestClient, gov: Government, **extra: object) -> dict[str, object]:
    body = {
        "title": "杭州市空气质量小时数据",
        "summary": "逐小时监测（合成数据）",
        "department_id": gov.env.id,
        "state": "active",
        "open_class": "unconditional",
        "category": "environment",
        "spatial_division": "330100",
        "tags": ["空气质量"],
        **extra,
    }
    created = client.post(
        "/api/v1/catalog/resources", json=body, headers=auth(gov.tokens["env_editor"])
    )
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def _upload(
    client: TestClient,
    db: BoundDatabase,
    gov: Government,
    distribution_id: str,
    content: bytes,
    filename: str,
    language: str = "zh-CN",
) -> dict[str, object]:
    queued = client.post(
        f"/api/v1/catalog/distributions/{distribution_id}/upload",
        files={"file": (filename, content)},
        headers=auth(gov.tokens["env_editor"], language),
    )
    assert queued.status_code == 202, queued.text
    Worker(db).run_one()
    job = client.get(
        f"/api/v1/jobs/{queued.json()['job']['id']}",
        headers=auth(gov.tokens["env_editor"], language),
    )
    return job.json()  # type: ignore[no-any-return]


def _distribution(client: TestClient, gov: Government, package: dict[str, object]) -> str:
    made = client.post(
        f"/api/v1/catalog/resources/{package['name']}/distributions",
        json={"name": "2025年10月"},
        headers=auth(gov.tokens["env_editor"]),
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_register_upload_and_read(
    app_client: TestClient, db: BoundDatabase, gov: Government
) -> None:
    package = _register(app_client, gov)
    assert package["organization"]["name"] == "zjenv"  # type: ignore[index]
    distribution_id = _distribution(app_client, gov, package)
    job = _upload(app_client, db, gov, distribution_id, STATIONS.encode("gb18030"), "aqi.csv")
    assert (job["status"], job["progress"]) == ("succeeded", 100)
    assert job["result"]["rows"] == 3  # type: ignore[index]
    data = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/data",
        params={"filters": json.dumps({"城市": "杭州市"}), "sort": "AQI desc"},
    ).json()
    assert data["total"] == 2
    assert data["records"][0]["站点名称"] == "朝晖五区"
    assert data["access"] == "open"
    found = app_client.get(
        "/api/v1/catalog/resources", params={"q": "空气质量", "city": "330100"}
    ).json()
    assert [item["name"] for item in found["items"]] == [package["name"]]
    assert found["facets"]["organization"] == {"zjenv": 1}


def test_bad_files_are_explained_and_change_nothing(
    app_client: TestClient, db: BoundDatabase, gov: Government
) -> None:
    package = _register(app_client, gov)
    distribution_id = _distribution(app_client, gov, package)
    assert (
        _upload(app_client, db, gov, distribution_id, STATIONS.encode(), "aqi.csv")["status"]
        == "succeeded"
    )
    bad = STATIONS.encode() + b"3001,\xff\xfe\xfd,x,y,1,2,3,4\n"
    job = _upload(app_client, db, gov, distribution_id, bad, "aqi.csv", language="en")
    assert job["status"] == "failed"
    versions = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/versions",
        headers=auth(gov.tokens["env_editor"]),
    ).json()
    assert [(v["number"], v["status"], v["current"]) for v in versions] == [
        (2, "failed", False),
        (1, "ready", True),
    ]
    assert "5" in versions[0]["error"]["message"]  # names the line
    assert versions[0]["error"]["message_en"]
    still = app_client.get(f"/api/v1/catalog/distributions/{distribution_id}/data").json()
    assert still["total"] == 3
    empty = _upload(app_client, db, gov, distribution_id, b"", "empty.csv")
    assert empty["status"] == "failed"


def test_an_oversized_upload_is_refused_at_once(
    app_client: TestClient, gov: Government, settings: Settings
) -> None:
    package = _register(app_client, gov)
    distribution_id = _distribution(app_client, gov, package)
    settings.max_upload_bytes = 100
    response = app_client.post(
        f"/api/v1/catalog/distributions/{distribution_id}/upload",
        files={"file": ("big.csv", STATIONS.encode())},
        headers=auth(gov.tokens["env_editor"], "en"),
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "The upload exceeds the size limit (100 bytes)."
    versions = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/versions",
        headers=auth(gov.tokens["env_editor"]),
    ).json()
    assert versions == []


@pytest.mark.parametrize("kind", ["xlsx", "json", "ndjson"])
def test_other_formats_load(
    app_client: TestClient, db: BoundDatabase, gov: Government, kind: str
) -> None:
    package = _register(app_client, gov)
    distribution_id = _distribution(app_client, gov, package)
    rows = [
        {"景区": "西湖风景名胜区", "等级": "5A", "最大承载量": 200000},
        {"景区": "千岛湖风景区", "等级": "5A", "最大承载量": 80000},
    ]
    if kind == "xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    elif kind == "json":
        content = json.dumps(rows, ensure_ascii=False).encode()
    else:
        content = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    job = _upload(app_client, db, gov, distribution_id, content, f"spots.{kind}")
    assert job["status"] == "succeeded", job["error"]
    data = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/data", params={"sort": "最大承载量 desc"}
    ).json()
    assert [r["景区"] for r in data["records"]] == ["西湖风景名胜区", "千岛湖风景区"]
    assert [f["type"] for f in data["fields"]] == ["text", "text", "integer"]


def test_share_requests_over_the_api(
    app_client: TestClient, db: BoundDatabase, gov: Government
) -> None:
    package = _register(
        app_client,
        gov,
        share_class="conditional",
        share_conditions="仅限执法使用",
        open_class="none",
        open_conditions="不予开放",
    )
    distribution_id = _distribution(app_client, gov, package)
    _upload(app_client, db, gov, distribution_id, STATIONS.encode(), "aqi.csv")
    reader = auth(gov.tokens["transport_member"])
    assert (
        app_client.get(
            f"/api/v1/catalog/distributions/{distribution_id}/data", headers=reader
        ).status_code
        == 403
    )
    asked = app_client.post(
        f"/api/v1/catalog/resources/{package['name']}/share-requests",
        headers=reader,
        json={
            "purpose": "交通与空气质量联合分析",
            "fields": ["站点名称", "AQI"],
            "duration_days": 30,
        },
    )
    assert asked.status_code == 201, asked.text
    incoming = app_client.get(
        "/api/v1/catalog/share-requests", headers=auth(gov.tokens["env_admin"])
    ).json()
    assert [r["id"] for r in incoming] == [asked.json()["id"]]
    denied = app_client.post(
        f"/api/v1/catalog/share-requests/{asked.json()['id']}/approve",
        json={},
        headers=auth(gov.tokens["transport_admin"]),
    )
    assert denied.status_code == 403
    approved = app_client.post(
        f"/api/v1/catalog/share-requests/{asked.json()['id']}/approve",
        json={},
        headers=auth(gov.tokens["env_admin"]),
    )
    assert approved.json()["status"] == "approved"
    data = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/data", headers=reader
    ).json()
    assert [f["name"] for f in data["fields"]] == ["站点名称", "AQI"]
    assert data["access"] == "shared"


def test_history_and_validation_messages(app_client: TestClient, gov: Government) -> None:
    package = _register(app_client, gov)
    editor = auth(gov.tokens["env_editor"], "en")
    patched = app_client.patch(
        f"/api/v1/catalog/resources/{package['name']}",
        json={"title": "杭州市空气质量逐时数据"},
        headers=editor,
    )
    assert patched.json()["title"] == "杭州市空气质量逐时数据"
    history = app_client.get(
        f"/api/v1/catalog/resources/{package['name']}/history", headers=editor
    ).json()
    assert [h["revision"] for h in history] == [2, 1]
    bad = app_client.post(
        "/api/v1/catalog/resources",
        headers=editor,
        json={
            "title": "x",
            "summary": "",
            "department_id": gov.env.id,
            "spatial_division": "339999",
        },
    )
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert {"title", "summary", "spatial_division"} <= fields


def test_a_declared_schema_is_checked_and_enforced(
    app_client: TestClient, db: BoundDatabase, gov: Government
) -> None:
    package = _register(app_client, gov)
    distribution_id = _distribution(app_client, gov, package)
    url = f"/api/v1/catalog/distributions/{distribution_id}/upload"
    editor = auth(gov.tokens["env_editor"], "en")
    wrong_type = app_client.post(
        url,
        headers=editor,
        files={"file": ("a.csv", STATIONS.encode())},
        data={"fields": json.dumps([{"name": "AQI", "type": "number"}])},
    )
    assert wrong_type.status_code == 422
    assert "number" in wrong_type.json()["error"]["message"]
    not_json = app_client.post(
        url, headers=editor, files={"file": ("a.csv", STATIONS.encode())}, data={"fields": "[{name"}
    )
    assert not_json.status_code == 422
    schema = [{"name": n, "type": "text"} for n in STATIONS.splitlines()[0].split(",")]
    schema[4]["type"] = "integer"
    bad = STATIONS.replace("57", "五十七")
    queued = app_client.post(
        url,
        headers=editor,
        files={"file": ("a.csv", bad.encode())},
        data={"fields": json.dumps(schema, ensure_ascii=False)},
    )
    assert queued.status_code == 202
    Worker(db).run_one()
    versions = app_client.get(
        f"/api/v1/catalog/distributions/{distribution_id}/versions", headers=editor
    ).json()
    assert versions[0]["status"] == "failed"
    assert "五十七" in versions[0]["error"]["message_en"]
    assert "AQI" in versions[0]["error"]["message_en"]
