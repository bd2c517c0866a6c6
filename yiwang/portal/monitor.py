"""What the monitoring page shows: the panels the installed domain packs declare
(``[[dashboard.panels]]``, read by :mod:`yiwang.portal.dashboard`) drawn from the sensing
engine's latest values, and the open alerts, as the anonymous public sees them.

Nothing here names a sector: a panel says which kind of thing and which property it shows and
the bands (a standard's categories, with their labels and colours) its values fall in."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import geo
from yiwang.core.codes import division_name
from yiwang.core.errors import InvalidInput
from yiwang.core.geo import cities
from yiwang.core.policy import ANONYMOUS
from yiwang.portal.dashboard import BARS, MAP, Band, Panel, installed_panels
from yiwang.sensing import public as sensing
from yiwang.sensing.public import LatestValue

log = logging.getLogger(__name__)

ALERTS_SHOWN = 20


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _format(value: float, digits: int | None) -> str:
    return f"{value:.{digits}f}" if digits is not None else f"{value:g}"


def _bound(value: float) -> str:
    return f"{value:g}"


# --- panels --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A line of a panel: a thing (a city on a map) with its latest value and band."""

    name: str
    value: float | None  # rounded to the panel's digits
    text: str  # the value as shown ("—" for none)
    band: Band | None
    level: int | None  # the band's index
    thing: str | None = None  # on a map: the thing holding the city's value


@dataclass(frozen=True, slots=True)
class PanelView:
    """A panel as drawn: its declaration, an id unique on the page, the unit of its values
    and its rows."""

    id: str
    panel: Panel
    unit: str
    rows: list[Row] = field(default_factory=list)

    def value_with_unit(self, row: Row) -> str:
        return f"{row.text}{self.unit}"

    def map_data(self, *, zh: bool) -> dict[str, Any]:
        """What the map script needs: per city its name (as in the map data), value and band,
        the legend's pieces (the bands with their colours) and the value's name."""
        pieces = []
        previous: float | None = None
        for band in self.panel.bands:
            low = band.min if band.min is not None else previous
            piece: dict[str, Any] = {"color": band.colour}
            if low is not None:
                piece["min"] = low
            if band.max is not None:
                piece["max"] = band.max
            span = (
                f"{_bound(low)}–{_bound(band.max)}"
                if low is not None and band.max is not None
                else (f"≤{_bound(band.max)}" if band.max is not None else f"≥{_bound(low or 0)}")
            )
            piece["label"] = f"{band.text(zh)} {span}"
            pieces.append(piece)
            previous = band.max
        return {
            "name": self.panel.column("value", zh),
            "cities": [
                {
                    "name": row.name,
                    "value": row.value,
                    "station": row.thing,
                    "category": row.band.text(zh) if row.band else None,
                }
                for row in self.rows
            ],
            "pieces": pieces,
        }


@dataclass(frozen=True, slots=True)
class _Source:
    kind: str  # the value of Thing.pack
    definition: str  # the property's
    band_definition: str | None
    unit: str


def _source(panel: Panel) -> _Source | None:
    """Where a panel's values are: its kind of thing and properties in the pack's sensing
    declaration (None, and logged, when the pack no longer declares them)."""
    try:
        pack = sensing.get_pack(panel.pack)
    except InvalidInput:
        pack = None
    kind = pack.kinds.get(panel.thing_kind) if pack else None
    prop = pack.properties.get(panel.property) if pack else None
    band = pack.properties.get(panel.band_property) if pack and panel.band_property else None
    if kind is None or prop is None or (panel.band_property and band is None):
        log.warning(
            "a dashboard panel names what its pack does not declare",
            extra={"pack": panel.pack, "panel": panel.key},
        )
        return None
    return _Source(
        kind=kind.full_name,
        definition=prop.definition,
        band_definition=band.definition if band else None,
        unit=str((prop.unit or {}).get("symbol") or ""),
    )


def _latest(session: Session, kind: str, definition: str) -> list[LatestValue]:
    return sensing.latest(session, actor=ANONYMOUS, pack=kind, observed_property=definition)


def _rounded(value: float, digits: int | None) -> float:
    if digits is None:
        return value
    return round(value) if digits == 0 else round(value, digits)


