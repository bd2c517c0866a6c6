"""What the monitoring dashboard shows: the worst real-time AQI of each of Zhejiang's 11
cities, scenic-spot saturation, highway congestion, river levels and the open alerts, read
through the sensing engine's latest values and alert list as the anonymous public sees them.

The domain packs' declarations name the streams (by ObservedProperty definition) and their
formulas' tables give the levels and colours, so nothing here repeats a standard's numbers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core.codes import division_name
from yiwang.core.geo import cities
from yiwang.core.policy import ANONYMOUS
from yiwang.packs.environment.formulas import AQI_CATEGORIES, AqiCategory, aqi_category
from yiwang.packs.transport.formulas import CongestionLevel, congestion_level
from yiwang.portal import common
from yiwang.sensing import public as sensing
from yiwang.sensing.public import LatestValue

ALERTS_SHOWN = 20
# Tourism pack: 0 normal, 1 yellow, 2 orange, 3 red (stop ticket sales).
SATURATION_COLOURS = ("#2e7d32", "#b8860b", "#e65100", "#c62828")
RIVER_STATUS = (
    ("正常", "Normal"),
    ("超警戒水位", "Above warning"),
    ("超保证水位", "Above guarantee"),
)


def _definition(pack: str, key: str) -> str:
    return sensing.get_pack(pack).properties[key].definition


def _kind(pack: str, key: str) -> str:
    return sensing.get_pack(pack).kind(key).full_name


def _latest(session: Session, pack: str, kind: str, prop: str) -> list[LatestValue]:
    return sensing.latest(
        session,
        actor=ANONYMOUS,
        pack=_kind(pack, kind),
        observed_property=_definition(pack, prop),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def local_time(value: dt.datetime | None) -> str:
    """A time as people in Zhejiang read it (China Standard Time): month, day and minute."""
    return common.local_time(value, fmt="%m-%d %H:%M")


def city_of_division(code: str | None) -> str | None:
    """The prefecture-level city (GB/T 2260, ``xxxx00``) of a division code."""
    if not code or len(code) != 6 or not code.isdigit() or code[2:4] == "00":
        return None
    return code[:4] + "00"


# --- air -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityAqi:
    code: str
    name: str
    aqi: int | None  # the worst station's AQI
    station: str | None  # that station
    stations: int
    time: dt.datetime | None
    category: AqiCategory | None


def city_aqi(session: Session) -> list[CityAqi]:
    """Each of the 11 cities with the highest latest AQI of its stations (None where no
    station reports)."""
    worst: dict[str, tuple[int, LatestValue]] = {}
    counts: dict[str, int] = {}
    for value in _latest(session, "environment", "air_station", "aqi"):
        number = _number(value.result)
        city = city_of_division(value.division_code)
        if number is None or city is None:
            continue
        counts[city] = counts.get(city, 0) + 1
        aqi = round(number)
        if city not in worst or aqi > worst[city][0]:
            worst[city] = (aqi, value)
    result = []
    for seat in cities():
        found = worst.get(seat.code)
        top = found[0] if found else None
        station = found[1] if found else None
        result.append(
            CityAqi(
                code=seat.code,
                name=division_name(seat.code) or seat.name,
                aqi=top,
                station=station.thing_name if station else None,
                stations=counts.get(seat.code, 0),
                time=station.time if station else None,
                category=aqi_category(min(max(top, 0), 500)) if top is not None else None,
            )
        )
    return result


def map_option_data(rows: Sequence[CityAqi], *, zh: bool) -> dict[str, Any]:
    """What the map script needs: per city its name (as in the map data), AQI and category,
    and the pieces of the legend (the six levels of HJ 633-2012 with their colours)."""
    return {
        "cities": [
            {
                "name": row.name,
                "code": row.code,
                "value": row.aqi,
                "station": row.station,
                "category": (
                    (row.category.label_zh if zh else row.category.label_en)
                    if row.category
                    else None
                ),
            }
            for row in rows
        ],
        "pieces": [
            {
                "min": previous + 1 if previous else 0,
                "max": category.upper,
                "label": (
                    f"{category.label_zh} {previous + 1 if previous else 0}–{category.upper}"
                    if zh
                    else f"{category.label_en} {previous + 1 if previous else 0}–{category.upper}"
                ),
                "color": category.colour_hex,
            }
            for previous, category in zip(
                (0, *(c.upper for c in AQI_CATEGORIES[:-1])), AQI_CATEGORIES, strict=True
            )
        ],
    }


# --- tourism, transport, water -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpotSaturation:
    name: str
    city: str | None
    percent: float
    level: int  # 0 normal .. 3 red
    time: dt.datetime | None

    @property
    def colour(self) -> str:
        return SATURATION_COLOURS[min(max(self.level, 0), 3)]


def scenic_saturation(session: Session) -> list[SpotSaturation]:
    """Scenic spots by their latest saturation, fullest first."""
    levels = {
        v.thing_id: _number(v.result)
        for v in _latest(session, "tourism", "scenic_spot", "saturation_level")
    }
    spots = []
    for value in _latest(session, "tourism", "scenic_spot", "saturation"):
        percent = _number(value.result)
        if percent is None:
            continue
        city = city_of_division(value.division_code)
        spots.append(
            SpotSaturation(
                name=value.thing_name,
                city=division_name(city) if city else None,
                percent=percent,
                level=int(levels.get(value.thing_id) or 0),
                time=value.time,
            )
        )
    return sorted(spots, key=lambda s: s.percent, reverse=True)


@dataclass(frozen=True, slots=True)
class RoadCongestion:
    name: str
    index: float
    level: CongestionLevel
    time: dt.datetime | None


def highway_congestion(session: Session) -> list[RoadCongestion]:
    """Highway sections by their latest congestion index (0-10), most congested first."""
    roads = []
    for value in _latest(session, "transport", "highway_section", "congestion_index"):
        index = _number(value.result)
        if index is None or not 0 <= index <= 10:
            continue
        roads.append(
            RoadCongestion(
                name=value.thing_name, index=index, level=congestion_level(index), time=value.time
            )
        )
    return sorted(roads, key=lambda r: r.index, reverse=True)


@dataclass(frozen=True, slots=True)
class RiverLevel:
    name: str
    level_m: float
    status: int  # 0 normal, 1 above warning, 2 above guarantee
    time: dt.datetime | None

    def status_label(self, zh: bool) -> str:
        return RIVER_STATUS[min(max(self.status, 0), 2)][0 if zh else 1]


def river_levels(session: Session) -> list[RiverLevel]:
    """River sections with their latest level and its status, the worst status first."""
    status = {
        v.thing_id: _number(v.result)
        for v in _latest(session, "water", "river_section", "water_level_status")
    }
    rivers = []
    for value in _latest(session, "water", "river_section", "water_level"):
        level = _number(value.result)
        if level is None:
            continue
        rivers.append(
            RiverLevel(
                name=value.thing_name,
                level_m=level,
                status=int(status.get(value.thing_id) or 0),
                time=value.time,
            )
        )
    return sorted(rivers, key=lambda r: (-r.status, r.name))


# --- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAlert:
    id: int
    rule_name: str
    label: str
    level: int
    thing_name: str
    stream_name: str
    value: float | None
    time: dt.datetime | None


def open_alerts(session: Session, *, limit: int = ALERTS_SHOWN) -> tuple[list[OpenAlert], int]:
    """The newest open alerts on open data, with where they were raised, and how many are
    open in all."""
    alerts, total = sensing.list_alerts(
        session, actor=ANONYMOUS, filters=sensing.AlertFilters(state="open"), limit=limit
    )
    streams = {
        v.datastream_id: v
        for v in sensing.latest(
            session, actor=ANONYMOUS, datastream_ids=[a.datastream_id for a in alerts]
        )
    }
    rows = []
    for alert in alerts:
        stream = streams.get(alert.datastream_id)
        rows.append(
            OpenAlert(
                id=alert.id,
                rule_name=alert.rule_name,
                label=alert.label,
                level=alert.level,
                thing_name=stream.thing_name if stream else "",
                stream_name=stream.name if stream else "",
                value=alert.value,
                time=alert.phenomenon_time or alert.raised_at,
            )
        )
    return rows, total


@dataclass(frozen=True, slots=True)
class Dashboard:
    air: list[CityAqi]
    spots: list[SpotSaturation]
    roads: list[RoadCongestion]
    rivers: list[RiverLevel]
    alerts: list[OpenAlert]
    alert_total: int


def dashboard(session: Session) -> Dashboard:
    """Everything the dashboard shows, read in one request."""
    alerts, total = open_alerts(session)
    return Dashboard(
        air=city_aqi(session),
        spots=scenic_saturation(session),
        roads=highway_congestion(session),
        rivers=river_levels(session),
        alerts=alerts,
        alert_total=total,
    )
