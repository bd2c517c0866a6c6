"""GeoReport v2 documents: our XML and JSON have the shape of the specification's own
examples (same elements, same order, same JSON types), with our values."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from yiwang.cases.open311 import render
from yiwang.cases.open311.port import (
    Attribute,
    AttributeValue,
    Category,
    Complaint,
    Filed,
)

# The specification's examples (GeoReport v2, wiki.open311.org), as published.
SPEC_SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services>
    <service>
        <service_code>001</service_code>
        <service_name>Cans left out 24x7</service_name>
        <description>Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.</description>
        <metadata>true</metadata>
        <type>realtime</type>
        <keywords>lorem, ipsum, dolor</keywords>
        <group>sanitation</group>
    </service>
</services>"""  # noqa: E501  (the spec's example as published)

SPEC_DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition>
    <service_code>DMV66</service_code>
    <attributes>
        <attribute>
            <variable>true</variable>
            <code>WHISHETN</code>
            <datatype>singlevaluelist</datatype>
            <required>true</required>
            <datatype_description></datatype_description>
            <order>1</order>
            <description>What is the ticket/tag/DL number?</description>
            <values>
                <value>
                    <key>123</key>
                    <name>Ford</name>
                </value>
                <value>
                    <key>124</key>
                    <name>Chrysler</name>
                </value>
            </values>
        </attribute>
    </attributes>
</service_definition>"""

SPEC_REQUESTS_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>638344</service_request_id>
        <status>closed</status>
        <status_notes>Duplicate request.</status_notes>
        <service_name>Sidewalk and Curb Issues</service_name>
        <service_code>006</service_code>
        <description></description>
        <agency_responsible></agency_responsible>
        <service_notice></service_notice>
        <requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
        <updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
        <expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
        <address>8TH AVE and JUDAH ST</address>
        <address_id>545483</address_id>
        <zipcode>94122</zipcode>
        <lat>37.762221815</lat>
        <long>-122.4651145</long>
        <media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
    </request>
</service_requests>"""

SPEC_POST_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>293944</service_request_id>
        <service_notice>The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code</service_notice>
        <account_id/>
    </request>
</service_requests>"""  # noqa: E501  (the spec's example as published)

SPEC_TOKEN_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
    <request>
        <service_request_id>638344</service_request_id>
        <token>12345</token>
    </request>
</service_requests>"""

SPEC_ERRORS_XML = """<?xml version="1.0" encoding="utf-8"?>
<errors>
    <error>
        <code>403</code>
        <description>Invalid api_key received -- can't proceed with create_request.</description>
    </error>
</errors>"""

PACIFIC = dt.timezone(dt.timedelta(hours=-8))


