"""Conformance of the SensorThings API to OGC 18-088 (SensorThings API Part 1: Sensing 1.1),
after its abstract test suite (Annex A): one test per requirement of every conformance class
the service root claims in ``serverSettings.conformance``, each named after the requirement
(``test_<class>__<requirement>``) with the requirement's URI in its docstring. They run over
HTTP (and MQTT) against a live ``yiwang serve``, once on SQLite and once on PostgreSQL, with a
Mosquitto broker and the server's own ingest bridge and notifications where Mosquitto is
installed (the MQTT classes are skipped, saying why, where it is not).

Requirement URIs are ``http://www.opengis.net/spec/iot_sensing/1.1/req/`` followed by the
path in each docstring."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.conftest import DATABASES
from tests.support.databases import migrated_database
from tests.support.mqtt import Broker, Publisher, Subscriber, mosquitto_missing
from tests.support.processes import live_server
from yiwang.core import identity
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM, Role

pytestmark = pytest.mark.slow

SPEC = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
MEASUREMENT = OM + "OM_Measurement"
CATEGORY = OM + "OM_CategoryObservation"
COMPLEX = OM + "OM_ComplexObservation"
GEOJSON = "application/geo+json"
T0 = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
ENTITY_SETS = (
    "Things",
    "Locations",
    "HistoricalLocations",
    "Datastreams",
    "MultiDatastreams",
    "Sensors",
    "ObservedProperties",
    "Observations",
    "FeaturesOfInterest",
)


def at(hour: int) -> str:
    return (T0 + dt.timedelta(hours=hour)).isoformat()


def station(name: str, x: float, *, observations: int = 0) -> dict[str, Any]:
    """A Thing with its Location and a PM2.5 Datastream (deep insert)."""
    return {
        "name": name,
        "description": "空气质量监测站",
        "properties": {"owner": "杭州市" if x < 121 else "宁波市"},
        "Locations": [
            {
                "name": f"{name}位置",
                "description": "监测点",
                "encodingType": GEOJSON,
                "location": {"type": "Point", "coordinates": [x, 30.25]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name} PM2.5",
                "description": "细颗粒物小时均值",
                "observationType": MEASUREMENT,
                "unitOfMeasurement": {
                    "name": "微克每立方米",
                    "symbol": "µg/m³",
                    "definition": "http://unitsofmeasure.org/ucum.html#ug/m3",
                },
                "Sensor": {
                    "name": "β射线颗粒物监测仪",
                    "description": "PM2.5 监测仪",
                    "encodingType": "text/html",
                    "metadata": "https://example.org/sensor",
                },
                "ObservedProperty": {
                    "name": "PM2.5",
                    "definition": "https://example.org/pm25",
                    "description": "细颗粒物",
                },
                "Observations": [
                    {"phenomenonTime": at(hour), "result": 10.0 + hour}
                    for hour in range(observations)
                ],
            }
        ],
    }


@dataclass
class Site:
    """A live server, an editor's token, the broker, and what was stored before the tests."""

    url: str
    token: str
    broker: Broker | None
    http: requests.Session = field(default_factory=requests.Session)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"{self.url}/sta/v1.1"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.root}/{path}"
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **params: str) -> requests.Response:
        return self.request("GET", path, params=params)

    def json(self, path: str, **params: str) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, f"{path} {params}: {response.text}"
        return response.json()

    def values(self, path: str, **params: str) -> list[dict[str, Any]]:
        return list(self.json(path, **params)["value"])

    def post(self, path: str, body: Any) -> requests.Response:
        return self.request("POST", path, json=body)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def seed(self) -> None:
        west = self.created("Things", station("西湖监测站", 120.14, observations=5))
        east = self.created("Things", station("三江口监测站", 121.55))
        [stream] = self.values(f"Things({west['@iot.id']})/Datastreams")
        [other] = self.values(f"Things({east['@iot.id']})/Datastreams")
        [location] = self.values(f"Things({west['@iot.id']})/Locations")
        sensor = self.json(f"Datastreams({stream['@iot.id']})/Sensor")
        observed = self.json(f"Datastreams({stream['@iot.id']})/ObservedProperty")
        multi = self.created(
            "MultiDatastreams",
            {
                "name": "西湖 风",
                "description": "风速与风向",
                "observationType": COMPLEX,
                "multiObservationDataTypes": [MEASUREMENT, CATEGORY],
                "unitOfMeasurements": [
                    {"name": "米每秒", "symbol": "m/s", "definition": "ucum:m/s"},
                    {"name": "方位", "symbol": "", "definition": "urn:direction"},
                ],
                "Thing": {"@iot.id": west["@iot.id"]},
                "Sensor": {"@iot.id": sensor["@iot.id"]},
                "ObservedProperties": [
                    {"name": "风速", "definition": "urn:wind-speed", "description": "风速"},
                    {"name": "风向", "definition": "urn:wind-direction", "description": "风向"},
                ],
            },
        )
        self.created(
            f"MultiDatastreams({multi['@iot.id']})/Observations",
            {"phenomenonTime": at(0), "result": [3.5, "东北"]},
        )
        self.ids.update(
            west=west["@iot.id"],
            east=east["@iot.id"],
            stream=stream["@iot.id"],
            other_stream=other["@iot.id"],
            location=location["@iot.id"],
            sensor=sensor["@iot.id"],
            observed=observed["@iot.id"],
            multi=multi["@iot.id"],
        )


def _editor_token(db: Database) -> str:
    with db.session() as session:
        department = identity.create_department(
            session, actor=SYSTEM, name_zh="浙江省生态环境厅", division_code="330000", slug="zjenv"
        )
        editor = identity.create_user(
            session,
            actor=SYSTEM,
            username="sta_editor",
            role=Role.EDITOR,
            department_id=department.id,
            password=None,
        )
        return identity.create_token(session, actor=SYSTEM, user_id=editor.id)[1]


@pytest.fixture(scope="module", params=DATABASES)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp(f"conformance-{request.param}")
    with ExitStack() as stack:
        db = stack.enter_context(migrated_database(request.param, workdir))
        token = _editor_token(db)
        broker = None
        if mosquitto_missing() is None:
            broker = Broker(workdir)
            broker.start()
            stack.callback(broker.close)
            # The server reads .env in its working directory: the tests' own settings are not
            # passed on to the processes they start.
            (workdir / ".env").write_text(
                f"YIWANG_MQTT_URL={broker.url}\n"
                "YIWANG_MQTT_INGEST=true\n"
                "YIWANG_MQTT_NOTIFY=true\n"
                f"YIWANG_MQTT_CLIENT_ID=conformance-{request.param}\n"
                "YIWANG_MQTT_BATCH_MS=20\n"
            )
        url = stack.enter_context(live_server(db, workdir, "--no-worker"))
        running = Site(url, token, broker)
        running.seed()
        yield running
        running.http.close()


