"""SensorThings API under hostile or careless requests, on SQLite and PostgreSQL: $expand is
bounded in depth, in each expanded collection's page and, with every other entity, in the
bytes of a response; expressions and bodies nested too deeply, numbers no column can keep and
fields too large are 400s naming what is wrong; floor and ceiling of results that are not all
numbers answer as on PostgreSQL; unknown paths are 404; a Sensor needs its metadata; st_relate
works; and writes authenticated by the web login's cookie must carry the CSRF token."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD
from tests.factories.sensing import (
    Network,
    add_observations,
    make_datastream,
    make_network,
    make_thing,
)
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core.config import Settings
from yiwang.sensing import parsing
from yiwang.sensing.models import Observation, Sensor, Thing
from yiwang.sensing.sta import spatial

STA = "/sta/v1.1"
EN = {"Accept-Language": "en"}
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
SENSOR = {"name": "s", "description": "", "encodingType": "text/html", "metadata": "urn:s"}


@pytest.fixture
def net(session: Session) -> Network:
    network = make_network(session)
    session.commit()
    return network


def _auth(net: Network) -> dict[str, str]:
    return net.auth("env_editor", "en")


def _small_client(db: BoundDatabase, settings: Settings, data_bytes: int) -> TestClient:
    app = create_app(settings.model_copy(update={"sta_max_data_bytes": data_bytes}), db)
    return TestClient(app, base_url="http://testserver")


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


# --- $expand and the size of a response ---------------------------------------------------------

UNBOUNDED = (
    "Datastreams($expand=Observations($expand=Datastream($expand=Thing($expand=Datastreams("
    "$expand=Observations)))))"
)


def test_the_unbounded_expand_is_400_and_three_levels_are_served(
    app_client: TestClient, session: Session, net: Network
) -> None:
    thing = make_thing(session, department=net.env, name="西湖监测站")
    add_observations(session, make_datastream(session, thing), [1.0, 2.0])
    session.commit()
    refused = app_client.get(
        f"{STA}/Things", params={"$top": "50", "$expand": UNBOUNDED}, headers=EN
    )
    assert refused.status_code == 400
    assert refused.json()["message"] == "$expand is nested too deeply: at most 3 levels."
    three = app_client.get(
        f"{STA}/Things",
        params={"$expand": "Datastreams($expand=Observations($expand=Datastream))"},
    )
    assert three.status_code == 200, three.text
    [stream] = three.json()["value"][0]["Datastreams"]
    assert [o["Datastream"]["@iot.id"] for o in stream["Observations"]] == [stream["@iot.id"]] * 2


def test_an_expanded_collection_has_its_own_default_page_and_next_link(
    app_client: TestClient, session: Session, net: Network
) -> None:
    stream = make_datastream(session, make_thing(session, department=net.env))
    add_observations(session, stream, [float(n) for n in range(103)])
    session.commit()
    body = app_client.get(f"{STA}/Datastreams({stream.id})?$expand=Observations").json()
    assert len(body["Observations"]) == 100
    link = body["Observations@iot.nextLink"]
    assert link.startswith(f"http://testserver{STA}/Datastreams({stream.id})/Observations?")
    assert "$top=100" in link
    assert "$skip=100" in link
    assert len(app_client.get(_path(link)).json()["value"]) == 3
    small = app_client.get(
        f"{STA}/Datastreams({stream.id})?$expand=Observations($top=2;$orderby=result desc)"
    ).json()
    assert [o["result"] for o in small["Observations"]] == [102.0, 101.0]
    rest = app_client.get(_path(small["Observations@iot.nextLink"])).json()
    assert [o["result"] for o in rest["value"]] == [100.0, 99.0]


def test_a_page_is_cut_short_at_the_size_limit_and_continued_at_its_next_link(
    db: BoundDatabase, settings: Settings, session: Session, net: Network
) -> None:
    for n in range(30):
        session.add(
            Thing(
                name=f"站{n:02d}", description="描述" * 500, department_id=net.env.id, is_open=True
            )
        )
    session.commit()
    limit = 10_000
    seen: list[str] = []
    with _small_client(db, settings, limit) as client:
        url = f"{STA}/Things?$orderby=name&$top=1000"
        pages = 0
        while url:
            response = client.get(url)
            assert response.status_code == 200
            # A page is cut before the entity that would pass the limit.
            assert len(response.content) < limit + 500
            body = response.json()
            assert body["value"], "every page makes progress"
            seen.extend(t["name"] for t in body["value"])
            url = _path(body["@iot.nextLink"]) if "@iot.nextLink" in body else ""
            pages += 1
    assert seen == [f"站{n:02d}" for n in range(30)]
    assert pages > 3


def test_an_expanded_collection_is_cut_at_the_size_limit_with_its_own_next_link(
    db: BoundDatabase, settings: Settings, session: Session, net: Network
) -> None:
    thing = make_thing(session, department=net.env)
    stream = make_datastream(session, thing)
    add_observations(session, stream, [float(n) for n in range(300)])
    session.commit()
    with _small_client(db, settings, 10_000) as client:
        url = (
            f"{STA}/Things({thing.id})?$expand=Datastreams($expand=Observations("
            "$top=1000;$orderby=result))"
        )
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.content) < 11_000
        [expanded] = response.json()["Datastreams"]
        results = [o["result"] for o in expanded["Observations"]]
        assert 0 < len(results) < 300
        link = expanded["Observations@iot.nextLink"]
        assert f"$skip={len(results)}" in link
        while link:
            page = client.get(_path(link)).json()
            results.extend(o["result"] for o in page["value"])
            link = page.get("@iot.nextLink", "")
    assert results == [float(n) for n in range(300)]


def test_a_data_array_is_cut_at_the_size_limit_too(
    db: BoundDatabase, settings: Settings, session: Session, net: Network
) -> None:
    stream = make_datastream(session, make_thing(session, department=net.env))
    add_observations(session, stream, [float(n) for n in range(1000)])
    session.commit()
    with _small_client(db, settings, 10_000) as client:
        body = client.get(
            f"{STA}/Observations?$resultFormat=dataArray&$top=1000&$orderby=phenomenonTime"
        ).json()
    [group] = body["value"]
    assert 0 < group["dataArray@iot.count"] < 1000
    assert f"$skip={group['dataArray@iot.count']}" in body["@iot.nextLink"]


# --- expressions, bodies and numbers --------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 500])
def test_filters_nested_too_deeply_are_400(app_client: TestClient, depth: int) -> None:
    expression = "(" * depth + "name eq 'a'" + ")" * depth
    response = app_client.get(f"{STA}/Things", params={"$filter": expression}, headers=EN)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The $filter expression is nested too deeply: at most 50 levels."
    )
    nested = app_client.get(
        f"{STA}/Things", params={"$filter": "(" * 40 + "name eq 'a'" + ")" * 40}
    )
    assert nested.status_code == 200


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_bodies_are_400_never_500(
    app_client: TestClient, net: Network, session: Session
) -> None:
    headers = {**_auth(net), "Content-Type": "application/json"}
    for depth in (10_000, 100):
        body = '{"name": "x", "description": "", "properties": {"a": ' + _deep(depth) + "}}"
        response = app_client.post(f"{STA}/Things", content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == (
            "The request body is nested too deeply: at most 64 levels."
        )
    created = app_client.post(
        f"{STA}/Things", json={"name": "x", "description": ""}, headers=headers
    )
    assert created.status_code == 201
    url = created.json()["@iot.selfLink"]
    for method in ("PATCH", "PUT"):
        response = app_client.request(
            method, url, content='{"properties": {"a": ' + _deep(10_000) + "}}", headers=headers
        )
        assert response.status_code == 400
    patch = app_client.patch(
        url,
        content='[{"op": "add", "path": "/properties", "value": ' + _deep(10_000) + "}]",
        headers={**headers, "Content-Type": "application/json-patch+json"},
    )
    assert patch.status_code == 400
    arrays = app_client.post(
        f"{STA}/CreateObservations", content="[" + _deep(10_000) + "]", headers=headers
    )
    assert arrays.status_code == 400
    # Seventeen levels in properties fit the body but not the field.
    deep_properties = {"name": "x", "description": "", "properties": {"a": json.loads(_deep(16))}}
    too_deep = app_client.post(f"{STA}/Things", json=deep_properties, headers=headers)
    assert too_deep.status_code == 400
    assert too_deep.json()["message"] == (
        "The field properties of Thing is nested too deeply: at most 16 levels."
    )
    assert session.scalar(select(func.count()).select_from(Thing)) == 1


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", str(10**30)])
def test_numbers_no_column_can_keep_are_400(
    app_client: TestClient, net: Network, number: str
) -> None:
    body = '{"name": "x", "description": "", "properties": {"n": ' + number + "}}"
    response = app_client.post(
        f"{STA}/Things", content=body, headers={**_auth(net), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "sta.bad_number"


def test_ids_past_64_bits_are_not_found_or_refused(
    app_client: TestClient, net: Network, session: Session
) -> None:
    huge = "9" * 25
    assert app_client.get(f"{STA}/Things({huge})").status_code == 404
    assert app_client.get(f"{STA}/Things({huge})/Datastreams").status_code == 404
    listed = app_client.get(f"{STA}/Things", params={"$filter": f"id eq {huge} or id lt -{huge}"})
    assert listed.status_code == 200
    assert listed.json()["value"] == []
    auth = {**_auth(net), "Content-Type": "application/json"}
    for link in (f'"{huge}"', "9999999999999999999", "1" * 5000):
        body = '{"result": 1, "Datastream": {"@iot.id": ' + link + "}}"
        response = app_client.post(f"{STA}/Observations", content=body, headers=auth)
        assert response.status_code in (400, 422), response.text
        thing = '{"name": "x", "Locations": [{"@iot.id": ' + link + "}]}"
        assert app_client.post(f"{STA}/Things", content=thing, headers=auth).status_code == 400
    assert session.scalar(select(func.count()).select_from(Thing)) == 0


def test_floor_and_ceiling_of_results_that_are_not_all_numbers(
    app_client: TestClient, session: Session, net: Network
) -> None:
    thing = make_thing(session, department=net.env)
    stream = make_datastream(session, thing, observation_type=parsing.GENERIC)
    add_observations(session, stream, [4.2, "high", {"level": 4}, True, 4.9, -4.5, 1e300])
    session.commit()

    def results(expression: str) -> list[Any]:
        response = app_client.get(
            f"{STA}/Observations", params={"$filter": expression, "$orderby": "id"}
        )
        assert response.status_code == 200, response.text
        return [o["result"] for o in response.json()["value"]]

    # Only numeric results are computed on, as PostgreSQL does.
    assert results("floor(result) eq 4") == [4.2, 4.9]
    assert results("ceiling(result) eq -4") == [-4.5]
    assert results("floor(result) eq -5") == [-4.5]
    assert results("floor(result) gt 1e299") == [1e300]
    assert results("floor(result) div 2 eq 2") == [4.2, 4.9]
    # Nothing divided by zero: no value, on both databases.
    assert results("result div 0 eq 1") == []
    assert results("result mod 0 eq 1") == []


def test_an_expression_postgresql_cannot_compute_is_400(
    app_client: TestClient, session: Session, net: Network, dialect: str
) -> None:
    make_thing(session, department=net.env, name="West Lake")
    session.commit()
    response = app_client.get(
        f"{STA}/Things", params={"$filter": "substring(name, 0, -1) eq 'x'"}, headers=EN
    )
    if dialect == "postgresql":
        assert response.status_code == 400
        assert response.json()["errorCode"] == "sta.not_computable"
    else:
        assert response.status_code == 200


# --- sizes of fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("Things", {"name": "名" * 256}, "The field name of Thing is too long: at most 255"),
        (
            "Things",
            {"name": "x", "description": "x" * 10_001},
            "The field description of Thing is too long: at most 10000 characters",
        ),
        (
            "Things",
            {"name": "x", "description": "", "properties": {"values": [0] * 1_000_000}},
            "The field properties of Thing is too large: at most 65536 bytes",
        ),
        (
            "Sensors",
            {**SENSOR, "metadata": "x" * 70_000},
            "The field metadata of Sensor is too large",
        ),
        (
            "Sensors",
            {**SENSOR, "encodingType": "x" * 101},
            "The field encodingType of Sensor is too long: at most 100",
        ),
        (
            "Locations",
            {
                "name": "x",
                "description": "",
                "encodingType": "application/geo+json",
                "location": {
                    "type": "LineString",
                    "coordinates": [[120 + n / 1e6, 30.0] for n in range(60_000)],
                },
            },
            "The field location of Location is too large: at most 1048576 bytes",
        ),
    ],
)
def test_fields_past_their_limits_are_400_naming_the_field(
    app_client: TestClient,
    net: Network,
    session: Session,
    path: str,
    body: dict[str, Any],
    message: str,
) -> None:
    response = app_client.post(f"{STA}/{path}", json=body, headers=_auth(net))
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert session.scalar(select(func.count()).select_from(Thing)) == 0
    assert session.scalar(select(func.count()).select_from(Sensor)) == 0


def test_changes_and_observations_have_the_same_limits(
    app_client: TestClient, net: Network, session: Session
) -> None:
    auth = _auth(net)
    thing = app_client.post(f"{STA}/Things", json={"name": "x", "description": ""}, headers=auth)
    url = thing.json()["@iot.selfLink"]
    patched = app_client.patch(url, json={"description": "x" * 10_001}, headers=auth)
    assert patched.status_code == 400
    assert "description" in patched.json()["message"]
    copies = [{"op": "add", "path": "/properties", "value": {"k": "x" * 1000}}] + [
        {"op": "copy", "from": "/properties", "path": f"/properties/c{n}"} for n in range(40)
    ]
    swollen = app_client.patch(
        url, json=copies, headers={**auth, "Content-Type": "application/json-patch+json"}
    )
    assert swollen.status_code == 400
    stream = make_datastream(session, session.get(Thing, thing.json()["@iot.id"]))  # type: ignore[arg-type]
    session.commit()
    observation = app_client.post(
        f"{STA}/Datastreams({stream.id})/Observations",
        json={"result": 1.0, "parameters": {"k": "x" * 70_000}},
        headers=auth,
    )
    assert observation.status_code == 400
    assert observation.json()["message"].startswith(
        "The field parameters of Observation is too large"
    )
    assert session.scalar(select(func.count()).select_from(Observation)) == 0


# --- paths, Sensors, st_relate --------------------------------------------------------------------


def test_unknown_paths_and_properties_are_404(
    app_client: TestClient, session: Session, net: Network
) -> None:
    thing = make_thing(session, department=net.env)
    session.commit()
    for path in (
        f"Things({thing.id})/nosuchprop",
        f"Things({thing.id})/nosuchprop/$value",
        "NonExistentCollection",
        "NonExistentCollection(1)",
        f"Things({thing.id})/Datastreams/Things",
    ):
        response = app_client.get(f"{STA}/{path}", headers=EN)
        assert response.status_code == 404, path
        assert response.json()["type"] == "error"
    posted = app_client.post(f"{STA}/NonExistentCollection", json={}, headers=_auth(net))
    assert posted.status_code == 404


def test_a_sensor_needs_its_metadata_and_encoding_type(
    app_client: TestClient, net: Network, session: Session
) -> None:
    auth = _auth(net)
    for missing in ("metadata", "encodingType"):
        body = {k: v for k, v in SENSOR.items() if k != missing}
        response = app_client.post(f"{STA}/Sensors", json=body, headers=auth)
        assert response.status_code == 400
        assert response.json()["message"] == (
            f"Sensor needs the field {missing}, which the SensorThings data model makes mandatory."
        )
    created = app_client.post(f"{STA}/Sensors", json=SENSOR, headers=auth)
    assert created.status_code == 201
    url = created.json()["@iot.selfLink"]
    replaced = app_client.put(
        url, json={"name": "s", "description": "", "encodingType": "text/html"}, headers=auth
    )
    assert replaced.status_code == 400
    assert replaced.json()["message"] == (
        "Sensor needs the field metadata, which the SensorThings data model makes mandatory."
    )
    cleared = app_client.patch(url, json={"metadata": None}, headers=auth)
    assert cleared.status_code == 400
    assert app_client.get(url).json()["metadata"] == "urn:s"
    assert session.scalar(select(func.count()).select_from(Sensor)) == 1


@pytest.fixture
def located(session: Session, net: Network) -> None:
    make_thing(session, department=net.env, name="West Lake", coordinates=(120.14, 30.25))
    make_thing(session, department=net.env, name="Sanjiangkou", coordinates=(121.55, 29.87))
    session.commit()


HANGZHOU = "geography'POLYGON((120 30, 120.5 30, 120.5 30.5, 120 30.5, 120 30))'"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("T*F**F***", ["West Lake位置"]),  # within
        ("FF*FF****", ["Sanjiangkou位置"]),  # disjoint
        ("t*f**f***", ["West Lake位置"]),
        ("0FFFFF212", ["West Lake位置"]),  # the full matrix of a point inside a polygon
    ],
)
def test_st_relate_matches_the_intersection_matrix(
    app_client: TestClient, located: None, pattern: str, expected: list[str]
) -> None:
    response = app_client.get(
        f"{STA}/Locations",
        params={"$filter": f"st_relate(location, {HANGZHOU}, '{pattern}')", "$orderby": "name"},
    )
    assert response.status_code == 200, response.text
    assert [loc["name"] for loc in response.json()["value"]] == expected


@pytest.mark.parametrize(
    "expression",
    [
        f"st_relate(location, {HANGZHOU}, 'T*F')",
        f"st_relate(location, {HANGZHOU}, 'XXXXXXXXX')",
        f"st_relate(location, {HANGZHOU})",
        f"st_relate(location, {HANGZHOU}, name)",
    ],
)
def test_st_relate_needs_a_pattern_of_nine_characters(
    app_client: TestClient, expression: str
) -> None:
    response = app_client.get(f"{STA}/Locations", params={"$filter": expression})
    assert response.status_code == 400


def test_without_postgis_st_relate_answers_as_every_spatial_function(
    app_client: TestClient, located: None, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if dialect != "postgresql":
        pytest.skip("PostGIS is PostgreSQL's")
    monkeypatch.setattr(spatial, "has_postgis", lambda _session: False)
    for expression in (
        f"st_relate(location, {HANGZHOU}, 'T*F**F***')",
        f"st_within(location, {HANGZHOU})",
    ):
        response = app_client.get(f"{STA}/Locations", params={"$filter": expression}, headers=EN)
        assert response.status_code == 501
        assert response.json()["errorCode"] == "sta.spatial_unavailable"


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.fixture
def browser(app_client: TestClient, net: Network) -> tuple[TestClient, str]:
    """The application's client signed in through the login form (the session cookie), and
    the CSRF token its pages carry."""
    html = {"Accept": "text/html"}
    form = app_client.get("/login", headers=html)
    field = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert field
    signed_in = app_client.post(
        "/login",
        data={
            "username": net.actors["env_editor"].username,
            "password": PASSWORD,
            "csrf": field.group(1),
            "next": "/account",
        },
        headers=html,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    page = app_client.get("/account", headers=html)
    meta = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert meta
    return app_client, meta.group(1)


def test_cookie_authenticated_writes_need_the_csrf_header(
    browser: tuple[TestClient, str], net: Network, session: Session
) -> None:
    client, token = browser
    body = {"name": "x", "description": ""}
    refused = client.post(f"{STA}/Things", json=body, headers=EN)
    assert refused.status_code == 403
    assert refused.json()["type"] == "error"
    assert session.scalar(select(func.count()).select_from(Thing)) == 0
    created = client.post(f"{STA}/Things", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    url = created.json()["@iot.selfLink"]
    assert client.patch(url, json={"name": "y"}).status_code == 403
    assert client.put(url, json=body).status_code == 403
    assert client.post(f"{STA}/CreateObservations", json=[]).status_code == 403
    assert client.delete(url).status_code == 403
    assert client.delete(url, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"X-CSRF-Token": token}).status_code == 200
    # A client that sends its own credentials needs no CSRF token, cookie or not.
    with_token = client.post(f"{STA}/Things", json=body, headers=net.auth("env_editor"))
    assert with_token.status_code == 201
