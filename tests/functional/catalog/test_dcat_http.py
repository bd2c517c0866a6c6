"""DCAT-AP over HTTP: the open catalogue and each dataset as Turtle, JSON-LD and RDF/XML, valid
against the DCAT-AP 3.0 shapes, listing only what is open and published, page by page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF
from sqlalchemy.orm import Session

from tests.factories.catalog import make_distribution, make_resource, upload
from tests.functional.catalog.conftest import Government
from tests.support.databases import BoundDatabase
from yiwang.catalog.dcat import SHAPES_PATH

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "http://testserver"
PAGE_SIZE = 100  # what the catalogue promises a harvester (hydra:itemsPerPage)

AIR_QUALITY = """城市,监测点,监测时间,AQI,PM2.5
杭州市,西湖,2025-10-01 08:00,45,12.5
杭州市,滨江,2025-10-01 08:00,88,40.2
"""

# rdflib 7.6's own JSON-LD parser builds a ConjunctiveGraph and warns about it
# (RDFLib/rdflib#3064, fixed upstream after 7.6.0); only for JSON-LD, only that warning.
_JSONLD_WARNING = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)
FORMATS = [
    pytest.param("ttl", "text/turtle", "turtle", id="ttl"),
    pytest.param("jsonld", "application/ld+json", "json-ld", id="jsonld", marks=_JSONLD_WARNING),
    pytest.param("rdf", "application/rdf+xml", "xml", id="rdf"),
]


@dataclass
class Catalogue:
    open_name: str
    open_id: str
    distribution_id: str
    conditional_id: str
    closed_name: str
    closed_id: str
    draft_name: str
    draft_id: str


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_PATH, format="turtle")


@pytest.fixture
def catalogue(db: BoundDatabase, gov: Government, tmp_path: Path) -> Catalogue:
    """An open resource with loaded data, a conditionally open one, one that is not open and
    an open draft, all of the environment department."""
    editor, env = gov.env_editor, gov.env.id
    with db.session() as session:
        open_resource = make_resource(
            session,
            editor,
            department_id=env,
            name="hz-air-quality",
            title="杭州市空气质量小时数据",
            title_en="Hangzhou hourly air quality",
            summary="杭州市各国控监测站点逐小时发布的空气质量指数。",
            category="environment",
            tags=["空气质量", "PM2.5"],
            license_id="cc-by-4.0",
            update_frequency="hourly",
            spatial_division="330100",
            temporal_start=dt.date(2025, 1, 1),
            temporal_end=dt.date(2025, 12, 31),
            contact_email="data@sthjt.zj.gov.cn",
        )
        distribution = make_distribution(session, editor, open_resource, name="2025年10月")
        conditional = make_resource(
            session,
            editor,
            department_id=env,
            title="重点排污单位自动监测数据",
            open_class="conditional",
            open_conditions="注册用户签署数据使用协议后开放。",
        )
        closed = make_resource(
            session,
            editor,
            department_id=env,
            name="pollution-permits-internal",
            title="排污许可内部审查记录",
            open_class="none",
            open_conditions="含企业商业秘密，不予开放。",
        )
        draft = make_resource(
            session,
            editor,
            department_id=env,
            name="hz-air-quality-daily-draft",
            title="杭州市空气质量日报（草稿）",
            state="draft",
        )
        found = Catalogue(
            open_resource.name,
            open_resource.id,
            distribution.id,
            conditional.id,
            closed.name,
            closed.id,
            draft.name,
            draft.id,
        )
    _, job = upload(db, editor, found.distribution_id, AIR_QUALITY.encode(), "aqi.csv", tmp_path)
    assert job.status == "succeeded", job.error
    return found


def _dataset(resource_id: str) -> URIRef:
    return URIRef(f"{BASE}/dataset/{resource_id}")


def _get_graph(
    client: TestClient, path: str, media_type: str, rdflib_format: str, **headers: str
) -> Graph:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    return Graph().parse(data=response.content, format=rdflib_format)


def _conforms(graph: Graph, shapes: Graph) -> None:
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text


def _datasets(graph: Graph) -> set[URIRef]:
    catalog = URIRef(f"{BASE}/catalog")
    return {URIRef(str(d)) for d in graph.objects(catalog, DCAT.dataset)}


@pytest.mark.parametrize(("fmt", "media_type", "rdflib_format"), FORMATS)
def test_the_catalogue_lists_the_open_published_resources(
    app_client: TestClient,
    catalogue: Catalogue,
    shapes: Graph,
    fmt: str,
    media_type: str,
    rdflib_format: str,
) -> None:
    graph = _get_graph(app_client, f"/catalog.{fmt}", media_type, rdflib_format)

    _conforms(graph, shapes)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert (catalog, DCTERMS.title, Literal("浙江省公共数据开放目录", lang="zh")) in graph
    assert _datasets(graph) == {
        _dataset(catalogue.open_id),
        _dataset(catalogue.conditional_id),
    }
    for hidden in (catalogue.closed_id, catalogue.draft_id):
        assert (_dataset(hidden), None, None) not in graph
    view = graph.value(catalog, HYDRA.view)
    assert view is not None
    assert graph.value(view, HYDRA.totalItems).toPython() == 2


def test_the_catalogue_is_the_public_one_whoever_asks(
    app_client: TestClient, catalogue: Catalogue, gov: Government
) -> None:
    """A harvester may sign in (as the department's editor, or a sysadmin); the catalogue it
    republishes must still hold only published, open resources."""
    for who in ("env_editor", "sysadmin"):
        graph = _get_graph(
            app_client,
            "/catalog.ttl",
            "text/turtle",
            "turtle",
            Authorization=f"Bearer {gov.tokens[who]}",
        )
        assert _datasets(graph) == {
            _dataset(catalogue.open_id),
            _dataset(catalogue.conditional_id),
        }, who


@pytest.mark.parametrize(("fmt", "media_type", "rdflib_format"), FORMATS)
def test_a_dataset_with_its_distribution(
    app_client: TestClient,
    catalogue: Catalogue,
    shapes: Graph,
    fmt: str,
    media_type: str,
    rdflib_format: str,
) -> None:
    graph = _get_graph(
        app_client, f"/dataset/{catalogue.open_name}.{fmt}", media_type, rdflib_format
    )

    _conforms(graph, shapes)
    dataset = _dataset(catalogue.open_id)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert (dataset, DCTERMS.title, Literal("杭州市空气质量小时数据", lang="zh")) in graph
    assert {str(k) for k in graph.objects(dataset, DCAT.keyword)} == {"空气质量", "PM2.5"}
    publisher = URIRef(f"{BASE}/organization/zjenv")
    assert (dataset, DCTERMS.publisher, publisher) in graph
    assert (publisher, FOAF.name, Literal("浙江省生态环境厅", lang="zh")) in graph
    assert (dataset, DCTERMS.spatial, URIRef(f"{BASE}/division/330100")) in graph
    distribution = URIRef(f"{dataset}/resource/{catalogue.distribution_id}")
    assert (dataset, DCAT.distribution, distribution) in graph
    download = graph.value(distribution, DCAT.downloadURL)
    assert str(download) == f"{BASE}/datastore/dump/{catalogue.distribution_id}?format=csv"
    assert graph.value(distribution, DCAT.byteSize).toPython() == len(AIR_QUALITY.encode())
    # The download link works.
    dump = app_client.get(str(download).removeprefix(BASE))
    assert dump.status_code == 200
    assert "滨江" in dump.content.decode("utf-8-sig")


def test_closed_and_draft_datasets_are_not_exported(
    app_client: TestClient, catalogue: Catalogue
) -> None:
    for name in (catalogue.closed_name, catalogue.draft_name):
        for fmt in ("ttl", "jsonld", "rdf"):
            assert app_client.get(f"/dataset/{name}.{fmt}").status_code == 404, (name, fmt)


def test_the_catalogue_is_paged(
    app_client: TestClient, session: Session, gov: Government, shapes: Graph
) -> None:
    open_ids = {
        make_resource(session, gov.env_editor, department_id=gov.env.id, title=f"开放数据{n}").id
        for n in range(PAGE_SIZE + 3)
    }
    make_resource(session, gov.env_editor, department_id=gov.env.id, state="draft")
    session.commit()
    catalog = URIRef(f"{BASE}/catalog")

    first = _get_graph(app_client, "/catalog.ttl", "text/turtle", "turtle")
    second = _get_graph(app_client, "/catalog.ttl?page=2", "text/turtle", "turtle")

    _conforms(second, shapes)
    assert len(_datasets(first)) == PAGE_SIZE
    assert len(_datasets(second)) == 3
    assert _datasets(first) | _datasets(second) == {_dataset(i) for i in open_ids}
    first_view, second_view = first.value(catalog, HYDRA.view), second.value(catalog, HYDRA.view)
    assert first_view is not None
    assert second_view is not None
    assert first.value(first_view, HYDRA.totalItems).toPython() == PAGE_SIZE + 3
    assert first.value(first_view, HYDRA.itemsPerPage).toPython() == PAGE_SIZE
    assert second.value(second_view, HYDRA.next) is None
    beyond = _get_graph(app_client, "/catalog.ttl?page=3", "text/turtle", "turtle")
    assert _datasets(beyond) == set()
    assert app_client.get("/catalog.ttl?page=0").status_code == 422

    # A harvester walks the catalogue by following hydra:next and hydra:previous.
    next_page = first.value(first_view, HYDRA.next)
    previous_page = second.value(second_view, HYDRA.previous)
    assert next_page is not None
    assert previous_page is not None
    followed = app_client.get(str(next_page).removeprefix(BASE), headers={"Accept": "text/turtle"})
    assert followed.status_code == 200, f"hydra:next {next_page} → {followed.status_code}"
    assert _datasets(Graph().parse(data=followed.content, format="turtle")) == _datasets(second)
    back = app_client.get(str(previous_page).removeprefix(BASE), headers={"Accept": "text/turtle"})
    assert back.status_code == 200, f"hydra:previous {previous_page} → {back.status_code}"