def _results(observations: list[dict[str, Any]]) -> list[Any]:
    return [o["result"] for o in observations]


def _stream_results(site: Site, **params: str) -> list[Any]:
    return _results(site.values(f"Datastreams({site.ids['stream']})/Observations", **params))


# --- A.1 Sensing Core: req/datamodel --------------------------------------------------------------


def _check_links(site: Site, entity: dict[str, Any], relations: dict[str, bool]) -> None:
    """Each relation has a navigation link that answers the related entity or entities."""
    for name, many in relations.items():
        link = entity[f"{name}@iot.navigationLink"]
        assert link == f"{entity['@iot.selfLink']}/{name}"
        body = site.json(link)
        if many:
            assert isinstance(body["value"], list), name
        else:
            assert isinstance(body["@iot.id"], int), name


def _mandatory(site: Site, path: str, body: dict[str, Any], names: tuple[str, ...]) -> None:
    """Each of ``names`` is mandatory: a POST of ``body`` without it, or with it null, is a 400
    that names it, and creates nothing."""
    for name in names:
        for sent in ({k: v for k, v in body.items() if k != name}, {**body, name: None}):
            response = site.request("POST", path, json=sent, headers={"Accept-Language": "en"})
            assert response.status_code == 400, (path, name, response.text)
            error = response.json()
            assert error["type"] == "error"
            assert f" {name}" in error["message"], error["message"]
    entity_set = path.rsplit("/", 1)[-1]
    if "name" in body and "(" not in entity_set:
        assert site.values(entity_set, **{"$filter": f"name eq '{body['name']}'"}) == []


def _link(site: Site, name: str) -> dict[str, int]:
    return {"@iot.id": site.ids[name]}


def test_datamodel__entity_control_information__common_control_information(site: Site) -> None:
    """datamodel/entity-control-information/common-control-information: every entity has
    ``@iot.id``, ``@iot.selfLink`` (which answers that entity) and a
    ``…@iot.navigationLink`` per navigation property."""
    for entity_set in ENTITY_SETS:
        entities = site.values(entity_set)
        assert entities, entity_set
        for entity in entities:
            assert isinstance(entity["@iot.id"], int)
            assert entity["@iot.selfLink"] == f"{site.root}/{entity_set}({entity['@iot.id']})"
            assert any(key.endswith("@iot.navigationLink") for key in entity), entity_set
        first = entities[0]
        assert site.json(first["@iot.selfLink"])["@iot.id"] == first["@iot.id"]


def test_datamodel__thing__properties(site: Site) -> None:
    """datamodel/thing/properties: a Thing has name and description (text), both mandatory,
    and properties (a JSON object, optional)."""
    thing = site.json(f"Things({site.ids['west']})")
    assert thing["name"] == "西湖监测站"
    assert isinstance(thing["description"], str)
    assert thing["properties"] == {"owner": "杭州市"}
    _mandatory(site, "Things", {"name": "缺字段站", "description": ""}, ("name", "description"))


def test_datamodel__thing__relations(site: Site) -> None:
    """datamodel/thing/relations: a Thing has Locations, HistoricalLocations and Datastreams
    (and, with the MultiDatastream extension, MultiDatastreams)."""
    thing = site.json(f"Things({site.ids['west']})")
    relations = {
        "Locations": True,
        "HistoricalLocations": True,
        "Datastreams": True,
        "MultiDatastreams": True,
    }
    _check_links(site, thing, relations)
    assert [d["@iot.id"] for d in site.values(thing["Datastreams@iot.navigationLink"])] == [
        site.ids["stream"]
    ]


def test_datamodel__location__properties(site: Site) -> None:
    """datamodel/location/properties: a Location has name, description, encodingType and
    location (GeoJSON as the encoding type says), all mandatory; properties optional."""
    location = site.json(f"Locations({site.ids['location']})")
    assert location["name"] == "西湖监测站位置"
    assert isinstance(location["description"], str)
    assert location["encodingType"] == GEOJSON
    assert location["location"] == {"type": "Point", "coordinates": [120.14, 30.25]}
    body = {
        "name": "缺字段位置",
        "description": "",
        "encodingType": GEOJSON,
        "location": {"type": "Point", "coordinates": [120.1, 30.2]},
    }
    _mandatory(site, "Locations", body, ("name", "description", "encodingType", "location"))


def test_datamodel__location__relations(site: Site) -> None:
    """datamodel/location/relations: a Location has Things and HistoricalLocations."""
    location = site.json(f"Locations({site.ids['location']})")
    _check_links(site, location, {"Things": True, "HistoricalLocations": True})
    things = site.values(location["Things@iot.navigationLink"])
    assert [t["@iot.id"] for t in things] == [site.ids["west"]]


def test_datamodel__historical_location__properties(site: Site) -> None:
    """datamodel/historical-location/properties: a HistoricalLocation has its time (ISO 8601,
    with a zone), mandatory."""
    [history] = site.values(f"Things({site.ids['west']})/HistoricalLocations")
    moment = dt.datetime.fromisoformat(history["time"])
    assert moment.tzinfo is not None
    body = {"time": at(0), "Thing": _link(site, "east")}
    _mandatory(site, "HistoricalLocations", body, ("time",))


def test_datamodel__historical_location__relations(site: Site) -> None:
    """datamodel/historical-location/relations: a HistoricalLocation has one Thing and one or
    more Locations."""
    [history] = site.values(f"Things({site.ids['west']})/HistoricalLocations")
    _check_links(site, history, {"Thing": False, "Locations": True})
    assert site.json(history["Thing@iot.navigationLink"])["@iot.id"] == site.ids["west"]
    assert [loc["@iot.id"] for loc in site.values(history["Locations@iot.navigationLink"])] == [
        site.ids["location"]
    ]


def test_datamodel__datastream__properties(site: Site) -> None:
    """datamodel/datastream/properties: a Datastream has name, description, unitOfMeasurement
    (name, symbol, definition) and observationType, all mandatory, as are its Thing, Sensor
    and ObservedProperty; observedArea, phenomenonTime and resultTime optional, the times as
    intervals."""
    stream = site.json(f"Datastreams({site.ids['stream']})")
    assert stream["name"] == "西湖监测站 PM2.5"
    assert isinstance(stream["description"], str)
    assert set(stream["unitOfMeasurement"]) == {"name", "symbol", "definition"}
    assert stream["observationType"] == MEASUREMENT
    assert stream["phenomenonTime"] == "2026-11-29T00:00:00.000Z/2026-11-29T04:00:00.000Z"
    assert "resultTime" in stream
    assert "observedArea" in stream
    body = {
        "name": "缺字段数据流",
        "description": "",
        "observationType": MEASUREMENT,
        "unitOfMeasurement": {"name": "微克每立方米", "symbol": "µg/m³", "definition": "ucum"},
        "Thing": _link(site, "east"),
        "Sensor": _link(site, "sensor"),
        "ObservedProperty": _link(site, "observed"),
    }
    _mandatory(site, "Datastreams", body, tuple(body))


