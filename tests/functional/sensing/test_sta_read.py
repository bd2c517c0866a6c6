"""Reading SensorThings API 1.1 as a client does: the service root, collections and paging,
navigation paths, $select, $expand, $orderby, $count, $ref, $value, dataArray, visibility and
the errors a client gets, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.sensing import (
    Network,
    add_observations,
    make_datastream,
    make_network,
    make_thing,
)
from yiwang.sensing import parsing
from yiwang.sensing.models import Datastream, Thing

STA = "/sta/v1.1"


@dataclass
class World:
    net: Network
    west_lake: Thing
    qiantang: Thing
    closed: Thing
    pm25: Datastream
    no2: Datastream
    closed_stream: Datastream


@pytest.fixture
def world(session: Session) -> World:
    net = make_network(session)
    west_lake = make_thing(
        session,
        department=net.env,
        name="西湖监测站",
        properties={"owner": "杭州市", "height": 12},
    )
    qiantang = make_thing(
        session,
        department=net.env,
        name="钱塘江监测站",
        coordinates=(120.3, 30.3),
        properties={"owner": "宁波市", "height": 3},
    )
    closed = make_thing(session, department=net.env, name="内部监测站", is_open=False)
    pm25 = make_datastream(session, west_lake, name="西湖 PM2.5", observed_property="PM2.5")
    no2 = make_datastream(session, qiantang, name="钱塘江 NO2", observed_property="NO2")
    closed_stream = make_datastream(session, closed, name="内部 PM2.5")
    add_observations(session, pm25, [12.5, 30.0, 55.5, 80.0, 41.0])
    add_observations(session, no2, [5.0, 6.0])
    add_observations(session, closed_stream, [1.0])
    session.commit()
    return World(net, west_lake, qiantang, closed, pm25, no2, closed_stream)


def _names(body: dict[str, object]) -> list[str]:
    return [item["name"] for item in body["value"]]  # type: ignore[attr-defined, index]


def test_service_root_lists_entity_sets_and_conformance(app_client: TestClient) -> None:
    body = app_client.get(STA).json()
    sets = {entry["name"]: entry["url"] for entry in body["value"]}
    assert sets["Things"] == "http://testserver/sta/v1.1/Things"
    assert set(sets) >= {
        "Things",
        "Locations",
        "HistoricalLocations",
        "Datastreams",
        "MultiDatastreams",
        "Sensors",
        "ObservedProperties",
        "Observations",
        "FeaturesOfInterest",
    }
    conformance = body["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data" in conformance
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete" in conformance
    mqtt = "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
    assert mqtt + "observations-creation" in conformance
    # The broker's address is given without the credentials of the server's own connection.
    assert body["serverSettings"][mqtt + "observations-creation"]["endpoints"] == [
        "mqtt://127.0.0.1:1883"
    ]


def test_a_thing_has_its_id_self_link_and_navigation_links(
    app_client: TestClient, world: World
) -> None:
    thing = app_client.get(f"{STA}/Things({world.west_lake.id})").json()
    link = f"http://testserver/sta/v1.1/Things({world.west_lake.id})"
    assert thing["@iot.id"] == world.west_lake.id
    assert thing["@iot.selfLink"] == link
    assert thing["name"] == "西湖监测站"
    assert thing["properties"] == {"owner": "杭州市", "height": 12}
    assert thing["Datastreams@iot.navigationLink"] == f"{link}/Datastreams"
    assert thing["Locations@iot.navigationLink"] == f"{link}/Locations"


def test_anonymous_readers_do_not_see_things_that_are_not_open(
    app_client: TestClient, world: World
) -> None:
    names = _names(app_client.get(f"{STA}/Things").json())
    assert "西湖监测站" in names
    assert "内部监测站" not in names
    assert app_client.get(f"{STA}/Things({world.closed.id})").status_code == 404
    streams = _names(app_client.get(f"{STA}/Datastreams").json())
    assert "内部 PM2.5" not in streams
    observations = app_client.get(f"{STA}/Observations?$count=true").json()
    assert observations["@iot.count"] == 7
    missing = app_client.get(f"{STA}/Datastreams({world.closed_stream.id})/Observations")
    assert missing.status_code == 404


def test_staff_of_the_owning_department_see_closed_things_and_other_departments_do_not(
    app_client: TestClient, world: World
) -> None:
    own = app_client.get(f"{STA}/Things", headers=world.net.auth("env_member")).json()
    assert "内部监测站" in _names(own)
    other = app_client.get(f"{STA}/Things", headers=world.net.auth("tr_editor")).json()
    assert "内部监测站" not in _names(other)
    count = app_client.get(
        f"{STA}/Observations?$count=true&$top=1", headers=world.net.auth("env_member")
    ).json()["@iot.count"]
    assert count == 8


def test_paging_follows_next_links_to_the_end(app_client: TestClient, world: World) -> None:
    url = f"{STA}/Datastreams({world.pm25.id})/Observations?$top=2&$orderby=phenomenonTime"
    results: list[float] = []
    pages = 0
    while url:
        body = app_client.get(url).json()
        results += [o["result"] for o in body["value"]]
        url = body.get("@iot.nextLink", "")
        pages += 1
    assert results == [12.5, 30.0, 55.5, 80.0, 41.0]
    assert pages == 3


def test_next_link_keeps_the_other_options(app_client: TestClient, world: World) -> None:
    body = app_client.get(f"{STA}/Observations?$top=2&$filter=result gt 10&$count=true").json()
    assert body["@iot.count"] == 5
    link = urlsplit(body["@iot.nextLink"])
    assert link.path == "/sta/v1.1/Observations"
    params = parse_qs(link.query)
    assert params["$skip"] == ["2"]
    assert params["$top"] == ["2"]
    assert params["$filter"] == ["result gt 10"]


def test_count_is_given_only_when_asked(app_client: TestClient, world: World) -> None:
    assert "@iot.count" not in app_client.get(f"{STA}/Things").json()
    assert app_client.get(f"{STA}/Things?$count=true").json()["@iot.count"] == 2


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("result desc", [80.0, 55.5, 41.0, 30.0, 12.5]),
        ("result ASC", [12.5, 30.0, 41.0, 55.5, 80.0]),
        ("phenomenonTime DESC", [41.0, 80.0, 55.5, 30.0, 12.5]),
    ],
)
def test_orderby_in_any_case(
    app_client: TestClient, world: World, order: str, expected: list[float]
) -> None:
    body = app_client.get(f"{STA}/Datastreams({world.pm25.id})/Observations?$orderby={order}")
    assert [o["result"] for o in body.json()["value"]] == expected


def test_navigation_paths(app_client: TestClient, world: World) -> None:
    thing = world.west_lake.id
    sensor = app_client.get(f"{STA}/Things({thing})/Datastreams({world.pm25.id})/Sensor").json()
    assert sensor["@iot.id"] == world.pm25.sensor_id
    stream = app_client.get(f"{STA}/Things({thing})/Datastreams({world.no2.id})")
    assert stream.status_code == 404
    locations = app_client.get(f"{STA}/Things({thing})/Locations").json()["value"]
    assert locations[0]["location"] == {"type": "Point", "coordinates": [120.14, 30.25]}
    prop = app_client.get(f"{STA}/Datastreams({world.pm25.id})/ObservedProperty/name").json()
    assert prop == {"name": "PM2.5"}
    value = app_client.get(f"{STA}/Datastreams({world.pm25.id})/ObservedProperty/name/$value")
    assert value.text == "PM2.5"
    assert value.headers["content-type"].startswith("text/plain")


def test_ref_lists_self_links(app_client: TestClient, world: World) -> None:
    body = app_client.get(f"{STA}/Things({world.west_lake.id})/Datastreams/$ref").json()
    assert body["value"] == [
        {"@iot.selfLink": f"http://testserver/sta/v1.1/Datastreams({world.pm25.id})"}
    ]


def test_select_returns_only_the_chosen_properties(app_client: TestClient, world: World) -> None:
    body = app_client.get(f"{STA}/Things?$select=name,id&$orderby=name").json()
    assert body["value"][0].keys() == {"@iot.id", "@iot.selfLink", "name"}
    only_name = app_client.get(f"{STA}/Things?$select=name").json()["value"][0]
    assert list(only_name) == ["name"]


def test_nested_expand_with_its_own_options(app_client: TestClient, world: World) -> None:
    url = (
        f"{STA}/Things({world.west_lake.id})?$expand=Datastreams($filter=name eq '西湖 PM2.5';"
        "$expand=Observations($top=1;$orderby=phenomenonTime desc)),Locations"
    )
    thing = app_client.get(url).json()
    assert len(thing["Locations"]) == 1
    [stream] = thing["Datastreams"]
    assert stream["name"] == "西湖 PM2.5"
    assert [o["result"] for o in stream["Observations"]] == [41.0]
    assert stream["Observations@iot.nextLink"].startswith(
        f"http://testserver/sta/v1.1/Datastreams({world.pm25.id})/Observations?"
    )


def test_expand_of_a_collection_limits_each_parent_on_its_own(
    app_client: TestClient, world: World
) -> None:
    url = (
        f"{STA}/Datastreams?$orderby=name&$expand=Observations($top=1;$orderby=result desc;"
        "$count=true),Thing($select=name)"
    )
    streams = app_client.get(url).json()["value"]
    by_name = {s["name"]: s for s in streams}
    assert [o["result"] for o in by_name["西湖 PM2.5"]["Observations"]] == [80.0]
    assert by_name["西湖 PM2.5"]["Observations@iot.count"] == 5
    assert [o["result"] for o in by_name["钱塘江 NO2"]["Observations"]] == [6.0]
    assert by_name["钱塘江 NO2"]["Thing"] == {"name": "钱塘江监测站"}


def test_expand_with_a_slash_path(app_client: TestClient, world: World) -> None:
    url = f"{STA}/Things({world.qiantang.id})?$expand=Datastreams/ObservedProperty"
    thing = app_client.get(url).json()
    assert thing["Datastreams"][0]["ObservedProperty"]["name"] == "NO2"


def test_data_array_of_a_stream(app_client: TestClient, world: World) -> None:
    url = (
        f"{STA}/Datastreams({world.no2.id})/Observations?$resultFormat=dataArray"
        "&$select=result,phenomenonTime&$orderby=phenomenonTime"
    )
    [group] = app_client.get(url).json()["value"]
    assert group["Datastream@iot.navigationLink"].endswith(f"/Datastreams({world.no2.id})")
    assert group["components"] == ["phenomenonTime", "result"]
    assert group["dataArray@iot.count"] == 2
    assert group["dataArray"] == [
        ["2026-11-29T00:00:00.000Z", 5.0],
        ["2026-11-29T01:00:00.000Z", 6.0],
    ]


def test_data_array_without_select_has_every_component(
    app_client: TestClient, world: World
) -> None:
    body = app_client.get(f"{STA}/Observations?$resultFormat=dataArray").json()
    assert {len(group["dataArray"]) for group in body["value"]} == {5, 2}
    assert body["value"][0]["components"][:3] == ["id", "phenomenonTime", "result"]


def test_count_observations_show_integers(session: Session, app_client: TestClient) -> None:
    net = make_network(session)
    gate = make_thing(session, department=net.env, name="断桥入口")
    visitors = make_datastream(
        session, gate, observation_type=parsing.COUNT, observed_property="visitors"
    )
    add_observations(session, visitors, [120])
    session.commit()
    [obs] = app_client.get(f"{STA}/Datastreams({visitors.id})/Observations").json()["value"]
    assert obs["result"] == 120
    assert isinstance(obs["result"], int)


def test_unsupported_options_answer_501(app_client: TestClient) -> None:
    response = app_client.get(f"{STA}/Things?$search=abc", headers={"Accept-Language": "en"})
    assert response.status_code == 501
    assert response.json() == {
        "code": 501,
        "type": "error",
        "message": "Not implemented: $search",
        "errorCode": "sta.not_implemented",
    }
    assert app_client.get(f"{STA}/Observations?$resultFormat=CSV").status_code == 501


def test_a_malformed_filter_is_a_400_in_the_callers_language(app_client: TestClient) -> None:
    zh = app_client.get(f"{STA}/Things?$filter=name eq")
    assert zh.status_code == 400
    assert zh.json()["message"].startswith("$filter 表达式无效")
    en = app_client.get(f"{STA}/Things?$filter=name eq 'a' and", headers={"Accept-Language": "en"})
    assert en.status_code == 400
    assert en.json()["message"].startswith("The $filter expression is not valid")
    unknown = app_client.get(
        f"{STA}/Things?$filter=colour eq 'red'", headers={"Accept-Language": "en"}
    )
    assert unknown.json()["message"] == "Thing has no property colour"


def test_missing_entities_and_bad_paths(app_client: TestClient, world: World) -> None:
    missing = app_client.get(f"{STA}/Things(999999)", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["code"] == 404
    # A path that names nothing is not found, as an entity that does not exist.
    assert app_client.get(f"{STA}/Gadgets").status_code == 404
    assert app_client.get(f"{STA}/Things({world.west_lake.id})/Colour").status_code == 404
    assert app_client.get(f"{STA}/Things/Datastreams").status_code == 404
