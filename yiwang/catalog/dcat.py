"""DCAT-AP 3.0 export of the catalogue: catalogue entries in CKAN's package shape become an RDF
graph, serialised as JSON-LD, Turtle or RDF/XML.

The mapping follows DCAT-AP 3.0.0 (SEMIC, 2024-06-14) and the way ckanext-dcat maps CKAN fields:

- dataset ``{base_url}/dataset/{id}``: dct:title (@zh, @en), dct:description (@zh),
  dct:identifier (the 资源代码), dcat:keyword (tags), dcat:theme (groups, EU data-theme),
  dct:publisher (the organization, ``{base_url}/organization/{name}``), dct:issued (publish
  date, else metadata_created), dct:modified, dct:accrualPeriodicity (EU frequency),
  dct:spatial (a dct:Location ``{base_url}/division/{code}`` with the GB/T 2260 code as
  skos:notation), dct:temporal, dct:language (EU language), dcat:contactPoint (vcard),
  dct:accessRights (EU access-right, from the open class), dcat:landingPage (CKAN's ``url``);
- distribution ``{base_url}/dataset/{id}/resource/{rid}``: dct:title, dct:description,
  dcat:accessURL and dcat:downloadURL (both the resource URL, which is the datastore dump; DCAT-AP
  asks for an access URL even when a download URL is given), dct:format (EU file-type),
  dcat:mediaType (IANA), dcat:byteSize (xsd:nonNegativeInteger, as DCAT-AP 3.0 requires),
  dct:license (the dataset licence: DCAT-AP puts licences on distributions), dct:issued,
  dct:modified.

Optional fields that are missing, empty or malformed (a date that is not ISO 8601, a URL with
spaces) are left out rather than failing the whole export; mandatory DCAT-AP properties that
end up missing are what the SHACL shapes in ``shapes/dcat-ap.ttl`` report.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.term import Node

__all__ = [
    "MEDIA_TYPES",
    "SHAPES_PATH",
    "RDFFormat",
    "catalog_graph",
    "dataset_graph",
    "serialize",
]

VCARD: Final = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA: Final = Namespace("http://www.w3.org/ns/hydra/core#")

_EU: Final = "http://publications.europa.eu/resource/authority/"
DATA_THEME: Final = Namespace(_EU + "data-theme/")
FREQUENCY: Final = Namespace(_EU + "frequency/")
ACCESS_RIGHT: Final = Namespace(_EU + "access-right/")
LANGUAGE: Final = Namespace(_EU + "language/")
FILE_TYPE: Final = Namespace(_EU + "file-type/")
IANA_MEDIA_TYPE: Final = Namespace("https://www.iana.org/assignments/media-types/")

RDFFormat = typing.Literal["jsonld", "ttl", "rdf"]

SHAPES_PATH: Final = Path(__file__).parent / "shapes" / "dcat-ap.ttl"
"""The SHACL shapes that check what this module produces against DCAT-AP 3.0."""

MEDIA_TYPES: Final[dict[str, str]] = {
    "jsonld": "application/ld+json",
    "ttl": "text/turtle",
    "rdf": "application/rdf+xml",
}

_RDFLIB_FORMATS: Final = {"jsonld": "json-ld", "ttl": "turtle", "rdf": "xml"}

_PREFIXES: Final = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "hydra": str(HYDRA),
    "skos": str(SKOS),
    "xsd": str(XSD),
}

# Catalogue groups (资源分类, by name) to the EU data-theme vocabulary; groups not listed get no
# theme. Choices where no theme fits exactly: the vocabulary has no tourism theme, and the
# catalogue's "tourism" group is 文化旅游 (culture and tourism), so it goes to EDUC ("Education,
# culture and sport"), the only theme naming either; "education" (教育科技, education and
# science) goes to EDUC; "water" (水利气象, water and weather) to ENVI, where the EU puts
# meteorological data; "geography" (地理空间) to REGI; "ocean" (海洋渔业) to AGRI ("Agriculture,
# fisheries, forestry and food"); "safety" (公共安全) to JUST ("Justice, legal system and public
# safety"). "credit" (信用服务) has no sensible theme and gets none.
THEMES: Final[dict[str, str]] = {
    "agriculture": "AGRI",
    "ocean": "AGRI",
    "economy": "ECON",
    "market": "ECON",
    "finance": "ECON",
    "education": "EDUC",
    "culture": "EDUC",
    "tourism": "EDUC",
    "energy": "ENER",
    "environment": "ENVI",
    "water": "ENVI",
    "government": "GOVE",
    "health": "HEAL",
    "safety": "JUST",
    "regions": "REGI",
    "cities": "REGI",
    "urban": "REGI",
    "geography": "REGI",
    "science": "TECH",
    "society": "SOCI",
    "transport": "TRAN",
}

# 更新周期 to the EU frequency vocabulary.
FREQUENCIES: Final[dict[str, str]] = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "annual": "ANNUAL",
    "irregular": "IRREG",
}

# 无条件开放 / 有条件开放 / 不予开放 to the EU access-right vocabulary.
ACCESS_RIGHTS: Final[dict[str, str]] = {
    "unconditional": "PUBLIC",
    "conditional": "RESTRICTED",
    "none": "NON_PUBLIC",
}

# ISO 639-1 codes used by the catalogue to the EU language vocabulary (ISO 639-3 based).
LANGUAGES: Final[dict[str, str]] = {"zh": "ZHO", "en": "ENG"}

# Resource formats to (EU file-type code, IANA media type).
FORMATS: Final[dict[str, tuple[str, str | None]]] = {
    "CSV": ("CSV", "text/csv"),
    "JSON": ("JSON", "application/json"),
    "XLSX": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "XLS": ("XLS", "application/vnd.ms-excel"),
    "XML": ("XML", "application/xml"),
    "GEOJSON": ("GEOJSON", "application/geo+json"),
    "JSON-LD": ("JSON_LD", "application/ld+json"),
    "JSONLD": ("JSON_LD", "application/ld+json"),
    "TTL": ("RDF_TURTLE", "text/turtle"),
    "TURTLE": ("RDF_TURTLE", "text/turtle"),
    "RDF": ("RDF_XML", "application/rdf+xml"),
    "PDF": ("PDF", "application/pdf"),
    "ZIP": ("ZIP", "application/zip"),
    "TXT": ("TXT", "text/plain"),
    "HTML": ("HTML", "text/html"),
    "DOCX": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "ODS": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    "KML": ("KML", "application/vnd.google-earth.kml+xml"),
    "SHP": ("SHP", None),
}

_ZH: Final = "zh"
_EN: Final = "en"
_MEDIA_TYPE_RE: Final = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
_URL_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


def dataset_graph(package: Mapping[str, Any], *, base_url: str) -> Graph:
    """Return a graph describing one package as a dcat:Dataset, with its distributions,
    publisher, contact point, location and period of time."""
    graph = _new_graph()
    _add_dataset(graph, package, _strip(base_url))
    return graph


def catalog_graph(
    *,
    packages: Sequence[Mapping[str, Any]],
    base_url: str,
    title: str,
    title_en: str,
    description: str,
    publisher_name: str,
    publisher_url: str | None = None,
    page: int | None = None,
    page_size: int | None = None,
    total: int | None = None,
    catalog_modified: str | None = None,
) -> Graph:
    """Return a graph with the dcat:Catalog ``{base_url}/catalog`` and every package in
    ``packages`` as one of its datasets.

    ``page`` (from 1), ``page_size`` and ``total`` (the number of packages in the whole
    catalogue) together describe which slice ``packages`` is; when given, the graph also holds a
    hydra:PartialCollectionView ``{base_url}/catalog?page=N`` with hydra:first, hydra:last,
    hydra:previous and hydra:next (only the links that exist), hydra:totalItems and
    hydra:itemsPerPage, as ckanext-dcat pages its catalogue. The page links carry no file
    extension because the serialisation is chosen after the graph is built; the endpoint that
    serves ``/catalog.ttl`` should also answer ``/catalog?page=N`` (by content negotiation) or
    rewrite the links.

    Raises ValueError if only some of the paging arguments are given, or if ``page`` or
    ``page_size`` is below 1 or ``total`` below 0.
    """
    paging = (page, page_size, total)
    paged = any(value is not None for value in paging)
    if paged and (page is None or page_size is None or total is None):
        raise ValueError("page, page_size and total must be given together")
    if paged and ((page or 0) < 1 or (page_size or 0) < 1 or (total or 0) < 0):
        raise ValueError("page and page_size must be at least 1 and total at least 0")

    base = _strip(base_url)
    graph = _new_graph()
    catalog = URIRef(f"{base}/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(title, lang=_ZH)))
    graph.add((catalog, DCTERMS.title, Literal(title_en, lang=_EN)))
    graph.add((catalog, DCTERMS.description, Literal(description, lang=_ZH)))
    graph.add((catalog, DCTERMS.language, LANGUAGE[LANGUAGES[_ZH]]))
    graph.add((catalog, DCAT.themeTaxonomy, URIRef(_EU + "data-theme")))
    graph.add((catalog, FOAF.homepage, URIRef(base)))
    modified = _date_literal(catalog_modified)
    if modified is not None:
        graph.add((catalog, DCTERMS.modified, modified))

    publisher = BNode()
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(publisher_name, lang=_ZH)))
    homepage = _url(publisher_url)
    if homepage is not None:
        graph.add((publisher, FOAF.homepage, homepage))

    for package in packages:
        graph.add((catalog, DCAT.dataset, _add_dataset(graph, package, base)))

    if page is not None and page_size is not None and total is not None:
        _add_paging(graph, catalog, base=base, page=page, page_size=page_size, total=total)
    return graph


def serialize(graph: Graph, fmt: RDFFormat) -> bytes:
    """Return the graph as UTF-8 JSON-LD (compacted with the dcat, dct, foaf, vcard, hydra,
    skos and xsd prefixes as its @context), Turtle or RDF/XML; MEDIA_TYPES[fmt] is its media
    type. Raises ValueError for any other ``fmt``."""
    if fmt not in _RDFLIB_FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}")
    if fmt == "jsonld":
        return graph.serialize(
            format="json-ld", context=dict(_PREFIXES), auto_compact=True, encoding="utf-8"
        )
    return graph.serialize(format=_RDFLIB_FORMATS[fmt], encoding="utf-8")


def _new_graph() -> Graph:
    """Return an empty graph with only our prefixes (and rdflib's core ones) bound."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _add_dataset(graph: Graph, package: Mapping[str, Any], base: str) -> URIRef:
    """Add the package as a dcat:Dataset to the graph and return its IRI."""
    dataset_id = _segment(package["id"])
    dataset = URIRef(f"{base}/dataset/{dataset_id}")
    graph.add((dataset, RDF.type, DCAT.Dataset))

    _add_text(graph, dataset, DCTERMS.title, package.get("title"), _ZH)
    _add_text(graph, dataset, DCTERMS.title, package.get("title_en"), _EN)
    _add_text(graph, dataset, DCTERMS.description, package.get("notes"), _ZH)
    identifier = _text(package.get("code")) or _text(package.get("id"))
    if identifier:
        graph.add((dataset, DCTERMS.identifier, Literal(identifier)))
    landing_page = _url(package.get("url"))
    if landing_page is not None:
        graph.add((dataset, DCAT.landingPage, landing_page))

    for tag in package.get("tags") or ():
        _add_text(graph, dataset, DCAT.keyword, tag.get("name"), _ZH)
    for theme in _themes(package.get("groups") or ()):
        graph.add((dataset, DCAT.theme, theme))

    _add_date(graph, dataset, DCTERMS.issued, package.get("publish_date"))
    if (dataset, DCTERMS.issued, None) not in graph:
        _add_date(graph, dataset, DCTERMS.issued, package.get("metadata_created"))
    _add_date(graph, dataset, DCTERMS.modified, package.get("metadata_modified"))

    frequency = FREQUENCIES.get(package.get("update_frequency") or "")
    if frequency:
        graph.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCY[frequency]))
    access_right = ACCESS_RIGHTS.get(package.get("open_class") or "")
    if access_right:
        graph.add((dataset, DCTERMS.accessRights, ACCESS_RIGHT[access_right]))
    for language in package.get("language") or ():
        if language in LANGUAGES:
            graph.add((dataset, DCTERMS.language, LANGUAGE[LANGUAGES[language]]))

    organization = package.get("organization") or {}
    if _text(organization.get("name")):
        graph.add((dataset, DCTERMS.publisher, _add_agent(graph, organization, base)))
    _add_contact_point(graph, dataset, organization, package.get("contact_email"))
    _add_spatial(graph, dataset, package, base)
    _add_temporal(graph, dataset, package.get("temporal_start"), package.get("temporal_end"))

    licence = _url(package.get("license_url"))
    if licence is not None:
        graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
        _add_text(graph, licence, DCTERMS.title, package.get("license_title"), None)
    for resource in package.get("resources") or ():
        distribution = _add_distribution(graph, resource, dataset, licence)
        graph.add((dataset, DCAT.distribution, distribution))
    return dataset


