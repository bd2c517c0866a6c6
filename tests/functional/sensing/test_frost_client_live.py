"""The real SensorThings client, ``frost-sta-client``, unchanged, against a live ``yiwang
serve`` on SQLite and PostgreSQL: create a located Thing, its Sensor, ObservedProperty and
Datastream, find them, query with filter, expand and orderby, page through nextLinks, and
send observations as data arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import frost_sta_client as fsc
import pytest
import requests
from frost_sta_client.model.ext.data_array_value import DataArrayValue

from tests.factories.core import PASSWORD
from tests.support.processes import live_server
from yiwang.core import identity
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM, Role

pytestmark = [
    pytest.mark.slow,
    # The client uses an attribute furl has deprecated; that is the client's to change.
    pytest.mark.filterwarnings("ignore:furl.pathstr is deprecated:DeprecationWarning"),
]

MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


@dataclass
class Site:
    url: str
    username: str
    token: str

    def service(self, *, password: str | None = None) -> fsc.SensorThingsService:
        """The client as its users set it up: HTTP Basic with the token (or a password)."""
        auth = fsc.AuthHandler(username=self.username, password=password or self.token)
        return fsc.SensorThingsService(f"{self.url}/sta/v1.1", auth_handler=auth)

    def anonymous(self) -> fsc.SensorThingsService:
        return fsc.SensorThingsService(f"{self.url}/sta/v1.1")


def _seed(db: Database) -> str:
    with db.session() as session:
        env = identity.create_department(
            session, actor=SYSTEM, name_zh="浙江省生态环境厅", division_code="330000", slug="zjenv"
        )
        editor = identity.create_user(
            session,
            actor=SYSTEM,
            username="env_editor",
            role=Role.EDITOR,
            department_id=env.id,
            password=PASSWORD,
        )
        _, token = identity.create_token(session, actor=SYSTEM, user_id=editor.id)
        return token


@pytest.fixture
def site(committed_database: Database, tmp_path: Path) -> Iterator[Site]:
    token = _seed(committed_database)
    with live_server(committed_database, tmp_path, "--no-worker") as url:
        yield Site(url, "env_editor", token)


def _station(service: fsc.SensorThingsService, name: str, x: float) -> fsc.Datastream:
    location = fsc.Location(
        name=f"{name}位置",
        description="监测点",
        encoding_type="application/geo+json",
        location={"type": "Point", "coordinates": [x, 30.25]},
    )
    thing = fsc.Thing(name=name, description="空气质量监测站", properties={"owner": "杭州市"})
    thing.locations = [location]
    service.create(thing)
    sensor = fsc.Sensor(
        name="β射线颗粒物监测仪",
        description="PM2.5",
        encoding_type="text/html",
        metadata="https://example.org/sensor",
    )
    service.create(sensor)
    observed = fsc.ObservedProperty(
        name="PM2.5", definition="https://example.org/pm25", description="细颗粒物"
    )
    service.create(observed)
    stream = fsc.Datastream(
        name=f"{name} PM2.5",
        description="小时均值",
        observation_type=MEASUREMENT,
        unit_of_measurement=fsc.UnitOfMeasurement(
            name="微克每立方米", symbol="µg/m³", definition="ucum:ug/m3"
        ),
        thing=thing,
        sensor=sensor,
        observed_property=observed,
    )
    service.create(stream)
    return stream


def test_the_frost_client_creates_finds_queries_and_pages(site: Site) -> None:
    service = site.service()
    west = _station(service, "西湖监测站", 120.14)
    _station(service, "钱塘江监测站", 120.30)
    assert isinstance(west.id, int)

    found = service.things().find(west.thing.id)
    assert found.name == "西湖监测站"
    assert found.properties == {"owner": "杭州市"}

    start = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    for hour in range(5):
        service.create(
            fsc.Observation(
                phenomenon_time=(start + dt.timedelta(hours=hour)).isoformat(),
                result=10.0 + hour,
                datastream=west,
            )
        )

    streams = (
        site.anonymous()
        .datastreams()
        .query()
        .filter("Thing/properties/owner eq '杭州市' and substringof('西湖', name)")
        .expand("Observations($top=1;$orderby=phenomenonTime desc),Thing")
        .orderby("name", "asc")
        .list()
    )
    [only] = list(streams)
    assert only.name == "西湖监测站 PM2.5"
    assert [o.result for o in only.observations.entities] == [14.0]
    # Iterating the expanded list follows its nextLink through the rest, newest first.
    assert [o.result for o in only.observations] == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert only.thing.name == "西湖监测站"

    paged = service.observations().query().top(2).orderby("phenomenonTime", "asc").list()
    assert [o.result for o in paged] == [10.0, 11.0, 12.0, 13.0, 14.0]

    things = service.things().query().count().list()
    assert things.count == 2


def test_the_frost_client_sends_data_arrays(site: Site) -> None:
    service = site.service(password=PASSWORD)
    stream = _station(service, "断桥监测站", 120.15)
    array = DataArrayValue()
    array.datastream = stream
    array.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    start = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    for minute in range(50):
        array.add_observation(
            fsc.Observation(
                phenomenon_time=(start + dt.timedelta(minutes=minute)).isoformat(),
                result=float(minute),
                datastream=stream,
            )
        )
    document = fsc.DataArrayDocument()
    document.add_data_array_value(array)
    created = service.observations().create(document)
    assert len(created) == 50
    assert all("/sta/v1.1/Observations(" in o.self_link for o in created)

    observations = service.datastreams().query().expand("Observations($count=true)").list()
    [listed] = list(observations)
    assert listed.observations.count == 50


def test_the_frost_client_gets_an_error_it_can_read(site: Site) -> None:
    anonymous = site.anonymous()
    with pytest.raises(requests.exceptions.HTTPError) as refused:
        anonymous.create(fsc.Sensor(name="x", description="", encoding_type="text/html"))
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["type"] == "error"
