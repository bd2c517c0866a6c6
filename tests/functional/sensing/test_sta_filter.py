"""``$filter`` as clients write it: comparisons, logic, arithmetic, string, date, math and
spatial functions, paths across relations and into JSON properties, on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.sensing import add_observations, make_datastream, make_network, make_thing
from yiwang.sensing.models import Datastream, Thing

STA = "/sta/v1.1"
NEAR_HANGZHOU = "geography'POLYGON((120 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30))'"
NEAR_NINGBO = "geography'POLYGON((121 29, 122 29, 122 30, 121 30, 121 29))'"


@dataclass
class Stations:
    west_lake: Thing
    qiantang: Thing
    ningbo: Thing
    pm25: Datastream
    no2: Datastream


@pytest.fixture
def stations(session: Session) -> Stations:
    net = make_network(session)
    west_lake = make_thing(
        session,
        department=net.env,
        name="West Lake",
        coordinates=(120.14, 30.25),
        properties={"owner": "Hangzhou", "height": 12, "tags": {"level": "national"}},
    )
    qiantang = make_thing(
        session,
        department=net.env,
        name="Qiantang River",
        coordinates=(120.30, 30.30),
        properties={"owner": "Hangzhou", "height": 3},
    )
    ningbo = make_thing(
        session,
        department=net.env,
        name="Sanjiangkou",
        coordinates=(121.55, 29.87),
        properties={"owner": "Ningbo", "height": 25},
    )
    pm25 = make_datastream(session, west_lake, name="West Lake PM2.5", observed_property="PM2.5")
    no2 = make_datastream(session, ningbo, name="Sanjiangkou NO2", observed_property="NO2")
    add_observations(session, pm25, [12.5, 30.0, 55.5, 80.0, 41.0])
    add_observations(session, no2, [5.0, 6.25])
    session.commit()
    return Stations(west_lake, qiantang, ningbo, pm25, no2)


def _things(client: TestClient, expression: str) -> list[str]:
    response = client.get(f"{STA}/Things", params={"$filter": expression, "$orderby": "name"})
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()["value"]]


def _results(client: TestClient, expression: str) -> list[float]:
    response = client.get(
        f"{STA}/Observations", params={"$filter": expression, "$orderby": "result"}
    )
    assert response.status_code == 200, response.text
    return [o["result"] for o in response.json()["value"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("name eq 'West Lake'", ["West Lake"]),
        ("name ne 'West Lake'", ["Qiantang River", "Sanjiangkou"]),
        ("name gt 'R' and name lt 'T'", ["Sanjiangkou"]),
        (
            "not (name eq 'West Lake') and (name eq 'Sanjiangkou' or name eq 'Nowhere')",
            ["Sanjiangkou"],
        ),
        ("substringof('Lake', name)", ["West Lake"]),
        ("contains(name, 'an')", ["Qiantang River", "Sanjiangkou"]),
        ("startswith(name, 'Qian')", ["Qiantang River"]),
        ("endswith(name, 'kou')", ["Sanjiangkou"]),
        ("length(name) eq 9", ["West Lake"]),
        ("indexof(name, 'Lake') eq 5", ["West Lake"]),
        ("substring(name, 5) eq 'Lake'", ["West Lake"]),
        ("substring(name, 0, 4) eq 'West'", ["West Lake"]),
        ("tolower(name) eq 'west lake'", ["West Lake"]),
        ("toupper(name) eq 'WEST LAKE'", ["West Lake"]),
        ("trim(concat(' ', name)) eq 'West Lake'", ["West Lake"]),
        ("concat(concat(name, '-'), 'x') eq 'West Lake-x'", ["West Lake"]),
        ("properties/owner eq 'Ningbo'", ["Sanjiangkou"]),
        ("properties/height gt 10", ["Sanjiangkou", "West Lake"]),
        ("properties/height add 10 lt 20", ["Qiantang River"]),
        ("properties/tags/level eq 'national'", ["West Lake"]),
        ("Datastreams/ObservedProperty/name eq 'NO2'", ["Sanjiangkou"]),
        ("Locations/name eq 'West Lake位置'", ["West Lake"]),
    ],
)
def test_filters_on_things(
    app_client: TestClient, stations: Stations, expression: str, expected: list[str]
) -> None:
    assert _things(app_client, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("result gt 40", [41.0, 55.5, 80.0]),
        ("result ge 41 and result le 55.5", [41.0, 55.5]),
        ("result add 10 eq 40", [30.0]),
        ("result sub 5 eq 25", [30.0]),
        ("result mul 2 eq 60", [30.0]),
        ("result div 2 eq 15", [30.0]),
        ("result mod 2 eq 0", [30.0, 80.0]),
        ("round(result) eq 56", [55.5]),
        ("floor(result) eq 12", [12.5]),
        ("ceiling(result) eq 7", [6.25]),
        ("-result lt -60", [80.0]),
        ("Datastream/ObservedProperty/name eq 'NO2'", [5.0, 6.25]),
        ("Datastream/Thing/properties/owner eq 'Ningbo'", [5.0, 6.25]),
        ("phenomenonTime gt 2026-11-29T02:30:00Z", [41.0, 80.0]),
        ("phenomenonTime lt 2026-11-29T09:00:00+08:00", [5.0, 12.5]),
        ("hour(phenomenonTime) eq 1", [6.25, 30.0]),
        (
            "year(phenomenonTime) eq 2026 and month(phenomenonTime) eq 11",
            [5.0, 6.25, 12.5, 30.0, 41.0, 55.5, 80.0],
        ),
        (
            "day(phenomenonTime) eq 29 and minute(phenomenonTime) eq 0 "
            "and second(phenomenonTime) eq 0",
            [5.0, 6.25, 12.5, 30.0, 41.0, 55.5, 80.0],
        ),
        ("date(phenomenonTime) eq 2026-11-29 and hour(phenomenonTime) ge 4", [41.0]),
        ("fractionalseconds(phenomenonTime) eq 0 and result gt 79", [80.0]),
        ("phenomenonTime lt now() and phenomenonTime gt mindatetime() and result gt 79", [80.0]),
        ("phenomenonTime lt maxdatetime() and result lt 6", [5.0]),
    ],
)
def test_filters_on_observations(
    app_client: TestClient, stations: Stations, expression: str, expected: list[float]
) -> None:
    assert _results(app_client, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            f"st_within(location, {NEAR_HANGZHOU})",
            ["West Lake位置", "Qiantang River位置"],
        ),
        (
            "st_intersects(location, geometry'LINESTRING(121.55 29, 121.55 30)')",
            ["Sanjiangkou位置"],
        ),
        (
            f"geo.intersects(location, {NEAR_NINGBO})",
            ["Sanjiangkou位置"],
        ),
        (
            "geo.distance(location, geography'POINT(120.14 30.25)') lt 0.2",
            ["West Lake位置", "Qiantang River位置"],
        ),
        ("st_equals(location, geography'POINT(120.3 30.3)')", ["Qiantang River位置"]),
        (
            f"st_disjoint(location, {NEAR_HANGZHOU})",
            ["Sanjiangkou位置"],
        ),
        (
            f"st_contains({NEAR_NINGBO}, location)",
            ["Sanjiangkou位置"],
        ),
        ("st_touches(location, geography'LINESTRING(120.3 30.3, 121 31)')", ["Qiantang River位置"]),
        (
            "geo.length(geography'LINESTRING(0 0, 3 4)') eq 5 and name eq 'West Lake位置'",
            ["West Lake位置"],
        ),
    ],
)
def test_spatial_filters_on_locations(
    app_client: TestClient, stations: Stations, expression: str, expected: list[str]
) -> None:
    response = app_client.get(f"{STA}/Locations", params={"$filter": expression, "$orderby": "id"})
    assert response.status_code == 200, response.text
    names = [loc["name"] for loc in response.json()["value"]]
    assert sorted(names) == sorted(expected)


def test_spatial_filter_across_a_relation(app_client: TestClient, stations: Stations) -> None:
    polygon = "geography'POLYGON((121 29, 122 29, 122 30, 121 30, 121 29))'"
    names = _things(app_client, f"st_within(Locations/location, {polygon})")
    assert names == ["Sanjiangkou"]


def test_expand_filter_and_orderby_across_relations(
    app_client: TestClient, stations: Stations
) -> None:
    response = app_client.get(
        f"{STA}/Datastreams",
        params={"$orderby": "Thing/name desc", "$select": "name"},
    )
    assert [d["name"] for d in response.json()["value"]] == [
        "West Lake PM2.5",
        "Sanjiangkou NO2",
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "name eq",
        "name eq 'a",
        "(name eq 'a'",
        "unknownfunction(name) eq 1",
        "length(name, name) eq 1",
        "result gt 2026-11-29T02:00:00",
        "st_within(location, geography'POLYGON((1 2, 3')",
        "name eq 1 1",
    ],
)
def test_malformed_filters_are_400(app_client: TestClient, expression: str) -> None:
    url = "Locations" if "location" in expression else "Things"
    response = app_client.get(f"{STA}/{url}", params={"$filter": expression})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "error"