def _add_distribution(
    graph: Graph, resource: Mapping[str, Any], dataset: URIRef, licence: URIRef | None
) -> URIRef:
    """Add one resource as a dcat:Distribution of the dataset and return its IRI."""
    distribution = URIRef(f"{dataset}/resource/{_segment(resource['id'])}")
    graph.add((distribution, RDF.type, DCAT.Distribution))
    _add_text(graph, distribution, DCTERMS.title, resource.get("name"), _ZH)
    _add_text(graph, distribution, DCTERMS.description, resource.get("description"), _ZH)
    url = _url(resource.get("url"))
    if url is not None:
        graph.add((distribution, DCAT.accessURL, url))
        graph.add((distribution, DCAT.downloadURL, url))

    file_type, default_media_type = FORMATS.get(_format_key(resource.get("format")), (None, None))
    if file_type:
        graph.add((distribution, DCTERMS.format, FILE_TYPE[file_type]))
    media_type = _text(resource.get("mimetype")) or default_media_type
    if media_type and _MEDIA_TYPE_RE.match(media_type):
        graph.add((distribution, DCAT.mediaType, IANA_MEDIA_TYPE[media_type.lower()]))

    size = resource.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        graph.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    if licence is not None:
        graph.add((distribution, DCTERMS.license, licence))
    _add_date(graph, distribution, DCTERMS.issued, resource.get("created"))
    _add_date(graph, distribution, DCTERMS.modified, resource.get("last_modified"))
    return distribution


