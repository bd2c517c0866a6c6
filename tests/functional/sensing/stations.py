"""A small monitoring station for sensing tests: an environment department, its editor, a
located Thing with a PM2.5 Datastream, a count Datastream and a MultiDatastream."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_user
from yiwang.core.policy import Role
from yiwang.sensing import parsing
from yiwang.sensing.models import (
    MULTI,
    Datastream,
    Location,
    MultiDatastreamProperty,
    ObservedProperty,
    Sensor,
    Thing,
)

T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


class Station:
    def __init__(self, session: Session, *, located: bool = True) -> None:
        self.department = make_department(
            session, name_zh="杭州市生态环境局", division_code="330100", slug=f"hzenv{id(self)}"
        )
        self.editor = actor(
            make_user(
                session, role=Role.EDITOR, department=self.department, username=f"e{id(self)}"
            )
        )
        self.thing = Thing(name="西湖监测站", department_id=self.department.id, is_open=True)
        if located:
            self.thing.locations.append(
                Location(
                    name="西湖",
                    location={"type": "Point", "coordinates": [120.14, 30.25]},
                    min_x=120.14,
                    min_y=30.25,
                    max_x=120.14,
                    max_y=30.25,
                )
            )
        sensor = Sensor(name="PM2.5 monitor", encoding_type="text/html", sensor_metadata="")
        pm25 = ObservedProperty(name="PM2.5", definition="urn:pm25")
        session.add_all([self.thing, sensor, pm25])
        session.flush()
        self.pm25 = Datastream(
            name="PM2.5",
            observation_type=parsing.MEASUREMENT,
            unit_of_measurement={"name": "µg/m³", "symbol": "µg/m³", "definition": "ucum:ug/m3"},
            thing_id=self.thing.id,
            sensor_id=sensor.id,
            observed_property_id=pm25.id,
            department_id=self.department.id,
            is_open=True,
        )
        self.count = Datastream(
            name="visitors",
            observation_type=parsing.COUNT,
            unit_of_measurement={},
            thing_id=self.thing.id,
            sensor_id=sensor.id,
            observed_property_id=pm25.id,
            department_id=self.department.id,
            is_open=True,
        )
        self.multi = Datastream(
            name="wind",
            kind=MULTI,
            observation_type=parsing.COMPLEX,
            multi_observation_types=[parsing.MEASUREMENT, parsing.CATEGORY],
            unit_of_measurement=[{}, {}],
            thing_id=self.thing.id,
            sensor_id=sensor.id,
            department_id=self.department.id,
            is_open=True,
        )
        session.add_all([self.pm25, self.count, self.multi])
        session.flush()
        session.add_all(
            [
                MultiDatastreamProperty(
                    datastream_id=self.multi.id, position=0, observed_property_id=pm25.id
                ),
                MultiDatastreamProperty(
                    datastream_id=self.multi.id, position=1, observed_property_id=pm25.id
                ),
            ]
        )
        session.flush()


@pytest.fixture
def station(session: Session) -> Station:
    return Station(session)
