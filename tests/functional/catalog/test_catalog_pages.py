"""The open-data pages as a citizen sees them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.functional.catalog.test_datastore import PEOPLE, STATIONS, _ids
from tests.support.databases import BoundDatabase

HTML = {"Accept": "text/html"}


def test_search_and_dataset_pages(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    with db.session() as session:
        air = make_resource(
            session,
            gov.env_editor,
            department_id=gov.env.id,
            title="杭州市空气质量小时数据",
            spatial_division="330100",
            category="environment",
            tags=["空气质量"],
            update_frequency="hourly",
        )
        make_resource(
            session,
            gov.env_editor,
            department_id=gov.env.id,
            title="<b>宁波</b>公共自行车站点",
            spatial_division="330200",
            category="transport",
        )
        distribution_id = make_distribution(session, gov.env_editor, air, name="2025年10月").id
        air_name = air.name
    upload(db, gov.env_editor, distribution_id, STATIONS.encode("gbk"), "aqi.csv", tmp_path)

    page = app_client.get("/dataset", params={"q": "空气质量"}, headers=HTML)
    assert page.status_code == 200
    assert '<strong id="result-count">1</strong>' in page.text
    assert "杭州市空气质量小时数据" in page.text
    assert "杭州市" in page.text  # the city facet, by name

    everything = app_client.get("/dataset", headers=HTML).text
    assert "&lt;b&gt;宁波&lt;/b&gt;公共自行车站点" in everything  # escaped
    assert "<b>宁波</b>" not in everything
    filtered = app_client.get("/dataset", params={"groups": "transport"}, headers=HTML).text
    assert '<strong id="result-count">1</strong>' in filtered

    detail = app_client.get(f"/dataset/{air_name}", headers=HTML)
    assert detail.status_code == 200
    assert "朝晖五区" in detail.text  # the preview table
    assert "个人信息已脱敏" not in detail.text  # nothing personal in it, so nothing masked
    assert f"/datastore/dump/{distribution_id}?format=csv" in detail.text
    assert "datastore_search" in detail.text  # API examples
    assert "<td>每小时</td>" in detail.text  # the update frequency, by its label
    english = app_client.get(f"/dataset/{air_name}", params={"lang": "en"}, headers=HTML).text
    assert "<td>hourly</td>" in english
    assert app_client.get("/dataset/no-such-thing", headers=HTML).status_code == 404


def test_the_preview_masks_personal_data_for_the_public(
    app_client: TestClient, db: BoundDatabase, gov: Government, tmp_path: Path
) -> None:
    id1, id2 = _ids()
    with db.session() as session:
        resource = make_resource(
            session, gov.env_editor, department_id=gov.env.id, title="补贴名单"
        )
        distribution_id = make_distribution(session, gov.env_editor, resource).id
        name = resource.name
    upload(
        db,
        gov.env_editor,
        distribution_id,
        PEOPLE.format(id1=id1, id2=id2).encode(),
        "p.csv",
        tmp_path,
    )
    text = app_client.get(f"/dataset/{name}", headers=HTML).text
    assert "张*" in text
    assert "张伟" not in text
    assert id1 not in text
    assert "138****5678" in text
    assert "个人信息已脱敏（标 * 的列）" in text


def test_a_dataset_url_with_an_export_format_is_the_export_not_the_page(
    app_client: TestClient, db: BoundDatabase, gov: Government
) -> None:
    """The page ``/dataset/{ref}`` is the portal's and its ``{ref}`` matches dots: the catalog's
    DCAT-AP exports ``/dataset/{ref}.{fmt}`` must come first, even asked for HTML."""
    with db.session() as session:
        name = make_resource(
            session, gov.env_editor, department_id=gov.env.id, title="杭州市空气质量小时数据"
        ).name
    for fmt, media_type in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("rdf", "application/rdf+xml"),
    ):
        answer = app_client.get(f"/dataset/{name}.{fmt}", headers=HTML)
        assert answer.status_code == 200, fmt
        assert answer.headers["content-type"].startswith(media_type), fmt
        assert "<html" not in answer.text, fmt
        assert "杭州市空气质量小时数据" in answer.text, fmt
    page = app_client.get(f"/dataset/{name}", headers=HTML)
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text
