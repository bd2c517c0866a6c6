"""The DCAT-AP export: catalogue entries become RDF that passes the DCAT-AP 3.0 shapes, survives
every serialisation, pages like ckanext-dcat and uses the EU vocabularies."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, SKOS, XSD

from yiwang.catalog import dcat

BASE = "https://data.zj.gov.cn"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"

AIR_QUALITY: dict[str, Any] = {
    "id": "6f1c2a9e-3b7d-4c1e-9a55-0d2b8e4f7a01",
    "name": "hangzhou-air-quality-hourly",
    "title": "杭州市空气质量小时数据",
    "title_en": "Hangzhou hourly air quality",
    "notes": "杭州市国控空气质量监测站点逐小时发布的六项污染物浓度及空气质量指数（AQI）。",
    "url": None,
    "organization": {
        "id": "17",
        "name": "zjenv",
        "title": "浙江省生态环境厅",
        "title_en": "Department of Ecology and Environment of Zhejiang Province",
    },
    "code": "330000-ZJENV-2025-0001",
    "tags": [{"name": "空气质量"}, {"name": "环境"}],
    "groups": [{"name": "environment", "title": "生态环境"}],
    "license_id": "cc-by-4.0",
    "license_title": "Creative Commons Attribution 4.0",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "metadata_created": "2025-10-01T08:00:00+00:00",
    "metadata_modified": "2025-10-20T09:30:00+08:00",
    "publish_date": "2025-10-01",
    "update_frequency": "hourly",
    "spatial_division": "330100",
    "spatial_name": "浙江省杭州市",
    "temporal_start": "2024-01-01",
    "temporal_end": None,
    "open_class": "unconditional",
    "contact_email": "opendata@zj.gov.cn",
    "language": ["zh"],
    "resources": [
        {
            "id": "0b7e5d3c-2f4a-4e8b-b1c9-7a6d5e4f3a21",
            "name": "2025年10月",
            "description": "2025年10月逐小时数据",
            "format": "CSV",
            "mimetype": "text/csv",
            "url": f"{BASE}/datastore/dump/0b7e5d3c-2f4a-4e8b-b1c9-7a6d5e4f3a21?format=csv",
            "size": 12345,
            "created": "2025-10-01T08:00:00+00:00",
            "last_modified": "2025-10-31T23:00:00+00:00",
            "datastore_active": True,
        },
        {
            "id": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "name": "2025年9月",
            "description": "2025年9月逐小时数据",
            "format": "XLSX",
            "mimetype": None,
            "url": f"{BASE}/datastore/dump/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d?format=xlsx",
            "size": None,
            "created": "2025-09-01T08:00:00+00:00",
            "last_modified": None,
            "datastore_active": True,
        },
    ],
}


def _package(**changes: Any) -> dict[str, Any]:
    """The air-quality package with some fields changed."""
    package = copy.deepcopy(AIR_QUALITY)
    package.update(changes)
    return package


def _scenic_spots(number: int) -> dict[str, Any]:
    """A tourism package from another department, distinct for each number."""
    return _package(
        id=f"2d4e6f80-0000-4000-8000-{number:012d}",
        name=f"scenic-spot-visitors-{number}",
        title=f"西湖景区实时游客数（{number}）",
        title_en=None,
        notes="西湖风景名胜区各入口实时在园游客数及饱和度。",
        organization={"id": "21", "name": "zjct", "title": "浙江省文化和旅游厅", "title_en": None},
        code=f"330000-ZJCT-2025-{number:04d}",
        groups=[{"name": "tourism", "title": "文化旅游"}],
        update_frequency="daily",
        open_class="conditional",
        contact_email=None,
        resources=[
            {
                "id": f"5a5a5a5a-0000-4000-8000-{number:012d}",
                "name": "实时游客数",
                "description": None,
                "format": "JSON",
                "mimetype": "application/json",
                "url": f"{BASE}/datastore/dump/{number}?format=json",
                "size": 0,
                "created": "2025-10-02",
                "last_modified": None,
                "datastore_active": True,
            }
        ],
    )


def _dataset(package: Mapping[str, Any]) -> URIRef:
    return URIRef(f"{BASE}/dataset/{package['id']}")


def _catalog(packages: list[dict[str, Any]], **paging: int) -> Graph:
    return dcat.catalog_graph(
        packages=packages,
        base_url=f"{BASE}/",
        title="浙江省公共数据开放平台",
        title_en="Zhejiang Public Data Open Platform",
        description="浙江省各级政府部门依法开放的公共数据。",
        publisher_name="浙江省大数据发展管理局",
        publisher_url="https://www.zj.gov.cn/",
        catalog_modified="2025-10-20T09:30:00+08:00",
        **paging,
    )


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(dcat.SHAPES_PATH, format="turtle")


def _violations(graph: Graph, shapes: Graph) -> set[tuple[str, str]]:
    """Validate the graph; return (focus node, property path) of each violation the report
    lists (not the nested details of an sh:node failure)."""
    conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert isinstance(report, Graph)
    found = {
        (str(report.value(result, SH.focusNode)), str(report.value(result, SH.resultPath)))
        for result in report.objects(None, SH.result)
    }
    assert conforms == (not found)
    return found


# --- conformance to the DCAT-AP shapes ------------------------------------------------------


def test_dataset_conforms(shapes: Graph) -> None:
    graph = dcat.dataset_graph(AIR_QUALITY, base_url=BASE)

    assert _violations(graph, shapes) == set()
    assert (_dataset(AIR_QUALITY), RDF.type, DCAT.Dataset) in graph


def test_paged_catalog_of_several_packages_conforms(shapes: Graph) -> None:
    packages = [AIR_QUALITY, _scenic_spots(1), _scenic_spots(2)]
    graph = _catalog(packages, page=2, page_size=3, total=8)

    assert _violations(graph, shapes) == set()
    catalog = URIRef(f"{BASE}/catalog")
    assert set(graph.objects(catalog, DCAT.dataset)) == {_dataset(p) for p in packages}


@pytest.mark.parametrize("notes", [None, "", "   "])
def test_dataset_without_description_does_not_conform(shapes: Graph, notes: str | None) -> None:
    graph = dcat.dataset_graph(_package(notes=notes), base_url=BASE)

    assert _violations(graph, shapes) == {(str(_dataset(AIR_QUALITY)), str(DCTERMS.description))}


def test_distribution_without_access_url_does_not_conform(shapes: Graph) -> None:
    package = _package()
    package["resources"][0]["url"] = None
    graph = dcat.dataset_graph(package, base_url=BASE)

    distribution = f"{_dataset(package)}/resource/{package['resources'][0]['id']}"
    assert _violations(graph, shapes) == {(distribution, str(DCAT.accessURL))}


def test_catalog_without_title_does_not_conform(shapes: Graph) -> None:
    graph = _catalog([AIR_QUALITY])
    graph.remove((URIRef(f"{BASE}/catalog"), DCTERMS.title, None))

    assert _violations(graph, shapes) == {(f"{BASE}/catalog", str(DCTERMS.title))}


@pytest.mark.parametrize(
    ("predicate", "bad_value"),
    [
        (DCAT.byteSize, Literal("12345", datatype=XSD.decimal)),
        (DCTERMS.issued, Literal("2025年10月1日")),
        (DCTERMS.license, Literal("cc-by-4.0")),
    ],
)
def test_shapes_check_value_types(shapes: Graph, predicate: URIRef, bad_value: Literal) -> None:
    graph = dcat.dataset_graph(AIR_QUALITY, base_url=BASE)
    distribution = next(graph.subjects(RDF.type, DCAT.Distribution))
    graph.set((distribution, predicate, bad_value))

    assert _violations(graph, shapes) == {(str(distribution), str(predicate))}


# --- serialisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "rdflib_format"),
    [
        pytest.param(
            "jsonld",
            "json-ld",
            # rdflib 7.6's own JSON-LD parser builds a ConjunctiveGraph and warns about it
            # (RDFLib/rdflib#3064, fixed upstream by #3495 after 7.6.0); only here, only that.
            marks=pytest.mark.filterwarnings(
                "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
            ),
        ),
        ("ttl", "turtle"),
        ("rdf", "xml"),
    ],
)
def test_serialisations_round_trip(fmt: dcat.RDFFormat, rdflib_format: str) -> None:
    graph = _catalog([AIR_QUALITY, _scenic_spots(1)], page=1, page_size=2, total=2)

    parsed = Graph().parse(data=dcat.serialize(graph, fmt), format=rdflib_format)

    assert len(parsed) == len(graph)
    assert isomorphic(parsed, graph)
    title = Literal("杭州市空气质量小时数据", lang="zh")
    assert (_dataset(AIR_QUALITY), DCTERMS.title, title) in parsed


def test_json_ld_has_a_context_with_the_dcat_prefixes() -> None:
    document = json.loads(dcat.serialize(dcat.dataset_graph(AIR_QUALITY, base_url=BASE), "jsonld"))

    context = document["@context"]
    assert context["dcat"] == str(DCAT)
    assert context["dct"] == str(DCTERMS)
    assert {"foaf", "vcard", "hydra", "skos", "xsd"} <= context.keys()
    # Compacted: terms use the prefixes, and the Chinese text is not escaped.
    assert "dct:title" in json.dumps(document["@graph"], ensure_ascii=False)
    assert "杭州市空气质量小时数据" in dcat.serialize(
        dcat.dataset_graph(AIR_QUALITY, base_url=BASE), "jsonld"
    ).decode("utf-8")


def test_turtle_uses_the_prefixes() -> None:
    text = dcat.serialize(dcat.dataset_graph(AIR_QUALITY, base_url=BASE), "ttl").decode("utf-8")

    assert "@prefix dcat: <http://www.w3.org/ns/dcat#> ." in text
    assert "@prefix dct: <http://purl.org/dc/terms/> ." in text
    assert '"杭州市空气质量小时数据"@zh' in text


def test_media_types() -> None:
    assert dcat.MEDIA_TYPES == {
        "jsonld": "application/ld+json",
        "ttl": "text/turtle",
        "rdf": "application/rdf+xml",
    }


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="n3"):
        dcat.serialize(Graph(), "n3")  # type: ignore[arg-type]


# --- paging -------------------------------------------------------------------------------


def _page(number: int) -> URIRef:
    return URIRef(f"{BASE}/catalog?page={number}")


@pytest.mark.parametrize(
    ("page", "previous", "next_"),
    [(1, None, 2), (2, 1, 3), (3, 2, None)],
)
def test_paging_links(page: int, previous: int | None, next_: int | None) -> None:
    graph = _catalog([AIR_QUALITY], page=page, page_size=10, total=25)

    view = _page(page)
    assert (URIRef(f"{BASE}/catalog"), HYDRA.view, view) in graph
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    assert graph.value(view, HYDRA.first) == _page(1)
    assert graph.value(view, HYDRA.last) == _page(3)
    assert graph.value(view, HYDRA.previous) == (_page(previous) if previous else None)
    assert graph.value(view, HYDRA.next) == (_page(next_) if next_ else None)
    assert graph.value(view, HYDRA.totalItems) == Literal(25)
    assert graph.value(view, HYDRA.itemsPerPage) == Literal(10)


def test_single_page_has_no_next_or_previous() -> None:
    graph = _catalog([AIR_QUALITY], page=1, page_size=100, total=1)

    assert graph.value(_page(1), HYDRA.last) == _page(1)
    assert (None, HYDRA.next, None) not in graph
    assert (None, HYDRA.previous, None) not in graph


def test_empty_catalogue_has_one_page() -> None:
    graph = _catalog([], page=1, page_size=100, total=0)

    assert graph.value(_page(1), HYDRA.last) == _page(1)
    assert graph.value(_page(1), HYDRA.totalItems) == Literal(0)


def test_page_past_the_end_points_back_to_the_last_page() -> None:
    graph = _catalog([], page=9, page_size=10, total=25)

    assert graph.value(_page(9), HYDRA.previous) == _page(3)
    assert graph.value(_page(9), HYDRA.next) is None


def test_without_paging_arguments_there_is_no_view() -> None:
    graph = _catalog([AIR_QUALITY])

    assert (None, RDF.type, HYDRA.PartialCollectionView) not in graph


@pytest.mark.parametrize(
    "paging",
    [
        {"page": 1},
        {"page": 1, "page_size": 10},
        {"page": 0, "page_size": 10, "total": 5},
        {"page": 1, "page_size": 0, "total": 5},
        {"page": 1, "page_size": 10, "total": -1},
    ],
)
def test_incomplete_or_impossible_paging_is_refused(paging: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="page"):
        _catalog([AIR_QUALITY], **paging)


# --- the catalogue ------------------------------------------------------------------------


def test_catalog_describes_the_platform() -> None:
    graph = _catalog([AIR_QUALITY, _scenic_spots(1), _scenic_spots(2)])

    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert set(graph.objects(catalog, DCTERMS.title)) == {
        Literal("浙江省公共数据开放平台", lang="zh"),
        Literal("Zhejiang Public Data Open Platform", lang="en"),
    }
    assert graph.value(catalog, FOAF.homepage) == URIRef(BASE)
    assert graph.value(catalog, DCTERMS.language) == URIRef(EU + "language/ZHO")
    assert graph.value(catalog, DCTERMS.modified) == Literal(
        "2025-10-20T09:30:00+08:00", datatype=XSD.dateTime
    )
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("浙江省大数据发展管理局", lang="zh")
    assert graph.value(publisher, FOAF.homepage) == URIRef("https://www.zj.gov.cn/")
    # Two packages of one department share one publisher.
    assert set(graph.subjects(RDF.type, FOAF.Agent)) == {
        publisher,
        URIRef(f"{BASE}/organization/zjenv"),
        URIRef(f"{BASE}/organization/zjct"),
    }


# --- the dataset --------------------------------------------------------------------------


def test_dataset_properties() -> None:
    graph = dcat.dataset_graph(AIR_QUALITY, base_url=BASE)
    dataset = _dataset(AIR_QUALITY)

    assert set(graph.objects(dataset, DCTERMS.title)) == {
        Literal("杭州市空气质量小时数据", lang="zh"),
        Literal("Hangzhou hourly air quality", lang="en"),
    }
    assert graph.value(dataset, DCTERMS.identifier) == Literal("330000-ZJENV-2025-0001")
    assert set(graph.objects(dataset, DCAT.keyword)) == {
        Literal("空气质量", lang="zh"),
        Literal("环境", lang="zh"),
    }
    assert graph.value(dataset, DCTERMS.issued) == Literal("2025-10-01", datatype=XSD.date)
    assert graph.value(dataset, DCTERMS.modified) == Literal(
        "2025-10-20T09:30:00+08:00", datatype=XSD.dateTime
    )
    assert graph.value(dataset, DCTERMS.language) == URIRef(EU + "language/ZHO")

    publisher = graph.value(dataset, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}/organization/zjenv")
    assert set(graph.objects(publisher, FOAF.name)) == {
        Literal("浙江省生态环境厅", lang="zh"),
        Literal("Department of Ecology and Environment of Zhejiang Province", lang="en"),
    }

    contact = graph.value(dataset, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in graph
    assert graph.value(contact, VCARD.fn) == Literal("浙江省生态环境厅", lang="zh")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:opendata@zj.gov.cn")

    location = graph.value(dataset, DCTERMS.spatial)
    assert location == URIRef(f"{BASE}/division/330100")
    assert (location, RDF.type, DCTERMS.Location) in graph
    assert graph.value(location, SKOS.notation) == Literal("330100")
    assert graph.value(location, SKOS.prefLabel) == Literal("浙江省杭州市", lang="zh")

    period = graph.value(dataset, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) is None


def test_distribution_properties() -> None:
    graph = dcat.dataset_graph(AIR_QUALITY, base_url=BASE)
    csv, xlsx = (
        URIRef(f"{_dataset(AIR_QUALITY)}/resource/{resource['id']}")
        for resource in AIR_QUALITY["resources"]
    )
    dump = URIRef(AIR_QUALITY["resources"][0]["url"])
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")

    assert set(graph.objects(_dataset(AIR_QUALITY), DCAT.distribution)) == {csv, xlsx}
    assert graph.value(csv, DCTERMS.title) == Literal("2025年10月", lang="zh")
    assert graph.value(csv, DCAT.accessURL) == dump
    assert graph.value(csv, DCAT.downloadURL) == dump
    assert graph.value(csv, DCTERMS.format) == URIRef(EU + "file-type/CSV")
    assert graph.value(csv, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(csv, DCAT.byteSize) == Literal("12345", datatype=XSD.nonNegativeInteger)
    assert graph.value(csv, DCTERMS.license) == licence
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in graph
    # No mimetype: the format's media type; no size: no byteSize.
    assert graph.value(xlsx, DCTERMS.format) == URIRef(EU + "file-type/XLSX")
    assert graph.value(xlsx, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert graph.value(xlsx, DCAT.byteSize) is None


def test_missing_optional_fields_are_left_out(shapes: Graph) -> None:
    package = _package(
        title_en=None,
        code=None,
        tags=[],
        groups=None,
        license_url=None,
        publish_date=None,
        metadata_modified="not a date",
        update_frequency=None,
        spatial_division=None,
        temporal_start=None,
        contact_email=None,
        language=None,
    )
    graph = dcat.dataset_graph(package, base_url=BASE)
    dataset = _dataset(package)

    assert graph.value(dataset, DCTERMS.identifier) == Literal(package["id"])
    assert graph.value(dataset, DCTERMS.issued) == Literal(
        "2025-10-01T08:00:00+00:00", datatype=XSD.dateTime
    )
    for predicate in (
        DCTERMS.modified,
        DCAT.theme,
        DCTERMS.accrualPeriodicity,
        DCTERMS.spatial,
        DCTERMS.temporal,
        DCAT.contactPoint,
        DCTERMS.language,
    ):
        assert graph.value(dataset, predicate) is None, predicate
    assert (None, DCTERMS.license, None) not in graph
    assert _violations(graph, shapes) == set()


@pytest.mark.parametrize(
    ("frequency", "code"),
    [
        ("hourly", "HOURLY"),
        ("daily", "DAILY"),
        ("weekly", "WEEKLY"),
        ("monthly", "MONTHLY"),
        ("quarterly", "QUARTERLY"),
        ("annual", "ANNUAL"),
        ("irregular", "IRREG"),
        ("realtime", "UPDATE_CONT"),
    ],
)
def test_update_frequency_uses_the_eu_frequency_vocabulary(frequency: str, code: str) -> None:
    graph = dcat.dataset_graph(_package(update_frequency=frequency), base_url=BASE)

    assert graph.value(_dataset(AIR_QUALITY), DCTERMS.accrualPeriodicity) == URIRef(
        EU + "frequency/" + code
    )


@pytest.mark.parametrize(
    ("open_class", "code"),
    [("unconditional", "PUBLIC"), ("conditional", "RESTRICTED"), ("none", "NON_PUBLIC")],
)
def test_open_class_uses_the_eu_access_right_vocabulary(open_class: str, code: str) -> None:
    graph = dcat.dataset_graph(_package(open_class=open_class), base_url=BASE)

    assert graph.value(_dataset(AIR_QUALITY), DCTERMS.accessRights) == URIRef(
        EU + "access-right/" + code
    )


@pytest.mark.parametrize(
    ("groups", "codes"),
    [
        (["environment"], {"ENVI"}),
        (["transport"], {"TRAN"}),
        (["tourism"], {"EDUC"}),
        (["culture"], {"EDUC"}),
        (["education"], {"EDUC"}),
        (["health"], {"HEAL"}),
        (["agriculture"], {"AGRI"}),
        (["economy", "market"], {"ECON"}),
        (["government"], {"GOVE"}),
        (["energy"], {"ENER"}),
        (["science"], {"TECH"}),
        (["society"], {"SOCI"}),
        (["regions", "cities"], {"REGI"}),
        (["urban"], {"REGI"}),
        (["water"], {"ENVI"}),
        (["safety"], {"JUST"}),
        (["ocean"], {"AGRI"}),
        (["environment", "health"], {"ENVI", "HEAL"}),
        (["credit"], set()),
        (["not-a-group"], set()),
    ],
)
def test_groups_map_to_eu_data_themes(groups: list[str], codes: set[str]) -> None:
    package = _package(groups=[{"name": name, "title": name} for name in groups])
    graph = dcat.dataset_graph(package, base_url=BASE)

    themes = list(graph.objects(_dataset(package), DCAT.theme))
    assert len(themes) == len(codes)  # economy and market give ECON once
    assert set(themes) == {URIRef(EU + "data-theme/" + code) for code in codes}


def test_identifiers_are_escaped_in_minted_iris() -> None:
    package = _package(id="a b/c", organization={"name": "zj env", "title": "测试"})
    graph = dcat.dataset_graph(package, base_url=BASE)

    assert (URIRef(f"{BASE}/dataset/a%20b%2Fc"), RDF.type, DCAT.Dataset) in graph
    assert (URIRef(f"{BASE}/organization/zj%20env"), RDF.type, FOAF.Agent) in graph