def _add_agent(graph: Graph, organization: Mapping[str, Any], base: str) -> URIRef:
    """Add the organization as a foaf:Agent named in Chinese (and English) and return its
    IRI."""
    agent = URIRef(f"{base}/organization/{_segment(organization['name'])}")
    graph.add((agent, RDF.type, FOAF.Agent))
    _add_text(graph, agent, FOAF.name, organization.get("title"), _ZH)
    _add_text(graph, agent, FOAF.name, organization.get("title_en"), _EN)
    return agent


def _add_contact_point(
    graph: Graph, dataset: URIRef, organization: Mapping[str, Any], email: object
) -> None:
    """Add a vcard:Organization contact point with the e-mail address, if there is one."""
    address = _text(email)
    if not address or not _URL_RE.match(f"mailto:{address}"):
        return
    contact = BNode()
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    _add_text(graph, contact, VCARD.fn, organization.get("title"), _ZH)
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{quote(address, safe='@+.')}")))


def _add_spatial(graph: Graph, dataset: URIRef, package: Mapping[str, Any], base: str) -> None:
    """Add the GB/T 2260 division as a dct:Location ``{base}/division/{code}``, if there is
    one."""
    code = _text(package.get("spatial_division"))
    if not code:
        return
    location = URIRef(f"{base}/division/{_segment(code)}")
    graph.add((dataset, DCTERMS.spatial, location))
    graph.add((location, RDF.type, DCTERMS.Location))
    graph.add((location, SKOS.notation, Literal(code)))
    _add_text(graph, location, SKOS.prefLabel, package.get("spatial_name"), _ZH)