def test_datamodel__datastream__relations(site: Site) -> None:
    """datamodel/datastream/relations: a Datastream has one Thing, one Sensor, one
    ObservedProperty and its Observations."""
    stream = site.json(f"Datastreams({site.ids['stream']})")
    relations = {"Thing": False, "Sensor": False, "ObservedProperty": False, "Observations": True}
    _check_links(site, stream, relations)
    assert site.json(stream["Thing@iot.navigationLink"])["@iot.id"] == site.ids["west"]
    assert len(site.values(stream["Observations@iot.navigationLink"])) >= 5


def test_datamodel__sensor__properties(site: Site) -> None:
    """datamodel/sensor/properties: a Sensor has name, description, encodingType and
    metadata, all mandatory: one without metadata or encodingType is refused."""
    sensor = site.json(f"Sensors({site.ids['sensor']})")
    assert sensor["name"] == "β射线颗粒物监测仪"
    assert isinstance(sensor["description"], str)
    assert sensor["encodingType"] == "text/html"
    assert sensor["metadata"] == "https://example.org/sensor"
    body = {"name": "缺字段传感器", "description": "", "encodingType": "text/html", "metadata": ""}
    _mandatory(site, "Sensors", body, tuple(body))


def test_datamodel__sensor__relations(site: Site) -> None:
    """datamodel/sensor/relations: a Sensor has Datastreams (and MultiDatastreams)."""
    sensor = site.json(f"Sensors({site.ids['sensor']})")
    _check_links(site, sensor, {"Datastreams": True, "MultiDatastreams": True})
    assert site.ids["stream"] in [
        d["@iot.id"] for d in site.values(f"{sensor['@iot.selfLink']}/Datastreams")
    ]


def test_datamodel__observed_property__properties(site: Site) -> None:
    """datamodel/observed-property/properties: an ObservedProperty has name, definition and
    description, all mandatory."""
    observed = site.json(f"ObservedProperties({site.ids['observed']})")
    assert observed["name"] == "PM2.5"
    assert observed["definition"] == "https://example.org/pm25"
    assert observed["description"] == "细颗粒物"
    body = {"name": "缺字段属性", "definition": "urn:x", "description": ""}
    _mandatory(site, "ObservedProperties", body, tuple(body))


def test_datamodel__observed_property__relations(site: Site) -> None:
    """datamodel/observed-property/relations: an ObservedProperty has Datastreams (and
    MultiDatastreams)."""
    observed = site.json(f"ObservedProperties({site.ids['observed']})")
    _check_links(site, observed, {"Datastreams": True, "MultiDatastreams": True})
    streams = site.values(observed["Datastreams@iot.navigationLink"])
    assert [d["@iot.id"] for d in streams] == [site.ids["stream"]]


def test_datamodel__observation__properties(site: Site) -> None:
    """datamodel/observation/properties: an Observation has phenomenonTime, result and
    resultTime (which may be null); resultQuality, validTime and parameters optional. Its
    result and its Datastream are mandatory; the service gives a missing phenomenonTime the
    time it is stored."""
    [first] = site.values(
        f"Datastreams({site.ids['stream']})/Observations",
        **{"$orderby": "phenomenonTime", "$top": "1"},
    )
    assert first["phenomenonTime"] == "2026-11-29T00:00:00.000Z"
    assert first["result"] == 10.0
    assert "resultTime" in first
    assert {"resultQuality", "validTime", "parameters"} <= set(first)
    body = {"phenomenonTime": at(500), "result": 1.0, "Datastream": _link(site, "other_stream")}
    for missing in ("result", "Datastream"):
        sent = {k: v for k, v in body.items() if k != missing}
        assert site.post("Observations", sent).status_code == 400, missing
    assert site.values("Observations", **{"$filter": f"phenomenonTime eq {at(500)}"}) == []


def test_datamodel__observation__relations(site: Site) -> None:
    """datamodel/observation/relations: an Observation has one Datastream and one
    FeatureOfInterest (made from the Thing's Location when none is given)."""
    [first] = site.values(f"Datastreams({site.ids['stream']})/Observations", **{"$top": "1"})
    _check_links(site, first, {"Datastream": False, "FeatureOfInterest": False})
    assert site.json(first["Datastream@iot.navigationLink"])["@iot.id"] == site.ids["stream"]
    feature = site.json(first["FeatureOfInterest@iot.navigationLink"])
    assert feature["feature"] == {"type": "Point", "coordinates": [120.14, 30.25]}


def test_datamodel__feature_of_interest__properties(site: Site) -> None:
    """datamodel/feature-of-interest/properties: a FeatureOfInterest has name, description,
    encodingType and feature, all mandatory, in a deep insert too."""
    [first] = site.values(f"Datastreams({site.ids['stream']})/Observations", **{"$top": "1"})
    feature = site.json(first["FeatureOfInterest@iot.navigationLink"])
    assert isinstance(feature["name"], str)
    assert isinstance(feature["description"], str)
    assert feature["encodingType"] == GEOJSON
    assert feature["feature"]["type"] == "Point"
    body = {
        "name": "缺字段对象",
        "description": "",
        "encodingType": GEOJSON,
        "feature": {"type": "Point", "coordinates": [120.3, 30.3]},
    }
    _mandatory(site, "FeaturesOfInterest", body, tuple(body))
    inline = {k: v for k, v in body.items() if k != "encodingType"}
    path = f"Datastreams({site.ids['other_stream']})/Observations"
    observation = {"phenomenonTime": at(501), "result": 1.0, "FeatureOfInterest": inline}
    assert site.post(path, observation).status_code == 400
    assert site.values(path, **{"$filter": f"phenomenonTime eq {at(501)}"}) == []


def test_datamodel__feature_of_interest__relations(site: Site) -> None:
    """datamodel/feature-of-interest/relations: a FeatureOfInterest has its Observations."""
    [first] = site.values(f"Datastreams({site.ids['stream']})/Observations", **{"$top": "1"})
    feature = site.json(first["FeatureOfInterest@iot.navigationLink"])
    _check_links(site, feature, {"Observations": True})
    assert first["@iot.id"] in [
        o["@iot.id"] for o in site.values(f"{feature['@iot.selfLink']}/Observations")
    ]


# --- A.1 Sensing Core: req/resource-path ----------------------------------------------------------