def tree(xml: str | bytes) -> Any:
    """An element as (tag, text or None, children), blanks ignored, for comparing."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    root = ET.fromstring(text.encode("utf-8"))  # noqa: S314  (our own output and the spec's)

    def walk(element: ET.Element) -> Any:
        value = (element.text or "").strip() or None
        return (element.tag, value if len(element) == 0 else None, [walk(c) for c in element])

    return walk(root)


def spec_service() -> Category:
    return Category(
        code="001",
        name="Cans left out 24x7",
        description="Garbage or recycling cans that have been left out for more than 24 hours "
        "after collection. Violators will be cited.",
        group="sanitation",
        keywords=("lorem", "ipsum", "dolor"),
        attributes=(Attribute(code="WHISHETN", datatype="string", description="?", order=1),),
    )


def spec_definition() -> Category:
    return Category(
        code="DMV66",
        name="DMV",
        attributes=(
            Attribute(
                code="WHISHETN",
                datatype="singlevaluelist",
                required=True,
                order=1,
                description="What is the ticket/tag/DL number?",
                values=(AttributeValue("123", "Ford"), AttributeValue("124", "Chrysler")),
            ),
        ),
    )


def spec_request() -> Complaint:
    moment = dt.datetime(2010, 4, 14, 6, 37, 38, tzinfo=PACIFIC)
    return Complaint(
        service_request_id="638344",
        status="closed",
        status_notes="Duplicate request.",
        service_name="Sidewalk and Curb Issues",
        service_code="006",
        requested_datetime=moment,
        updated_datetime=moment,
        expected_datetime=moment + dt.timedelta(days=1),
        address="8TH AVE and JUDAH ST",
        address_id="545483",
        zipcode="94122",
        lat=37.762221815,
        lon=-122.4651145,
        media_url="http://city.gov.s3.amazonaws.com/requests/media/638344.jpg",
        division_code="330100",
    )


def test_service_list_xml_is_the_spec_example() -> None:
    response = render.services("xml", [spec_service()])
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services>')
    assert tree(response.body) == tree(SPEC_SERVICES_XML)


def test_service_list_json_is_a_list_with_json_types() -> None:
    response = render.services("json", [spec_service()])
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(response.body) == [
        {
            "service_code": "001",
            "service_name": "Cans left out 24x7",
            "description": spec_service().description,
            "metadata": True,
            "type": "realtime",
            "keywords": "lorem, ipsum, dolor",
            "group": "sanitation",
        }
    ]


def test_a_service_without_questions_has_no_metadata() -> None:
    quiet = Category(code="A1", name="噪音扰民")
    (service,) = json.loads(render.services("json", [quiet]).body)
    assert service["metadata"] is False
    assert service["keywords"] is None
    assert tree(render.services("xml", [quiet]).body)[2][0][2][3] == ("metadata", "false", [])


def test_service_definition_xml_and_json_are_the_spec_example() -> None:
    assert tree(render.definition("xml", spec_definition()).body) == tree(SPEC_DEFINITION_XML)
    assert json.loads(render.definition("json", spec_definition()).body) == {
        "service_code": "DMV66",
        "attributes": [
            {
                "variable": True,
                "code": "WHISHETN",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "What is the ticket/tag/DL number?",
                "values": [{"key": "123", "name": "Ford"}, {"key": "124", "name": "Chrysler"}],
            }
        ],
    }


def test_attributes_come_in_their_order() -> None:
    category = Category(
        code="X",
        name="X",
        attributes=(
            Attribute(code="second", datatype="text", description="2", order=2),
            Attribute(code="first", datatype="number", description="1", order=1),
        ),
    )
    body = json.loads(render.definition("json", category).body)
    assert [a["code"] for a in body["attributes"]] == ["first", "second"]


def test_service_requests_xml_is_the_spec_example_and_keeps_the_offset() -> None:
    response = render.requests("xml", [spec_request()])
    ours = tree(response.body)
    spec = tree(SPEC_REQUESTS_XML)
    # The spec's example is in US Pacific time; we give the same instants in China's offset.
    times = {"requested_datetime", "updated_datetime", "expected_datetime"}
    strip = [(t, None if t in times else v, c) for t, v, c in ours[2][0][2]]
    assert strip == [(t, None if t in times else v, c) for t, v, c in spec[2][0][2]]
    assert ("requested_datetime", "2010-04-14T22:37:38+08:00", []) in ours[2][0][2]
    assert ("expected_datetime", "2010-04-15T22:37:38+08:00", []) in ours[2][0][2]


def test_service_requests_json_gives_numbers_and_nulls() -> None:
    (request,) = json.loads(render.requests("json", [spec_request()]).body)
    assert request["lat"] == 37.762221815
    assert request["long"] == -122.4651145
    assert request["description"] is None
    assert request["agency_responsible"] is None
    assert request["requested_datetime"] == "2010-04-14T22:37:38+08:00"
    assert list(request) == [tag for tag, _, _ in tree(SPEC_REQUESTS_XML)[2][0][2]]


def test_a_post_answer_is_the_spec_example() -> None:
    notice = (
        "The City will inspect and require the responsible party to correct within 24 hours "
        "and/or issue a Correction Notice or Notice of Violation of the Public Works Code"
    )
    answer = Filed(service_request_id="293944")
    assert tree(render.filed("xml", answer, notice).body) == tree(SPEC_POST_XML)
    assert json.loads(render.filed("json", answer, notice).body) == [
        {"service_request_id": "293944", "service_notice": notice, "account_id": None}
    ]


def test_a_batch_answer_gives_the_token_and_no_request_id() -> None:
    (body,) = json.loads(render.filed("json", Filed(service_request_id=None, token="t-1")).body)
    assert body == {"token": "t-1", "service_notice": None, "account_id": None}


def test_a_token_answer_is_the_spec_example() -> None:
    response = render.token("xml", token="12345", service_request_id="638344")
    assert tree(response.body) == tree(SPEC_TOKEN_XML)


def test_errors_are_the_spec_example() -> None:
    message = "Invalid api_key received -- can't proceed with create_request."
    response = render.errors("xml", 403, [(403, message)])
    assert response.status_code == 403
    assert tree(response.body) == tree(SPEC_ERRORS_XML)
    assert json.loads(render.errors("json", 403, [(403, message)]).body) == [
        {"code": 403, "description": message}
    ]


def test_text_is_escaped_and_utf8() -> None:
    complaint = Complaint(
        service_request_id="1",
        status="open",
        service_code="A",
        service_name="占道经营 <摊贩> & 噪音",
        requested_datetime=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
        updated_datetime=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
        division_code="330100",
    )
    body = render.requests("xml", [complaint]).body
    assert "占道经营 &lt;摊贩&gt; &amp; 噪音".encode() in body
    assert ("service_name", "占道经营 <摊贩> & 噪音", []) in tree(body)[2][0][2]


def test_w3_datetimes_carry_an_offset() -> None:
    assert render.w3_datetime(dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC)) == (
        "2025-01-01T08:00:00+08:00"
    )
    assert render.w3_datetime(None) is None