def _band(
    panel: Panel, value: float, levels: dict[int, float | None] | None, thing: int
) -> int | None:
    if levels is None:
        return panel.band_of(value)
    level = levels.get(thing)
    return panel.band_of(level) if level is not None else (0 if panel.bands else None)


def _row(
    panel: Panel, name: str, raw: float | None, level: int | None, thing: str | None = None
) -> Row:
    value = _rounded(raw, panel.digits) if raw is not None else None
    return Row(
        name=name,
        value=value,
        text=_format(value, panel.digits) if value is not None else "—",
        band=panel.bands[level] if level is not None else None,
        level=level,
        thing=thing,
    )


def _map_rows(
    panel: Panel, values: Sequence[LatestValue], levels: dict[int, float | None] | None
) -> list[Row]:
    """Each of the province's cities with the highest latest value of its things."""
    highest: dict[str, tuple[float, LatestValue]] = {}
    for latest in values:
        number = _number(latest.result)
        city = geo.city_code_of(latest.division_code)
        if number is None or city is None:
            continue
        if city not in highest or number > highest[city][0]:
            highest[city] = (number, latest)
    rows = []
    for seat in cities():
        found = highest.get(seat.code)
        name = division_name(seat.code) or seat.name
        if found is None:
            rows.append(_row(panel, name, None, None))
            continue
        number, latest = found
        level = _band(panel, number, levels, latest.thing_id)
        rows.append(_row(panel, name, number, level, latest.thing_name))
    return rows


def _ranked_rows(
    panel: Panel, values: Sequence[LatestValue], levels: dict[int, float | None] | None
) -> list[Row]:
    """The things with a value, the highest value (or the worst band) first. Bands and order
    go by the value as measured, not as rounded for showing."""
    ranked: list[tuple[float, Row]] = []
    for latest in values:
        number = _number(latest.result)
        if number is None:
            continue
        level = _band(panel, number, levels, latest.thing_id)
        ranked.append((number, _row(panel, latest.thing_name, number, level)))
    if panel.sort == "band":
        return sorted((row for _, row in ranked), key=lambda r: (-(r.level or 0), r.name))
    return [row for _, row in sorted(ranked, key=lambda pair: pair[0], reverse=True)]


def panel_view(session: Session, panel: Panel, *, element_id: str) -> PanelView | None:
    """A panel with its rows read now; None when its pack no longer declares what it shows."""
    source = _source(panel)
    if source is None:
        return None
    values = _latest(session, source.kind, source.definition)
    levels = None
    if source.band_definition is not None:
        levels = {
            v.thing_id: _number(v.result)
            for v in _latest(session, source.kind, source.band_definition)
        }
    rows = (_map_rows if panel.kind == MAP else _ranked_rows)(panel, values, levels)
    return PanelView(
        id=element_id, panel=panel, unit=source.unit if panel.kind == BARS else "", rows=rows
    )


def panels(session: Session) -> list[PanelView]:
    """The panels of the installed packs, in their order, each with an id unique on the page
    (its key; prefixed by its pack where two packs use the same key)."""
    views = []
    used: set[str] = set()
    for panel in installed_panels(session):
        id_ = panel.key if panel.key not in used else f"{panel.pack}-{panel.key}"
        used.add(id_)
        view = panel_view(session, panel, element_id=id_)
        if view is not None:
            views.append(view)
    return views


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
    pack: str | None = None  # the kind of thing it was raised on
    unit: Any = None  # the stream's unit of measurement

    def value_text(self, *, zh: bool) -> str:
        """The alert's value as people read it: what it means, as the pack that declares the
        rule words it (``排放浓度为许可限值的 1.11 倍``), else the value with its unit."""
        return sensing.alert_value_text(
            self.value, pack=self.pack, rule_name=self.rule_name, unit=self.unit, zh=zh
        )


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
                pack=alert.pack,
                unit=stream.unit if stream else None,
            )
        )
    return rows, total


@dataclass(frozen=True, slots=True)
class Dashboard:
    panels: list[PanelView]
    alerts: list[OpenAlert]
    alert_total: int

    @property
    def maps(self) -> list[PanelView]:
        return [view for view in self.panels if view.panel.kind == MAP]


def dashboard(session: Session) -> Dashboard:
    """Everything the dashboard shows, read in one request."""
    alerts, total = open_alerts(session)
    return Dashboard(panels=panels(session), alerts=alerts, alert_total=total)