def test_resource_path__resource_path_to_entities(site: Site) -> None:
    """resource-path/resource-path-to-entities: the service root lists the entity sets; a
    collection, an entity by id, a property, its ``$value``, a navigation property (one
    entity or a collection), an entity of a related collection and ``$ref`` are addressed as
    the standard's URL patterns say; a property that is null, and its ``$value``, answer 204
    No Content; an entity or a path that does not exist is 404."""
    root = site.json("")
    assert {e["name"]: e["url"] for e in root["value"]} == {
        name: f"{site.root}/{name}" for name in ENTITY_SETS
    }
    west, stream = site.ids["west"], site.ids["stream"]
    assert site.json(f"Things({west})")["@iot.id"] == west
    assert site.json(f"Things({west})/name") == {"name": "西湖监测站"}
    value = site.get(f"Things({west})/name/$value")
    assert value.status_code == 200
    assert value.text == "西湖监测站"
    assert site.json(f"Datastreams({stream})/Thing")["@iot.id"] == west
    assert site.json(f"Things({west})/Datastreams({stream})")["@iot.id"] == stream
    assert (
        site.json(f"Datastreams({stream})/Thing/Locations")["value"][0]["name"] == "西湖监测站位置"
    )
    refs = site.values(f"Things({west})/Datastreams/$ref")
    assert refs == [{"@iot.selfLink": f"{site.root}/Datastreams({stream})"}]
    [observation] = site.values(f"Datastreams({stream})/Observations", **{"$top": "1"})
    assert observation["resultTime"] is None
    for null in ("resultTime", "resultTime/$value"):
        response = site.get(f"Observations({observation['@iot.id']})/{null}")
        assert (response.status_code, response.content) == (204, b""), null
    for missing in (
        "Things(999999)",
        f"Things({site.ids['east']})/Datastreams({stream})",
        f"Things({west})/nosuchprop",
        "NoSuchCollection",
    ):
        assert site.get(missing).status_code == 404, missing


# --- A.2 Filtering Extension: req/request-data ----------------------------------------------------


def test_request_data__order(site: Site) -> None:
    """request-data/order: the options apply in the standard's order: $filter, then $count
    (of what the filter keeps), $orderby, $skip, $top, and $expand and $select on what
    remains."""
    body = site.json(
        f"Datastreams({site.ids['stream']})/Observations",
        **{
            "$filter": "result ge 11",
            "$orderby": "result desc",
            "$skip": "1",
            "$top": "2",
            "$count": "true",
            "$expand": "Datastream($select=name)",
            "$select": "result,Datastream",
        },
    )
    assert body["@iot.count"] == 4
    assert [o["result"] for o in body["value"]] == [13.0, 12.0]
    assert body["value"][0]["Datastream"] == {"name": "西湖监测站 PM2.5"}
    assert set(body["value"][0]) == {"result", "Datastream", "Datastream@iot.navigationLink"}


def test_request_data__expand(site: Site) -> None:
    """request-data/expand: related entities are given inline, nested to any supported depth,
    each level with its own options, or by a path (``Datastreams/Sensor``)."""
    thing = site.json(
        f"Things({site.ids['west']})",
        **{
            "$expand": "Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=2)),"
            "Locations,Datastreams/Sensor"
        },
    )
    [stream] = thing["Datastreams"]
    assert _results(stream["Observations"]) == [14.0, 13.0]
    assert "Observations@iot.nextLink" in stream
    assert stream["Sensor"]["@iot.id"] == site.ids["sensor"]
    assert thing["Locations"][0]["@iot.id"] == site.ids["location"]
    streams = site.values("Datastreams", **{"$expand": "Thing", "$orderby": "id"})
    assert {s["Thing"]["@iot.id"] for s in streams} == {site.ids["west"], site.ids["east"]}


def test_request_data__select(site: Site) -> None:
    """request-data/select: only the properties named are given; ``id`` gives ``@iot.id``
    and a navigation property its link."""
    [thing] = site.values(
        "Things", **{"$select": "name,description", "$filter": "name eq '西湖监测站'"}
    )
    assert thing == {"name": "西湖监测站", "description": "空气质量监测站"}
    [ids] = site.values(
        "Things", **{"$select": "id,Datastreams", "$filter": "name eq '西湖监测站'"}
    )
    assert set(ids) == {"@iot.id", "@iot.selfLink", "Datastreams@iot.navigationLink"}


def test_request_data__status_code(site: Site) -> None:
    """request-data/status-code: a malformed query option is answered 400, one the service
    does not support 501, both with an error document."""
    for params, status in (
        ({"$filter": "name eq"}, 400),
        ({"$top": "-1"}, 400),
        ({"$orderby": "nosuchproperty"}, 400),
        ({"$search": "西湖"}, 501),
    ):
        response = site.get("Things", **params)
        assert response.status_code == status, params
        assert response.json()["code"] == status


def test_request_data__orderby(site: Site) -> None:
    """request-data/orderby: results are sorted by one or more expressions, ascending unless
    ``desc``."""
    assert _stream_results(site, **{"$orderby": "result desc"}) == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert _stream_results(site, **{"$orderby": "result"}) == [10.0, 11.0, 12.0, 13.0, 14.0]
    ascending = [t["@iot.id"] for t in site.values("Things", **{"$orderby": "name,id"})]
    descending = [t["@iot.id"] for t in site.values("Things", **{"$orderby": "name DESC,id desc"})]
    assert descending == ascending[::-1]
    assert len(ascending) >= 2


def test_request_data__top(site: Site) -> None:
    """request-data/top: at most ``$top`` entities are given (and a link to the rest)."""
    body = site.json(
        f"Datastreams({site.ids['stream']})/Observations", **{"$top": "2", "$orderby": "result"}
    )
    assert _results(body["value"]) == [10.0, 11.0]
    assert "@iot.nextLink" in body


def test_request_data__skip(site: Site) -> None:
    """request-data/skip: the first ``$skip`` entities are left out."""
    assert _stream_results(site, **{"$orderby": "result", "$skip": "3"}) == [13.0, 14.0]


def test_request_data__count(site: Site) -> None:
    """request-data/count: ``$count=true`` gives ``@iot.count``, the number of entities the
    filter keeps whatever ``$top`` is; ``$count=false`` none."""
    path = f"Datastreams({site.ids['stream']})/Observations"
    body = site.json(path, **{"$count": "true", "$top": "1", "$filter": "result gt 10"})
    assert body["@iot.count"] == 4
    assert len(body["value"]) == 1
    assert "@iot.count" not in site.json(path, **{"$count": "false"})


