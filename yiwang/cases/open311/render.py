"""GeoReport v2 documents in XML and JSON, shaped as the specification's examples: XML with
the declaration and the spec's root elements, JSON by the Spark convention (a list at the top,
except the service definition, which is one object)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from fastapi.responses import Response

from yiwang.cases.open311.port import Category, Complaint, Filed

Format = Literal["xml", "json"]
FORMATS: tuple[Format, ...] = ("xml", "json")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# China keeps one offset all year; times are given with it, as the w3 format allows.
CHINA = dt.timezone(dt.timedelta(hours=8))

# The element each list item gets in XML, by the list's own element.
_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def w3_datetime(moment: dt.datetime | None) -> str | None:
    """``2010-04-14T06:37:38+08:00``: the w3 profile of ISO 8601, with the offset."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=4096)
def _w3_repeated(moment: dt.datetime) -> str | None:
    """:func:`w3_datetime` of a value a list repeats (the end of a due day)."""
    return w3_datetime(moment)


def service_dict(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": any(a.variable for a in category.attributes),
        "type": "realtime",
        "keywords": ", ".join(category.keywords) or None,
        "group": category.group,
    }


def definition_dict(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description,
                "order": attribute.order,
                "description": attribute.description,
                "values": [{"key": v.key, "name": v.name} for v in attribute.values],
            }
            for attribute in sorted(category.attributes, key=lambda a: a.order)
        ],
    }


def request_dict(complaint: Complaint) -> dict[str, Any]:
    requested = w3_datetime(complaint.requested_datetime)
    return {
        "service_request_id": complaint.service_request_id,
        "status": complaint.status,
        "status_notes": complaint.status_notes,
        "service_name": complaint.service_name,
        "service_code": complaint.service_code,
        "description": complaint.description,
        "agency_responsible": complaint.agency_responsible,
        "service_notice": complaint.service_notice,
        "requested_datetime": requested,
        "updated_datetime": requested
        if complaint.updated_datetime == complaint.requested_datetime
        else w3_datetime(complaint.updated_datetime),
        "expected_datetime": None
        if complaint.expected_datetime is None
        else _w3_repeated(complaint.expected_datetime),
        "address": complaint.address,
        "address_id": complaint.address_id,
        "zipcode": complaint.zipcode,
        "lat": complaint.lat,
        "long": complaint.lon,
        "media_url": complaint.media_url,
    }


def filed_dict(filed: Filed, notice: str | None = None) -> dict[str, Any]:
    # The spec: a request id or a token, never both.
    answer: dict[str, Any] = (
        {"service_request_id": filed.service_request_id}
        if filed.service_request_id is not None
        else {"token": filed.token}
    )
    return {**answer, "service_notice": notice, "account_id": filed.account_id}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list):
        item = _ITEMS.get(name, "item")
        for entry in value:
            child = ET.SubElement(element, item)
            if isinstance(entry, Mapping):
                _fill(child, entry)
            else:
                child.text = _text(entry)
        return
    text = _text(value)
    if text is not None:
        element.text = text


def _fill(element: ET.Element, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        _append(element, name, value)


def to_xml(
    root: str, item: str | None, body: Sequence[Mapping[str, Any]] | Mapping[str, Any]
) -> str:
    """``<root><item>…</item>…</root>`` for a list, ``<root>…</root>`` for one object."""
    element = ET.Element(root)
    if isinstance(body, Mapping):
        _fill(element, body)
    else:
        for entry in body:
            _fill(ET.SubElement(element, item or "item"), entry)
    ET.indent(element, space="  ")
    return XML_DECLARATION + ET.tostring(element, encoding="unicode") + "\n"


def document(
    fmt: Format,
    root: str,
    item: str | None,
    body: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The response in the format asked for (``.xml`` or ``.json``)."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        media_type = JSON_TYPE
    else:
        content = to_xml(root, item, body)
        media_type = XML_TYPE
    return Response(
        content.encode("utf-8"),
        status_code=status_code,
        media_type=media_type,
        headers=dict(headers or {}),
    )


def services(fmt: Format, categories: Iterable[Category]) -> Response:
    return document(fmt, "services", "service", [service_dict(c) for c in categories])


def definition(fmt: Format, category: Category) -> Response:
    return document(fmt, "service_definition", None, definition_dict(category))


def requests(fmt: Format, complaints: Iterable[Complaint]) -> Response:
    return document(fmt, "service_requests", "request", [request_dict(c) for c in complaints])


def filed(fmt: Format, answer: Filed, notice: str | None = None) -> Response:
    return document(fmt, "service_requests", "request", [filed_dict(answer, notice)])


def token(fmt: Format, *, token: str, service_request_id: str) -> Response:
    body = [{"service_request_id": service_request_id, "token": token}]
    return document(fmt, "service_requests", "request", body)


def changeset(moment: dt.datetime | None) -> str:
    """Service Discovery's sortable ``changeset``: the time in UTC to the microsecond, in a
    fixed width (``2011-02-03T14:18:00.000000Z``), so two changes within a second differ."""
    if moment is None:
        return "1970-01-01T00:00:00.000000Z"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def discovery_dict(
    *, url: str, changed_at: dt.datetime | None, contact: str, key_service: str
) -> dict[str, Any]:
    """The Service Discovery document: one production GeoReport v2 endpoint, in XML and JSON."""
    stamp = changeset(changed_at)
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": stamp,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def discovery(fmt: Format, body: Mapping[str, Any]) -> Response:
    return document(fmt, "discovery", None, body)


def errors(
    fmt: Format,
    status_code: int,
    problems: Sequence[tuple[int | str, str]],
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = [{"code": code, "description": description} for code, description in problems]
    return document(fmt, "errors", "error", body, status_code=status_code, headers=headers)