def _add_temporal(graph: Graph, dataset: URIRef, start: object, end: object) -> None:
    """Add a dct:PeriodOfTime with whichever of its start and end dates are valid."""
    start_date, end_date = _date_literal(start), _date_literal(end)
    if start_date is None and end_date is None:
        return
    period = BNode()
    graph.add((dataset, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if start_date is not None:
        graph.add((period, DCAT.startDate, start_date))
    if end_date is not None:
        graph.add((period, DCAT.endDate, end_date))


def _add_paging(
    graph: Graph, catalog: URIRef, *, base: str, page: int, page_size: int, total: int
) -> None:
    """Add the hydra:PartialCollectionView of one page of the catalogue."""
    last = max(1, math.ceil(total / page_size))

    def page_url(number: int) -> URIRef:
        return URIRef(f"{base}/catalog?page={number}")

    view = page_url(page)
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.totalItems, Literal(total)))
    graph.add((view, HYDRA.itemsPerPage, Literal(page_size)))
    graph.add((view, HYDRA.first, page_url(1)))
    graph.add((view, HYDRA.last, page_url(last)))
    if page > 1:
        # A page past the end points back to the last page that has items.
        graph.add((view, HYDRA.previous, page_url(min(page - 1, last))))
    if page < last:
        graph.add((view, HYDRA.next, page_url(page + 1)))