def test_request_data__filter(site: Site) -> None:
    """request-data/filter: ``$filter`` keeps the entities the expression holds for, with
    paths across relations and into JSON properties."""
    names = [
        t["name"] for t in site.values("Things", **{"$filter": "properties/owner eq '宁波市'"})
    ]
    assert names == ["三江口监测站"]
    across = site.values(
        "Observations", **{"$filter": "Datastream/Thing/name eq '西湖监测站' and result lt 12"}
    )
    assert sorted(_results(across)) == [10.0, 11.0]
    back = site.values("Things", **{"$filter": "Datastreams/ObservedProperty/name eq 'PM2.5'"})
    assert {t["@iot.id"] for t in back} >= {site.ids["west"], site.ids["east"]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("result eq 12", [12.0]),
        ("result ne 12", [10.0, 11.0, 13.0, 14.0]),
        ("result gt 13", [14.0]),
        ("result ge 13", [13.0, 14.0]),
        ("result lt 11", [10.0]),
        ("result le 11", [10.0, 11.0]),
        ("result gt 10 and result lt 12", [11.0]),
        ("result eq 10 or result eq 14", [10.0, 14.0]),
        ("not (result ge 11)", [10.0]),
        ("result add 1 eq 12", [11.0]),
        ("result sub 1 eq 12", [13.0]),
        ("result mul 2 eq 24", [12.0]),
        ("result div 2 eq 7", [14.0]),
        ("result mod 3 eq 1", [10.0, 13.0]),
        ("(result add 2) mul 2 eq 28", [12.0]),
    ],
)
def test_request_data__built_in_filter_operations(
    site: Site, expression: str, expected: list[float]
) -> None:
    """request-data/built-in-filter-operations: the comparison (eq ne gt ge lt le), logical
    (and or not), arithmetic (add sub mul div mod) and grouping operators."""
    assert _stream_results(site, **{"$filter": expression, "$orderby": "result"}) == expected


HANGZHOU = "geography'POLYGON((120 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30))'"
WEST_POINT = "geography'POINT(120.14 30.25)'"
IS_WEST = f"st_equals(location, {WEST_POINT})"


@pytest.mark.parametrize(
    ("entity_set", "expression"),
    [
        ("Things", "substringof('西湖', name)"),
        ("Things", "endswith(name, '西湖监测站')"),
        ("Things", "startswith(name, '西湖')"),
        ("Things", "length(name) eq 5 and indexof(name, '监测') eq 2"),
        ("Things", "substring(name, 2) eq '监测站' and substring(name, 0, 2) eq '西湖'"),
        ("Things", "tolower(toupper(concat(name, 'A'))) eq '西湖监测站a'"),
        ("Things", "trim(concat(' ', name)) eq '西湖监测站'"),
        (
            "Observations",
            "year(phenomenonTime) eq 2026 and month(phenomenonTime) eq 11 "
            "and hour(phenomenonTime) eq 4",
        ),
        ("Observations", "day(phenomenonTime) eq 29 and hour(phenomenonTime) eq 4"),
        (
            "Observations",
            "minute(phenomenonTime) eq 0 and second(phenomenonTime) eq 0 and result eq 14",
        ),
        ("Observations", "fractionalseconds(phenomenonTime) eq 0 and result eq 14"),
        ("Observations", "date(phenomenonTime) eq 2026-11-29 and result gt 13"),
        ("Observations", "time(phenomenonTime) eq time(2026-11-29T04:00:00Z)"),
        ("Observations", "totaloffsetminutes(phenomenonTime) eq 0 and result eq 14"),
        (
            "Observations",
            "now() gt 2020-01-01T00:00:00Z and phenomenonTime gt mindatetime() and result eq 14",
        ),
        ("Observations", "phenomenonTime lt maxdatetime() and result eq 14"),
        (
            "Observations",
            "round(result div 10) eq 1 and floor(result div 10) eq 1 and result gt 13",
        ),
        ("Observations", "ceiling(result div 10) eq 2 and result gt 13"),
        ("Locations", f"geo.intersects(location, {HANGZHOU})"),
        ("Locations", f"geo.distance(location, {WEST_POINT}) lt 0.01"),
        ("Locations", f"geo.length(geography'LINESTRING(0 0, 3 4)') eq 5 and {IS_WEST}"),
        ("Locations", IS_WEST),
        ("Locations", f"st_within(location, {HANGZHOU})"),
        ("Locations", f"st_intersects(location, {HANGZHOU})"),
        ("Locations", f"st_contains({HANGZHOU}, location)"),
        ("Locations", f"not st_disjoint(location, {HANGZHOU})"),
        ("Locations", "st_touches(location, geography'LINESTRING(120.14 30.25, 121 31)')"),
        (
            "Locations",
            f"st_crosses(geography'LINESTRING(119.9 30.25, 120.2 30.25)', {HANGZHOU}) "
            f"and {IS_WEST}",
        ),
        (
            "Locations",
            f"st_overlaps({HANGZHOU}, geography'POLYGON((120.4 30.4, 121 30.4, 121 31, 120.4 31, "
            f"120.4 30.4))') and {IS_WEST}",
        ),
        ("Locations", f"st_relate(location, {HANGZHOU}, 'T*F**F***')"),
    ],
)
def test_request_data__built_in_query_functions(
    site: Site, entity_set: str, expression: str
) -> None:
    """request-data/built-in-query-functions: the string, date, math, geospatial and spatial
    relationship functions. Each expression here holds for exactly the West Lake station:
    its Thing, its Location, or the last Observation of its Datastream."""
    path = (
        f"Datastreams({site.ids['stream']})/Observations"
        if entity_set == "Observations"
        else entity_set
    )
    found = site.values(path, **{"$filter": expression})
    key, value = {
        "Things": ("name", "西湖监测站"),
        "Locations": ("name", "西湖监测站位置"),
        "Observations": ("result", 14.0),
    }[entity_set]
    assert [item[key] for item in found] == [value], expression


def test_request_data__pagination(site: Site) -> None:
    """request-data/pagination: a page with more to read has ``@iot.nextLink``; following the
    links reads every entity once, and the last page has none. Expanded collections have
    their own."""
    link = f"Datastreams({site.ids['stream']})/Observations?$top=2&$orderby=phenomenonTime"
    results: list[float] = []
    pages = 0
    while link:
        body = site.json(link)
        results.extend(_results(body["value"]))
        link = body.get("@iot.nextLink", "")
        pages += 1
    assert results == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert pages == 3
    stream = site.json(f"Datastreams({site.ids['stream']})", **{"$expand": "Observations($top=3)"})
    rest = site.values(stream["Observations@iot.nextLink"])
    assert len(stream["Observations"]) + len(rest) == 5


# --- A.3 Create-Update-Delete: req/create-update-delete ------------------------------------------


