"""Factories for sensing entities and a small network of departments and staff for the
SensorThings tests. Entities are written directly (flushed), observations through the
observation service, as every real source writes them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_token, make_user
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Actor, Role
from yiwang.sensing import parsing, service
from yiwang.sensing.models import Datastream, Location, ObservedProperty, Sensor, Thing

_counter = itertools.count(1)
T0 = dt.datetime(2026, 11, 29, 0, 0, tzinfo=dt.UTC)


@dataclass
class Network:
    """Two departments (environment, transport), their staff and their API tokens."""

    env: Department
    transport: Department
    actors: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str, language: str = "zh-CN") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Accept-Language": language}


def make_network(session: Session) -> Network:
    n = next(_counter)
    env = make_department(
        session, name_zh="浙江省生态环境厅", division_code="330000", slug=f"zjenv{n}"
    )
    transport = make_department(
        session, name_zh="浙江省交通运输厅", division_code="330000", slug=f"zjtr{n}"
    )
    network = Network(env, transport)
    users = {
        "env_editor": make_user(
            session, role=Role.EDITOR, department=env, username=f"env_editor{n}"
        ),
        # Password hashing is slow on purpose; only the editor signs in with a password.
        "env_member": make_user(
            session, role=Role.MEMBER, department=env, username=f"env_member{n}", password=None
        ),
        "tr_editor": make_user(
            session, role=Role.EDITOR, department=transport, username=f"tr_editor{n}", password=None
        ),
        "root": make_user(session, role=Role.SYSADMIN, username=f"root{n}", password=None),
    }
    for key, user in users.items():
        network.actors[key] = actor(user)
        network.tokens[key] = make_token(session, user)
    return network


def make_thing(
    session: Session,
    *,
    department: Department | None,
    name: str | None = None,
    is_open: bool = True,
    coordinates: Sequence[float] | None = (120.14, 30.25),
    properties: dict[str, Any] | None = None,
) -> Thing:
    thing = Thing(
        name=name or f"监测站{next(_counter)}",
        description="",
        properties=properties,
        department_id=department.id if department else None,
        is_open=is_open,
    )
    if coordinates is not None:
        x, y = coordinates
        thing.locations.append(
            Location(
                name=f"{thing.name}位置",
                location={"type": "Point", "coordinates": [x, y]},
                department_id=thing.department_id,
                min_x=x,
                min_y=y,
                max_x=x,
                max_y=y,
            )
        )
    session.add(thing)
    session.flush()
    return thing


def make_datastream(
    session: Session,
    thing: Thing,
    *,
    name: str | None = None,
    observation_type: str = parsing.MEASUREMENT,
    observed_property: str = "PM2.5",
    unit: dict[str, Any] | None = None,
) -> Datastream:
    sensor = Sensor(name=f"传感器{next(_counter)}", encoding_type="text/html", sensor_metadata="")
    prop = ObservedProperty(name=observed_property, definition=f"urn:{observed_property}")
    session.add_all([sensor, prop])
    session.flush()
    stream = Datastream(
        name=name or f"{thing.name} {observed_property}",
        observation_type=observation_type,
        unit_of_measurement=unit or {"name": "微克每立方米", "symbol": "µg/m³"},
        thing_id=thing.id,
        sensor_id=sensor.id,
        observed_property_id=prop.id,
        department_id=thing.department_id,
        is_open=thing.is_open,
    )
    session.add(stream)
    session.flush()
    return stream


def add_observations(
    session: Session,
    stream: Datastream,
    results: Sequence[Any],
    *,
    start: dt.datetime = T0,
    step: dt.timedelta = dt.timedelta(hours=1),
) -> list[int]:
    """Store one observation per result, an hour apart from ``start``; return their ids."""
    items = [
        parsing.NewObservation(stream_id=stream.id, phenomenon_time=start + i * step, result=r)
        for i, r in enumerate(results)
    ]
    outcomes = service.create_observations(session, actor=SYSTEM, observations=items)
    return [o.id for o in outcomes if o.id is not None]


__all__ = [
    "T0",
    "Network",
    "add_observations",
    "make_datastream",
    "make_network",
    "make_thing",
]