def _themes(groups: Sequence[Mapping[str, Any]]) -> list[URIRef]:
    """Return the EU data themes of the groups, each once, in the groups' order."""
    themes: list[URIRef] = []
    for group in groups:
        code = THEMES.get((_text(group.get("name")) or "").lower())
        if code and DATA_THEME[code] not in themes:
            themes.append(DATA_THEME[code])
    return themes


def _add_text(
    graph: Graph, subject: Node, predicate: URIRef, value: object, lang: str | None
) -> None:
    """Add a literal in the language (or a plain one when ``lang`` is None), unless the value
    is missing or blank."""
    text = _text(value)
    if text:
        graph.add((subject, predicate, Literal(text, lang=lang)))


def _add_date(graph: Graph, subject: Node, predicate: URIRef, value: object) -> None:
    """Add an xsd:date or xsd:dateTime literal, unless the value is missing or not a date."""
    literal = _date_literal(value)
    if literal is not None:
        graph.add((subject, predicate, literal))


def _date_literal(value: object) -> Literal | None:
    """Return an ISO 8601 date as xsd:date and a date-time as xsd:dateTime (``date`` and
    ``datetime`` objects are accepted too), or None for anything else."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    if isinstance(value, date):
        return Literal(value.isoformat(), datatype=XSD.date)
    return None


def _url(value: object) -> URIRef | None:
    """Return the value as an IRI if it is an absolute URL that can be written as one."""
    text = _text(value)
    if text and _URL_RE.match(text):
        return URIRef(text)
    return None


def _text(value: object) -> str | None:
    """Return the value stripped, or None unless it is a non-blank string."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _segment(value: object) -> str:
    """Return the value percent-encoded for use as one path segment of an IRI we mint."""
    return quote(str(value), safe="")


def _format_key(value: object) -> str:
    """Return a resource format normalised for the FORMATS table ("csv", ".CSV" → "CSV")."""
    return (_text(value) or "").lstrip(".").upper()


def _strip(base_url: str) -> str:
    """Return the site URL without a trailing slash."""
    return base_url.rstrip("/")
