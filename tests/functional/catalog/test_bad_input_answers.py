"""Bad input of every kind gets a 4xx in the user's language, never a 500: numbers too large
for the database, bodies nested too deep, a CKAN search with ``q`` as an object."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.functional.catalog.conftest import Government
from tests.functional.catalog.test_catalog_api import _register, auth
from tests.functional.catalog.test_dataset_chart import _dataset
from tests.support.databases import BoundDatabase

DEEP = "[" * 5000 + "]" * 5000


def test_a_number_too_large_for_the_database_is_a_422(app_client: TestClient) -> None:
    for path in (
        "/api/v1/departments?offset=99999999999999999999",
        "/api/v1/departments?offset=9223372036854775808",
        "/api/v1/audit?offset=99999999999999999999",
    ):
        answer = app_client.get(path, headers={"Accept-Language": "en"})
        assert answer.status_code in (401, 422), (path, answer.text)
    zh = app_client.get("/api/v1/departments?offset=99999999999999999999")
    assert zh.status_code == 422
    assert zh.json()["error"]["code"] == "validation_failed"
    assert "offset" in zh.json()["error"]["details"][0]["message"]


def test_a_body_nested_too_deep_is_malformed_json_in_the_users_language(
    app_client: TestClient,
) -> None:
    native = app_client.post(
        "/api/v1/codes/check",
        content='{"kind": ' + DEEP + "}",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert native.status_code in (400, 422)
    assert native.json()["error"]["code"] == "malformed_json"
    assert native.json()["error"]["message"] == "The request body is not valid JSON."
    ckan = app_client.post(
        "/api/3/action/package_search",
        content='{"q": ' + DEEP + "}",
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= ckan.status_code < 500
    assert ckan.json()["success"] is False


def test_ckan_search_with_q_as_an_object_is_a_validation_error(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    _, distribution_id = _dataset(db, gov, tmp_path, "城市,数值\n杭州,1\n宁波,2\n")
    answer = app_client.post(
        "/api/3/action/datastore_search",
        json={"resource_id": distribution_id, "q": {"城市": "杭州"}},
    )
    assert answer.status_code == 409  # CKAN's status for a Validation Error
    error = answer.json()["error"]
    assert error["__type"] == "Validation Error"
    assert "filters" in error["q"][0]
    text = app_client.post(
        "/api/3/action/datastore_search", json={"resource_id": distribution_id, "q": "杭州"}
    )
    assert text.json()["result"]["total"] == 1


def test_a_distribution_link_must_be_http_https_or_ftp(
    app_client: TestClient, gov: Government
) -> None:
    package = _register(app_client, gov)
    headers = auth(gov.tokens["env_editor"], "en")
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "file:///etc/x"):
        refused = app_client.post(
            f"/api/v1/catalog/resources/{package['name']}/distributions",
            json={"name": "链接", "url": bad},
            headers=headers,
        )
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "catalog.bad_link"
        assert "http, https, ftp" in refused.json()["error"]["message"]
        ckan = app_client.post(
            "/api/3/action/resource_create",
            json={"package_id": package["name"], "name": "链接", "url": bad},
            headers=headers,
        )
        assert ckan.status_code in (400, 409), ckan.text
        assert ckan.json()["success"] is False
    made = app_client.post(
        f"/api/v1/catalog/resources/{package['name']}/distributions",
        json={"name": "链接", "url": "https://data.zj.gov.cn/x.csv"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    changed = app_client.post(
        "/api/3/action/resource_patch",
        json={"id": made.json()["id"], "url": "javascript:alert(2)"},
        headers=headers,
    )
    assert changed.json()["success"] is False


def test_a_page_number_too_large_for_the_database_is_a_422(app_client: TestClient) -> None:
    answer = app_client.get("/catalog.jsonld?page=99999999999999999999")
    assert 400 <= answer.status_code < 500, answer.text
