"""Latest values and aggregates through the native API, as a dashboard reads them."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import make_token, make_user
from tests.functional.sensing.stations import T0, Station
from yiwang.core.audit.models import AuditEntry
from yiwang.core.policy import Role
from yiwang.sensing import service
from yiwang.sensing.models import Datastream
from yiwang.sensing.parsing import NewObservation


def _fill(session: Session, station: Station, values: dict[int, float]) -> None:
    service.create_observations(
        session,
        actor=station.editor,
        observations=[
            NewObservation(
                stream_id=station.pm25.id,
                phenomenon_time=T0 + dt.timedelta(minutes=minutes),
                result=value,
            )
            for minutes, value in values.items()
        ],
    )
    session.commit()


def test_hourly_aggregates_of_a_stream(
    app_client: TestClient, session: Session, station: Station
) -> None:
    # T0 is 02:00 UTC (10:00 in Hangzhou): two readings in the first hour, three in the next.
    _fill(session, station, {0: 10.0, 30: 20.0, 60: 5.0, 90: 7.0, 119: 9.0, 180: 1.0})
    response = app_client.get(
        f"/api/v1/sensing/datastreams/{station.pm25.id}/aggregates",
        params={"start": "2026-11-29T10:00:00+08:00", "end": "2026-11-29T12:00:00+08:00"},
    )
    assert response.status_code == 200, response.text
    buckets = response.json()["buckets"]
    assert [b["start"] for b in buckets] == ["2026-11-29T02:00:00.000Z", "2026-11-29T03:00:00.000Z"]
    assert [b["count"] for b in buckets] == [2, 3]
    assert buckets[0]["avg"] == 15.0
    assert (buckets[1]["min"], buckets[1]["max"]) == (5.0, 9.0)


def test_daily_aggregates_follow_china_standard_time(
    app_client: TestClient, session: Session, station: Station
) -> None:
    # 15:30 UTC on the 29th is 23:30 in Hangzhou; 16:30 UTC is already the 30th there.
    _fill(session, station, {13 * 60 + 30: 4.0, 14 * 60 + 30: 8.0})
    response = app_client.get(
        f"/api/v1/sensing/datastreams/{station.pm25.id}/aggregates",
        params={
            "start": "2026-11-29T00:00:00+08:00",
            "end": "2026-12-01T00:00:00+08:00",
            "interval": "day",
        },
    )
    buckets = response.json()["buckets"]
    assert [(b["start"], b["count"], b["avg"]) for b in buckets] == [
        ("2026-11-28T16:00:00.000Z", 1, 4.0),
        ("2026-11-29T16:00:00.000Z", 1, 8.0),
    ]


def test_aggregates_refuse_bad_ranges_in_the_callers_language(
    app_client: TestClient, station: Station
) -> None:
    url = f"/api/v1/sensing/datastreams/{station.pm25.id}/aggregates"
    reversed_range = app_client.get(
        url, params={"start": "2026-11-29T12:00:00Z", "end": "2026-11-29T10:00:00Z"}
    )
    assert reversed_range.status_code == 422
    assert "结束时间须晚于开始时间" in reversed_range.json()["error"]["message"]
    no_zone = app_client.get(
        url,
        params={"start": "2026-11-29T10:00:00", "end": "2026-11-29T12:00:00Z"},
        headers={"Accept-Language": "en"},
    )
    assert no_zone.status_code == 422
    assert "time zone" in no_zone.json()["error"]["message"]
    missing = app_client.get(
        "/api/v1/sensing/datastreams/999999/aggregates",
        params={"start": "2026-11-29T10:00:00Z", "end": "2026-11-29T12:00:00Z"},
    )
    assert missing.status_code == 404


def test_latest_values_come_from_the_stream_rows(
    app_client: TestClient, session: Session, station: Station
) -> None:
    _fill(session, station, {0: 10.0, 60: 42.5})
    response = app_client.get(
        "/api/v1/sensing/latest", params={"datastream": f"{station.pm25.id},{station.count.id}"}
    )
    items = {i["datastream_id"]: i for i in response.json()["items"]}
    assert items[station.pm25.id]["result"] == 42.5
    assert items[station.pm25.id]["phenomenon_time"] == "2026-11-29T03:00:00.000Z"
    assert items[station.pm25.id]["thing"] == "西湖监测站"
    assert items[station.count.id]["result"] is None


def test_closed_streams_are_hidden_from_the_public_and_shown_to_staff(
    app_client: TestClient, session: Session, station: Station
) -> None:
    _fill(session, station, {0: 10.0})
    stream = session.get(Datastream, station.pm25.id)
    assert stream is not None
    stream.is_open = False
    session.commit()
    public = app_client.get("/api/v1/sensing/latest", params={"datastream": str(stream.id)})
    assert public.json()["items"] == []
    url = f"/api/v1/sensing/datastreams/{stream.id}/aggregates"
    params = {"start": "2026-11-29T00:00:00Z", "end": "2026-11-30T00:00:00Z"}
    assert app_client.get(url, params=params).status_code == 403
    member = make_user(session, role=Role.MEMBER, department=station.department, username="m1")
    token = make_token(session, member)
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    staff = app_client.get(
        "/api/v1/sensing/latest", params={"datastream": str(stream.id)}, headers=headers
    )
    assert [i["result"] for i in staff.json()["items"]] == [10.0]
    assert app_client.get(url, params=params, headers=headers).status_code == 200
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "datastream"))
    )
    assert {"read_latest", "read_aggregates"} <= actions
