"""Writing through SensorThings API 1.1: deep insert, links, HistoricalLocations, PATCH, PUT,
JSON Patch, DELETE, observations and CreateObservations, who may write, and the 4xx answers
for bad input (with nothing half-stored), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD
from tests.factories.sensing import Network, make_network
from yiwang.core.audit.models import AuditEntry
from yiwang.sensing.models import Observation, Thing

STA = "/sta/v1.1"
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"

STATION: dict[str, Any] = {
    "name": "西湖监测站",
    "description": "国控空气质量监测站",
    "properties": {"owner": "杭州市"},
    "Locations": [
        {
            "name": "西湖",
            "description": "西湖边",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [120.14, 30.25]},
        }
    ],
    "Datastreams": [
        {
            "name": "PM2.5",
            "description": "细颗粒物小时均值",
            "observationType": MEASUREMENT,
            "unitOfMeasurement": {"name": "微克每立方米", "symbol": "µg/m³", "definition": "ucum"},
            "Sensor": {
                "name": "β射线颗粒物监测仪",
                "description": "",
                "encodingType": "text/html",
                "metadata": "https://example.org/sensor",
            },
            "ObservedProperty": {
                "name": "PM2.5",
                "definition": "https://example.org/pm25",
                "description": "细颗粒物",
            },
        }
    ],
}


@pytest.fixture
def net(session: Session) -> Network:
    network = make_network(session)
    session.commit()
    return network


def _create_station(client: TestClient, net: Network, **changes: Any) -> dict[str, Any]:
    response = client.post(
        f"{STA}/Things", json={**STATION, **changes}, headers=net.auth("env_editor")
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _stream_of(client: TestClient, thing: dict[str, Any]) -> int:
    streams = client.get(thing["Datastreams@iot.navigationLink"]).json()["value"]
    return int(streams[0]["@iot.id"])


def test_deep_insert_creates_everything_with_a_location_header(
    app_client: TestClient, net: Network
) -> None:
    response = app_client.post(f"{STA}/Things", json=STATION, headers=net.auth("env_editor"))
    assert response.status_code == 201
    thing = response.json()
    assert response.headers["location"] == thing["@iot.selfLink"]
    assert thing["name"] == "西湖监测站"
    expanded = app_client.get(
        f"{STA}/Things({thing['@iot.id']})?$expand=Locations,HistoricalLocations($expand=Locations),"
        "Datastreams($expand=Sensor,ObservedProperty)"
    ).json()
    assert expanded["Locations"][0]["location"]["coordinates"] == [120.14, 30.25]
    [history] = expanded["HistoricalLocations"]
    assert history["Locations"][0]["@iot.id"] == expanded["Locations"][0]["@iot.id"]
    [stream] = expanded["Datastreams"]
    assert stream["unitOfMeasurement"]["symbol"] == "µg/m³"
    assert stream["Sensor"]["metadata"] == "https://example.org/sensor"
    assert stream["ObservedProperty"]["definition"] == "https://example.org/pm25"


def test_deep_insert_is_all_or_nothing(
    app_client: TestClient, net: Network, session: Session
) -> None:
    broken = {**STATION, "Datastreams": [{**STATION["Datastreams"][0], "unitOfMeasurement": "µg"}]}
    response = app_client.post(f"{STA}/Things", json=broken, headers=net.auth("env_editor", "en"))
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The field unitOfMeasurement of Datastream is not valid: expected a JSON object"
    )
    assert session.scalar(select(func.count()).select_from(Thing)) == 0


def test_linking_a_new_location_records_history(app_client: TestClient, net: Network) -> None:
    thing = _create_station(app_client, net)
    moved = app_client.post(
        f"{STA}/Things({thing['@iot.id']})/Locations",
        json={
            "name": "孤山",
            "description": "",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [120.15, 30.26]},
        },
        headers=net.auth("env_editor"),
    )
    assert moved.status_code == 201, moved.text
    locations = app_client.get(f"{STA}/Things({thing['@iot.id']})/Locations").json()["value"]
    assert [loc["name"] for loc in locations] == ["孤山"]
    history = app_client.get(
        f"{STA}/Things({thing['@iot.id']})/HistoricalLocations?$expand=Locations&$count=true"
    ).json()
    assert history["@iot.count"] == 2
    assert {h["Locations"][0]["name"] for h in history["value"]} == {"西湖", "孤山"}


def test_patch_put_json_patch_and_delete(app_client: TestClient, net: Network) -> None:
    thing = _create_station(app_client, net)
    url = f"{STA}/Things({thing['@iot.id']})"
    auth = net.auth("env_editor")
    patched = app_client.patch(url, json={"description": "已迁移"}, headers=auth)
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "已迁移"
    assert patched.json()["name"] == "西湖监测站"
    operations = [
        {"op": "add", "path": "/properties/height", "value": 12},
        {"op": "replace", "path": "/name", "value": "西湖站"},
    ]
    json_patched = app_client.patch(
        url, json=operations, headers={**auth, "Content-Type": "application/json-patch+json"}
    )
    assert json_patched.status_code == 200, json_patched.text
    assert json_patched.json()["properties"] == {"owner": "杭州市", "height": 12}
    assert json_patched.json()["name"] == "西湖站"
    replaced = app_client.put(url, json={"name": "新站", "description": ""}, headers=auth)
    assert replaced.status_code == 200
    assert replaced.json()["description"] == ""
    assert replaced.json()["properties"] is None
    assert app_client.put(url, json={"description": "x"}, headers=auth).status_code == 400
    assert app_client.put(url, json={"name": "新站"}, headers=auth).status_code == 400
    assert app_client.delete(url, headers=auth).status_code == 200
    assert app_client.get(url).status_code == 404
    assert app_client.get(f"{STA}/Datastreams").json()["value"] == []


def test_who_may_write(app_client: TestClient, net: Network, session: Session) -> None:
    anonymous = app_client.post(f"{STA}/Things", json={"name": "x"})
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 401
    member = app_client.post(f"{STA}/Things", json={"name": "x"}, headers=net.auth("env_member"))
    assert member.status_code == 403
    thing = _create_station(app_client, net)
    other = app_client.patch(
        f"{STA}/Things({thing['@iot.id']})", json={"name": "y"}, headers=net.auth("tr_editor")
    )
    assert other.status_code == 403
    denied = session.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert any(entry.object_type == "Thing" for entry in denied)


def test_http_basic_with_a_password_or_a_token(
    app_client: TestClient, net: Network, session: Session
) -> None:
    editor = net.actors["env_editor"].username
    for secret in (PASSWORD, net.tokens["env_editor"]):
        credentials = base64.b64encode(f"{editor}:{secret}".encode()).decode()
        response = app_client.post(
            f"{STA}/Sensors",
            json={"name": "s", "description": "", "encodingType": "text/html", "metadata": ""},
            headers={"Authorization": f"Basic {credentials}"},
        )
        assert response.status_code == 201, response.text
    wrong = base64.b64encode(f"{editor}:wrong".encode()).decode()
    refused = app_client.post(
        f"{STA}/Sensors", json={"name": "s"}, headers={"Authorization": f"Basic {wrong}"}
    )
    assert refused.status_code == 401


def test_posting_observations_to_a_stream(app_client: TestClient, net: Network) -> None:
    thing = _create_station(app_client, net)
    stream = _stream_of(app_client, thing)
    auth = net.auth("env_editor", "en")
    created = app_client.post(
        f"{STA}/Datastreams({stream})/Observations",
        json={"phenomenonTime": "2026-11-29T10:00:00+08:00", "result": 35.5},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    observation = created.json()
    assert observation["phenomenonTime"] == "2026-11-29T02:00:00.000Z"
    assert observation["result"] == 35.5
    feature = app_client.get(f"{observation['@iot.selfLink']}/FeatureOfInterest").json()
    assert feature["feature"] == {"type": "Point", "coordinates": [120.14, 30.25]}
    duplicate = app_client.post(
        f"{STA}/Observations",
        json={
            "phenomenonTime": "2026-11-29T02:00:00Z",
            "result": 1.0,
            "Datastream": {"@iot.id": stream},
        },
        headers=auth,
    )
    assert duplicate.status_code == 409
    assert "already has an observation" in duplicate.json()["message"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"phenomenonTime": "2026-11-29T10:00:00", "result": 1.0}, 422, "has no time zone"),
        (
            {"phenomenonTime": "2026-11-29T10:00:00Z", "result": "high"},
            422,
            "OM_Measurement: its result must be",
        ),
        ({"phenomenonTime": "2026-11-29T10:00:00Z"}, 400, "needs the field result"),
    ],
)
def test_bad_observations_are_refused_in_the_callers_language(
    app_client: TestClient,
    net: Network,
    session: Session,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    thing = _create_station(app_client, net)
    stream = _stream_of(app_client, thing)
    response = app_client.post(
        f"{STA}/Datastreams({stream})/Observations", json=body, headers=net.auth("env_editor", "en")
    )
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    zh = app_client.post(
        f"{STA}/Datastreams({stream})/Observations", json=body, headers=net.auth("env_editor")
    )
    assert zh.json()["message"] != response.json()["message"]
    assert session.scalar(select(func.count()).select_from(Observation)) == 0


def test_unknown_stream_and_malformed_json(app_client: TestClient, net: Network) -> None:
    unknown = app_client.post(
        f"{STA}/Observations",
        json={"result": 1, "Datastream": {"@iot.id": 987654}},
        headers=net.auth("env_editor", "en"),
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "error"
    malformed = app_client.post(
        f"{STA}/Things",
        content=b"{not json",
        headers={**net.auth("env_editor", "en"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["message"] == "The request body is not valid JSON."


def test_create_observations_with_data_arrays(
    app_client: TestClient, net: Network, session: Session
) -> None:
    thing = _create_station(app_client, net)
    stream = _stream_of(app_client, thing)
    body = [
        {
            "Datastream": {"@iot.id": stream},
            "components": ["phenomenonTime", "result"],
            "dataArray": [
                ["2026-11-29T00:00:00Z", 10.0],
                ["2026-11-29T01:00:00Z", 11.5],
                ["2026-11-29T02:00:00", 12.0],
                ["2026-11-29T03:00:00Z", "high"],
                ["2026-11-29T01:00:00Z", 99.0],
            ],
        }
    ]
    response = app_client.post(
        f"{STA}/CreateObservations", json=body, headers=net.auth("env_editor")
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer[0].startswith("http://testserver/sta/v1.1/Observations(")
    assert answer[1].startswith("http://testserver/sta/v1.1/Observations(")
    assert answer[2:] == ["error", "error", "error"]
    results = app_client.get(f"{STA}/Datastreams({stream})/Observations?$orderby=phenomenonTime")
    assert [o["result"] for o in results.json()["value"]] == [10.0, 11.5]
    audited = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "sensing.sta.create_observations")
    ).all()
    assert len(audited) == 1
    assert audited[0].details["stored"] == 2  # type: ignore[index]


def test_create_observations_refuses_a_malformed_request(
    app_client: TestClient, net: Network
) -> None:
    bad = app_client.post(
        f"{STA}/CreateObservations",
        json=[{"Datastream": {"@iot.id": 1}, "components": ["colour"], "dataArray": []}],
        headers=net.auth("env_editor", "en"),
    )
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("The CreateObservations request is not valid")
    assert app_client.post(f"{STA}/CreateObservations", json=[]).status_code == 401


def test_a_multidatastream_takes_arrays_of_results(app_client: TestClient, net: Network) -> None:
    thing = _create_station(app_client, net)
    auth = net.auth("env_editor")
    body = {
        "name": "风",
        "description": "风速与风向",
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
        "OM_ComplexObservation",
        "multiObservationDataTypes": [MEASUREMENT, MEASUREMENT],
        "unitOfMeasurements": [{"symbol": "m/s"}, {"symbol": "°"}],
        "Thing": {"@iot.id": thing["@iot.id"]},
        "Sensor": {
            "name": "风速仪",
            "description": "",
            "encodingType": "text/html",
            "metadata": "https://example.org/anemometer",
        },
        "ObservedProperties": [
            {"name": "风速", "definition": "urn:wind-speed", "description": ""},
            {"name": "风向", "definition": "urn:wind-direction", "description": ""},
        ],
    }
    created = app_client.post(f"{STA}/MultiDatastreams", json=body, headers=auth)
    assert created.status_code == 201, created.text
    multi = created.json()
    properties = app_client.get(multi["ObservedProperties@iot.navigationLink"]).json()["value"]
    assert [p["name"] for p in properties] == ["风速", "风向"]
    observed = app_client.post(
        f"{multi['@iot.selfLink']}/Observations",
        json={"phenomenonTime": "2026-11-29T00:00:00Z", "result": [3.5, 270]},
        headers=auth,
    )
    assert observed.status_code == 201, observed.text
    assert observed.json()["result"] == [3.5, 270]
    assert "MultiDatastream@iot.navigationLink" in observed.json()
    wrong = app_client.post(
        f"{multi['@iot.selfLink']}/Observations",
        json={"phenomenonTime": "2026-11-29T01:00:00Z", "result": [3.5]},
        headers=auth,
    )
    assert wrong.status_code == 422
    [group] = app_client.get(f"{STA}/Observations?$resultFormat=dataArray&$select=result").json()[
        "value"
    ]
    assert group["MultiDatastream@iot.navigationLink"] == multi["@iot.selfLink"]
    assert group["dataArray"] == [[[3.5, 270]]]
    lengths = {**body, "unitOfMeasurements": [{"symbol": "m/s"}]}
    assert app_client.post(f"{STA}/MultiDatastreams", json=lengths, headers=auth).status_code == 400


def test_reading_closed_data_is_audited_once_per_request(
    app_client: TestClient, net: Network, session: Session
) -> None:
    thing = _create_station(app_client, net)
    session.execute(
        Thing.__table__.update().where(Thing.id == thing["@iot.id"]).values(is_open=False)
    )
    session.commit()
    app_client.get(f"{STA}/Things", headers=net.auth("env_member"))
    app_client.get(f"{STA}/Things")
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "sensing.sta.read")).all()
    assert len(reads) == 1
    assert reads[0].object_id == str(thing["@iot.id"])


def test_changing_or_deleting_an_observation_moves_the_latest_value_and_the_ranges(
    app_client: TestClient, net: Network
) -> None:
    stream = _stream_of(app_client, _create_station(app_client, net))
    auth = net.auth("env_editor")
    ids = []
    for hour, value in ((8, 30.0), (9, 40.0), (10, 50.0)):
        created = app_client.post(
            f"{STA}/Datastreams({stream})/Observations",
            json={"phenomenonTime": f"2026-11-29T{hour:02d}:00:00+08:00", "result": value},
            headers=auth,
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["@iot.id"])

    def latest() -> tuple[Any, Any]:
        item = app_client.get("/api/v1/sensing/latest", params={"datastream": str(stream)})
        shown = app_client.get(f"{STA}/Datastreams({stream})").json()
        return item.json()["items"][0]["result"], shown["phenomenonTime"]

    assert latest() == (50.0, "2026-11-29T00:00:00.000Z/2026-11-29T02:00:00.000Z")
    assert app_client.delete(f"{STA}/Observations({ids[2]})", headers=auth).status_code == 200
    assert latest() == (40.0, "2026-11-29T00:00:00.000Z/2026-11-29T01:00:00.000Z")
    corrected = app_client.patch(
        f"{STA}/Observations({ids[1]})", json={"result": 41.5}, headers=auth
    )
    assert corrected.status_code == 200, corrected.text
    assert latest() == (41.5, "2026-11-29T00:00:00.000Z/2026-11-29T01:00:00.000Z")
    moved = app_client.patch(
        f"{STA}/Observations({ids[0]})",
        json={"phenomenonTime": "2026-11-29T11:00:00+08:00"},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    assert latest() == (30.0, "2026-11-29T01:00:00.000Z/2026-11-29T03:00:00.000Z")
    for ident in ids[:2]:
        assert app_client.delete(f"{STA}/Observations({ident})", headers=auth).status_code == 200
    item = app_client.get("/api/v1/sensing/latest", params={"datastream": str(stream)}).json()
    assert item["items"] == [] or item["items"][0]["result"] is None
    assert app_client.get(f"{STA}/Datastreams({stream})").json().get("phenomenonTime") is None