def test_create_update_delete__create_entity(site: Site) -> None:
    """create-update-delete/create-entity: POST to an entity set creates the entity: 201, its
    address in ``Location``, the entity in the body."""
    bodies = {
        "Things": {"name": "新建站", "description": "新建"},
        "Locations": {
            "name": "新位置",
            "description": "",
            "encodingType": GEOJSON,
            "location": {"type": "Point", "coordinates": [119.2, 30.3]},
        },
        "Sensors": {
            "name": "新传感器",
            "description": "",
            "encodingType": "text/html",
            "metadata": "urn:s",
        },
        "ObservedProperties": {"name": "NO2", "definition": "urn:no2", "description": "二氧化氮"},
        "FeaturesOfInterest": {
            "name": "新对象",
            "description": "",
            "encodingType": GEOJSON,
            "feature": {"type": "Point", "coordinates": [120.2, 30.3]},
        },
    }
    for entity_set, body in bodies.items():
        response = site.post(entity_set, body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["Location"] == created["@iot.selfLink"]
        assert created["name"] == body["name"]
        assert site.json(response.headers["Location"])["@iot.id"] == created["@iot.id"]
    observation = site.post(
        f"Datastreams({site.ids['other_stream']})/Observations",
        {"phenomenonTime": at(0), "result": 21.5},
    )
    assert observation.status_code == 201
    assert observation.json()["result"] == 21.5


def test_create_update_delete__link_to_existing_entities(site: Site) -> None:
    """create-update-delete/link-to-existing-entities: ``{"@iot.id": …}`` links a new entity
    to existing ones instead of creating them."""
    created = site.created(
        "Datastreams",
        {
            "name": "三江口 PM2.5 备用",
            "description": "",
            "observationType": MEASUREMENT,
            "unitOfMeasurement": {"name": "微克每立方米", "symbol": "µg/m³", "definition": "ucum"},
            "Thing": {"@iot.id": site.ids["east"]},
            "Sensor": {"@iot.id": site.ids["sensor"]},
            "ObservedProperty": {"@iot.id": site.ids["observed"]},
        },
    )
    assert site.json(created["Thing@iot.navigationLink"])["@iot.id"] == site.ids["east"]
    assert site.json(created["Sensor@iot.navigationLink"])["@iot.id"] == site.ids["sensor"]
    assert (
        site.json(created["ObservedProperty@iot.navigationLink"])["@iot.id"] == site.ids["observed"]
    )


def test_create_update_delete__deep_insert(site: Site) -> None:
    """create-update-delete/deep-insert: an entity posted with the entities it relates to
    creates them all, and links them."""
    thing = site.created("Things", station("断桥站", 119.15, observations=2))
    expanded = site.json(
        thing["@iot.selfLink"],
        **{"$expand": "Locations,Datastreams($expand=Sensor,ObservedProperty,Observations)"},
    )
    assert expanded["Locations"][0]["name"] == "断桥站位置"
    [stream] = expanded["Datastreams"]
    assert stream["Sensor"]["metadata"] == "https://example.org/sensor"
    assert stream["ObservedProperty"]["name"] == "PM2.5"
    assert sorted(_results(stream["Observations"])) == [10.0, 11.0]


def test_create_update_delete__deep_insert_status_code(site: Site) -> None:
    """create-update-delete/deep-insert-status-code: a deep insert that fails anywhere is an
    error and creates nothing."""
    broken = station("坏站", 119.16)
    broken["Datastreams"][0]["unitOfMeasurement"] = "µg"
    response = site.post("Things", broken)
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert site.values("Things", **{"$filter": "name eq '坏站'"}) == []
    assert site.values("Locations", **{"$filter": "name eq '坏站位置'"}) == []


def test_create_update_delete__historical_location_auto_creation(site: Site) -> None:
    """create-update-delete/historical-location-auto-creation: giving a Thing a Location
    (at creation, or linking one later) records a HistoricalLocation with the time."""
    thing = site.created("Things", station("孤山站", 119.13))
    assert len(site.values(f"{thing['@iot.selfLink']}/HistoricalLocations")) == 1
    site.created(
        f"Things({thing['@iot.id']})/Locations",
        {
            "name": "孤山新位置",
            "description": "",
            "encodingType": GEOJSON,
            "location": {"type": "Point", "coordinates": [119.135, 30.255]},
        },
    )
    history = site.values(
        f"{thing['@iot.selfLink']}/HistoricalLocations",
        **{"$expand": "Locations", "$orderby": "time desc,id desc"},
    )
    assert len(history) == 2
    assert history[0]["Locations"][0]["name"] == "孤山新位置"
    assert [loc["name"] for loc in site.values(f"{thing['@iot.selfLink']}/Locations")] == [
        "孤山新位置"
    ]


def test_create_update_delete__update_entity(site: Site) -> None:
    """create-update-delete/update-entity: PATCH changes the properties given and keeps the
    others (200, the entity); PUT replaces the entity, and one without a mandatory property is
    a 400, as is a PATCH setting one to null. An update may link existing entities but not
    contain new ones (400)."""
    thing = site.created("Things", {"name": "待改站", "description": "旧", "properties": {"a": 1}})
    link = thing["@iot.selfLink"]
    patched = site.request("PATCH", link, json={"description": "新"})
    assert patched.status_code == 200
    assert site.json(link) == patched.json()
    assert (patched.json()["name"], patched.json()["description"]) == ("待改站", "新")
    assert patched.json()["properties"] == {"a": 1}
    assert site.request("PUT", link, json={"name": "已改站"}).status_code == 400
    assert site.request("PATCH", link, json={"description": None}).status_code == 400
    replaced = site.request("PUT", link, json={"name": "已改站", "description": "换"})
    assert replaced.status_code == 200
    assert replaced.json()["properties"] is None
    inline = {
        "name": "内嵌位置",
        "description": "",
        "encodingType": GEOJSON,
        "location": {"type": "Point", "coordinates": [119.3, 30.1]},
    }
    response = site.request(
        "PATCH", link, json={"Locations": [inline]}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "An update of Thing may only link existing entities in Locations by @iot.id, not "
        "contain new ones."
    )
    assert site.values("Locations", **{"$filter": "name eq '内嵌位置'"}) == []
    spare = site.created("Locations", {**inline, "name": "待链接位置"})
    linked = site.request("PATCH", link, json={"Locations": [{"@iot.id": spare["@iot.id"]}]})
    assert linked.status_code == 200
    assert [loc["name"] for loc in site.values(f"{link}/Locations")] == ["待链接位置"]


def test_create_update_delete__update_entity_jsonpatch(site: Site) -> None:
    """create-update-delete/update-entity-jsonpatch: PATCH with
    ``application/json-patch+json`` applies a JSON Patch (RFC 6902)."""
    thing = site.created("Things", {"name": "补丁站", "description": "", "properties": {"a": 1}})
    response = site.request(
        "PATCH",
        thing["@iot.selfLink"],
        json=[
            {"op": "add", "path": "/properties/b", "value": 2},
            {"op": "replace", "path": "/name", "value": "已补丁站"},
            {"op": "remove", "path": "/properties/a"},
            {"op": "test", "path": "/description", "value": ""},
        ],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "已补丁站"
    assert response.json()["properties"] == {"b": 2}


def test_create_update_delete__delete_entity(site: Site) -> None:
    """create-update-delete/delete-entity: DELETE removes the entity (200, then 404), and
    with it what cannot exist without it (a Thing's Datastreams and their Observations)."""
    thing = site.created("Things", station("拆除站", 119.17, observations=1))
    [stream] = site.values(f"{thing['@iot.selfLink']}/Datastreams")
    [observation] = site.values(f"{stream['@iot.selfLink']}/Observations")
    assert site.request("DELETE", thing["@iot.selfLink"]).status_code == 200
    for link in (thing["@iot.selfLink"], stream["@iot.selfLink"], observation["@iot.selfLink"]):
        assert site.get(link).status_code == 404, link


# --- A.5 MultiDatastream extension: req/multi-datastream -----------------------------------------


def test_multi_datastream__properties(site: Site) -> None:
    """multi-datastream/properties: a MultiDatastream has name, description,
    unitOfMeasurements, observationType (OM_ComplexObservation) and
    multiObservationDataTypes."""
    multi = site.json(f"MultiDatastreams({site.ids['multi']})")
    assert multi["name"] == "西湖 风"
    assert multi["observationType"] == COMPLEX
    assert multi["multiObservationDataTypes"] == [MEASUREMENT, CATEGORY]
    assert [u["symbol"] for u in multi["unitOfMeasurements"]] == ["m/s", ""]


def test_multi_datastream__relations(site: Site) -> None:
    """multi-datastream/relations: a MultiDatastream has one Thing, one Sensor, its
    ObservedProperties (in order) and Observations, and its Observations lead back to it."""
    multi = site.json(f"MultiDatastreams({site.ids['multi']})")
    relations = {"Thing": False, "Sensor": False, "ObservedProperties": True, "Observations": True}
    _check_links(site, multi, relations)
    names = [p["name"] for p in site.values(multi["ObservedProperties@iot.navigationLink"])]
    assert names == ["风速", "风向"]
    [observation] = site.values(multi["Observations@iot.navigationLink"])
    assert observation["result"] == [3.5, "东北"]
    assert (
        site.json(observation["MultiDatastream@iot.navigationLink"])["@iot.id"] == site.ids["multi"]
    )


def test_multi_datastream__constraints(site: Site) -> None:
    """multi-datastream/constraints: as many ObservedProperties, unitOfMeasurements and
    multiObservationDataTypes; an Observation's result is an array of as many values, each of
    its type."""
    unequal = {
        "name": "坏风",
        "description": "",
        "observationType": COMPLEX,
        "multiObservationDataTypes": [MEASUREMENT, CATEGORY],
        "unitOfMeasurements": [{"name": "米每秒", "symbol": "m/s", "definition": "ucum:m/s"}],
        "Thing": {"@iot.id": site.ids["west"]},
        "Sensor": {"@iot.id": site.ids["sensor"]},
        "ObservedProperties": [
            {"@iot.id": site.ids["observed"]},
            {"@iot.id": site.ids["observed"]},
        ],
    }
    assert site.post("MultiDatastreams", unequal).status_code == 400
    path = f"MultiDatastreams({site.ids['multi']})/Observations"
    assert site.post(path, {"phenomenonTime": at(1), "result": [3.5]}).status_code == 422
    assert site.post(path, {"phenomenonTime": at(1), "result": ["快", "东"]}).status_code == 422


# --- A.6 Data Array extension: req/data-array, req/create-observations-via-data-array -----------


def test_data_array__data_array(site: Site) -> None:
    """data-array/data-array: ``$resultFormat=dataArray`` gives Observations grouped by
    Datastream as ``components`` and ``dataArray``, the components chosen by ``$select``."""
    [group] = site.values(
        f"Datastreams({site.ids['stream']})/Observations",
        **{
            "$resultFormat": "dataArray",
            "$select": "phenomenonTime,result",
            "$orderby": "phenomenonTime",
            "$top": "3",
        },
    )
    assert (
        group["Datastream@iot.navigationLink"] == f"{site.root}/Datastreams({site.ids['stream']})"
    )
    assert group["components"] == ["phenomenonTime", "result"]
    assert group["dataArray@iot.count"] == 3
    assert group["dataArray"] == [
        ["2026-11-29T00:00:00.000Z", 10.0],
        ["2026-11-29T01:00:00.000Z", 11.0],
        ["2026-11-29T02:00:00.000Z", 12.0],
    ]


def test_create_observations_via_data_array(site: Site) -> None:
    """create-observations-via-data-array: POST to CreateObservations with data arrays stores
    each row as an Observation and answers 201 with, in order, each one's selfLink or
    ``error``."""
    body = [
        {
            "Datastream": {"@iot.id": site.ids["other_stream"]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[at(10), 30.0], [at(11), 31.0], [at(12), "高"]],
        },
        {
            "MultiDatastream": {"@iot.id": site.ids["multi"]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[at(10), [4.0, "东"]]],
        },
    ]
    response = site.post("CreateObservations", body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert len(answer) == 4
    assert answer[2] == "error"
    for link in (answer[0], answer[1], answer[3]):
        assert link.startswith(f"{site.root}/Observations(")
    assert site.json(answer[1])["result"] == 31.0
    assert site.json(answer[3])["result"] == [4.0, "东"]


# --- A.7, A.8 MQTT extension ---------------------------------------------------------------------


def _broker(site: Site) -> Broker:
    if site.broker is None:
        pytest.skip(mosquitto_missing() or "no broker")
    return site.broker


def test_create_observations_via_mqtt__observations_creation(site: Site) -> None:
    """create-observations-via-mqtt/observations-creation: an Observation published to
    ``v1.1/Datastreams(id)/Observations`` (or to ``v1.1/Observations`` naming its Datastream)
    is created."""
    broker = _broker(site)
    publisher = Publisher(broker, client_id=f"conformance-publisher-{site.ids['east']}")
    stream = site.ids["other_stream"]
    path = f"Datastreams({stream})/Observations"
    try:
        # The server's bridge subscribes in the background: publish until the first arrives.
        deadline = time.monotonic() + 20
        hour = 100
        while time.monotonic() < deadline and not site.values(path, **{"$filter": "result eq 77"}):
            publisher.publish(f"v1.1/{path}", {"phenomenonTime": at(hour), "result": 77.0})
            hour += 1
            time.sleep(0.3)
        publisher.publish(
            "v1.1/Observations",
            {"phenomenonTime": at(200), "result": 78.0, "Datastream": {"@iot.id": stream}},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not site.values(path, **{"$filter": "result eq 78"}):
            time.sleep(0.1)
    finally:
        publisher.close()
    assert site.values(path, **{"$filter": "result eq 77"})
    [created] = site.values(path, **{"$filter": "result eq 78"})
    assert created["phenomenonTime"] == "2026-12-07T08:00:00.000Z"


def test_receive_updates_via_mqtt__receive_updates(site: Site) -> None:
    """receive-updates-via-mqtt/receive-updates: a client subscribed to a Datastream's
    Observations (``v1.1/Datastreams(id)/Observations``) receives each new one as the
    entity."""
    broker = _broker(site)
    stream = site.ids["other_stream"]
    subscriber = Subscriber(broker, f"v1.1/Datastreams({stream})/Observations")
    try:
        created = site.created(
            f"Datastreams({stream})/Observations", {"phenomenonTime": at(300), "result": 55.5}
        )
        [(topic, message)] = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert topic == f"v1.1/Datastreams({stream})/Observations"
    assert message["@iot.id"] == created["@iot.id"]
    assert message["result"] == 55.5
    assert message["phenomenonTime"] == created["phenomenonTime"]


def _received(subscriber: Subscriber, count: int, timeout: float = 10) -> list[tuple[str, Any]]:
    """Wait for ``count`` messages of any kind (a property's or a ``$select`` topic's need not
    carry ``@iot.id``) and return those received."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(subscriber.messages) < count:
        time.sleep(0.02)
    return list(subscriber.messages)


def _unlinked(entity: dict[str, Any]) -> dict[str, Any]:
    """An entity without its links (the server's public address makes those of MQTT)."""
    return {k: v for k, v in entity.items() if not k.startswith("@iot.") and "@iot." not in k}


def test_receive_updates_via_mqtt__receive_updates_of_an_entity_set(site: Site) -> None:
    """receive-updates-via-mqtt/receive-updates, for an entity set (18-088 14.2.1): a client
    subscribed to ``v1.1/Things``, or to a collection reached by a navigation property
    (``v1.1/Things(id)/Datastreams``), receives each entity created in it, and each one
    updated, whole."""
    broker = _broker(site)
    owner = site.created("Things", {"name": "订阅站", "description": ""})
    things = Subscriber(broker, "v1.1/Things")
    streams = Subscriber(broker, f"v1.1/Things({owner['@iot.id']})/Datastreams")
    try:
        created = site.created("Things", {"name": "订阅新站", "description": "新"})
        stream = site.created(
            f"Things({owner['@iot.id']})/Datastreams",
            {
                "name": "订阅站 PM2.5",
                "description": "",
                "observationType": MEASUREMENT,
                "unitOfMeasurement": {"name": "微克每立方米", "symbol": "µg/m³", "definition": ""},
                "Sensor": _link(site, "sensor"),
                "ObservedProperty": _link(site, "observed"),
            },
        )
        updated = site.request("PATCH", created["@iot.selfLink"], json={"description": "改"})
        received = _received(things, 2)
        [(stream_topic, stream_message)] = _received(streams, 1)
    finally:
        things.close()
        streams.close()
    assert [(topic, message["@iot.id"]) for topic, message in received] == [
        ("v1.1/Things", created["@iot.id"]),
        ("v1.1/Things", created["@iot.id"]),
    ]
    assert _unlinked(received[0][1]) == _unlinked(created)
    assert _unlinked(received[1][1]) == _unlinked(updated.json())
    assert set(received[0][1]) == set(created)
    assert stream_topic == f"v1.1/Things({owner['@iot.id']})/Datastreams"
    assert _unlinked(stream_message) == _unlinked(stream)


def test_receive_updates_via_mqtt__receive_updates_of_an_entity_and_a_property(
    site: Site,
) -> None:
    """receive-updates-via-mqtt/receive-updates, for an entity and a property (18-088 14.2.2,
    14.2.3): a client subscribed to ``v1.1/Things(id)`` receives the whole Thing when it is
    updated; one subscribed to ``v1.1/Things(id)/name`` receives ``{"name": …}`` when its name
    changes, and nothing when another property does."""
    broker = _broker(site)
    thing = site.created("Things", {"name": "属性站", "description": "", "properties": {"a": 1}})
    topic = f"v1.1/Things({thing['@iot.id']})"
    entity = Subscriber(broker, topic)
    name = Subscriber(broker, f"{topic}/name")
    properties = Subscriber(broker, f"{topic}/properties")
    try:
        site.request("PATCH", thing["@iot.selfLink"], json={"name": "属性站二"})
        [(entity_topic, whole)] = _received(entity, 1)
        [(name_topic, named)] = _received(name, 1)
        unchanged = _received(properties, 1, timeout=0.5)
        site.request("PATCH", thing["@iot.selfLink"], json={"properties": {"a": 2}})
        [(_, changed)] = _received(properties, 1)
    finally:
        for subscriber in (entity, name, properties):
            subscriber.close()
    assert (entity_topic, whole["@iot.id"], whole["name"]) == (topic, thing["@iot.id"], "属性站二")
    assert whole["properties"] == {"a": 1}
    assert (name_topic, named) == (f"{topic}/name", {"name": "属性站二"})
    assert unchanged == []
    assert changed == {"properties": {"a": 2}}


def test_receive_updates_via_mqtt__receive_updates_of_selected_properties(site: Site) -> None:
    """receive-updates-via-mqtt/receive-updates, with ``$select`` (18-088 14.2.4): a client
    subscribed to ``v1.1/Things?$select=id,name`` receives of each new Thing its id and name
    only; one subscribed to ``v1.1/Datastreams(id)/Observations?$select=result`` each new
    Observation's result."""
    broker = _broker(site)
    things = "v1.1/Things?$select=id,name"
    observations = f"v1.1/Datastreams({site.ids['other_stream']})/Observations?$select=result"
    subscriber = Subscriber(broker, things, observations)
    try:
        # The server learns of a $select subscription from the broker, a moment after it is
        # made: create Things until the first is received.
        deadline = time.monotonic() + 15
        count = 0
        while time.monotonic() < deadline and not subscriber.messages:
            site.created("Things", {"name": f"选择站{count}", "description": "不选"})
            count += 1
            _received(subscriber, 1, timeout=0.5)
        site.created(
            f"Datastreams({site.ids['other_stream']})/Observations",
            {"phenomenonTime": at(400), "result": 44.5},
        )
        received = _received(subscriber, 2)
    finally:
        subscriber.close()
    by_topic = dict(received)
    assert set(by_topic[things]) == {"@iot.id", "@iot.selfLink", "name"}
    assert by_topic[things]["name"].startswith("选择站")
    assert by_topic[observations] == {"result": 44.5}


def test_the_service_root_claims_the_classes_tested_here(site: Site) -> None:
    """The conformance classes of ``serverSettings.conformance`` are those this module tests
    (and the MQTT endpoint is given for both MQTT classes)."""
    settings = site.json("")["serverSettings"]
    assert sorted(c.removeprefix(SPEC) for c in settings["conformance"]) == [
        "create-observations-via-data-array",
        "create-observations-via-mqtt/observations-creation",
        "create-update-delete",
        "data-array/data-array",
        "datamodel",
        "multi-datastream",
        "receive-updates-via-mqtt/receive-updates",
        "request-data",
        "resource-path/resource-path-to-entities",
    ]
    for mqtt in (
        "create-observations-via-mqtt/observations-creation",
        "receive-updates-via-mqtt/receive-updates",
    ):
        assert settings[SPEC + mqtt]["endpoints"]
