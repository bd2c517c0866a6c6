"""Plausible values for the packs' Datastreams, for the demo's history and for ``yiwang
simulate``, which publishes them live over MQTT as SensorThings Observations.

Values come from the ``simulate`` model a pack declares for each property, which a Thing's
``simulate`` property may adjust (``factor`` scales every level of the Thing; a table named
after a property replaces that model's settings):

- ``level`` (the default): ``mean`` × the Thing property named by ``scale`` × the ``monthly``
  factor × the ``daily`` profile (knots ``[hour, factor]`` joined by straight lines; on
  weekends and public holidays ``daily_holiday`` if given) × ``holiday`` on such days, with a
  relative Gaussian ``noise``, kept within ``min`` and ``max`` and rounded to ``digits``;
- ``counter``: a cumulative count since the last ``reset`` (``daily`` at midnight,
  ``monthly`` or ``yearly``): the integral of the same kind of rate, with a day-to-day
  ``noise``; or, with ``follows``, another counter of the Thing ``lag_hours`` earlier (exit
  gates follow entry gates).

Counters are a function of time alone, so the live stream continues the demo's history."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core.db import utcnow
from yiwang.sensing import packs
from yiwang.sensing.models import Datastream, Thing
from yiwang.sensing.parsing import COUNT, MEASUREMENT

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_STEP_MINUTES = 10  # resolution of counters' integrals
_STEPS_PER_DAY = 24 * 60 // _STEP_MINUTES


@functools.lru_cache(maxsize=2048)
def is_holiday(day: dt.date) -> bool:
    """Weekends and public holidays (make-up workdays are workdays), per the State Council's
    schedule where the ``chinese_calendar`` package knows the year, else weekends only."""
    try:
        import chinese_calendar  # noqa: PLC0415

        return bool(chinese_calendar.is_holiday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() >= 5


def _profile(knots: Sequence[Sequence[float]], hour: float) -> float:
    """The daily profile at ``hour`` (0-24), joining the knots by straight lines and wrapping
    around midnight."""
    if not knots:
        return 1.0
    points = sorted((float(h) % 24, float(v)) for h, v in knots)
    if len(points) == 1:
        return points[0][1]
    extended = [(points[-1][0] - 24, points[-1][1]), *points, (points[0][0] + 24, points[0][1])]
    for (h0, v0), (h1, v1) in itertools.pairwise(extended):
        if h0 <= hour <= h1:
            return v0 if h1 == h0 else v0 + (v1 - v0) * (hour - h0) / (h1 - h0)
    return points[-1][1]


@dataclass(frozen=True)
class Model:
    """How one stream of one Thing is simulated (see the module's documentation)."""

    key: str
    code: str  # the Thing's code: seeds its day-to-day variation
    kind: str = "level"
    mean: float = 1.0
    scale: float = 1.0
    daily: tuple[tuple[float, float], ...] = ()
    daily_holiday: tuple[tuple[float, float], ...] | None = None
    monthly: tuple[float, ...] | None = None
    holiday: float = 1.0
    noise: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    digits: int | None = None
    reset: str = "daily"
    follows: Model | None = None
    lag_hours: float = 0.0
    integer: bool = False

    def factor(self, local: dt.datetime) -> float:
        """The deterministic rate or level factor at a local time (without noise)."""
        holiday = is_holiday(local.date())
        knots = self.daily_holiday if holiday and self.daily_holiday is not None else self.daily
        hour = local.hour + local.minute / 60 + local.second / 3600
        value = _profile(knots, hour)
        if self.monthly:
            value *= self.monthly[local.month - 1]
        if holiday:
            value *= self.holiday
        return value

    def _finish(self, value: float) -> float:
        if self.minimum is not None:
            value = max(self.minimum, value)
        if self.maximum is not None:
            value = min(self.maximum, value)
        if self.integer:
            return float(round(value))
        return round(value, self.digits) if self.digits is not None else value

    def value(self, when: dt.datetime, rng: random.Random | None = None) -> float:
        """The simulated value at ``when``; ``rng`` draws the noise of levels (without one,
        there is none)."""
        local = when.astimezone(BEIJING)
        if self.kind == "counter":
            return self._finish(self._counter(local))
        value = self.mean * self.scale * self.factor(local)
        if rng is not None and self.noise:
            value *= max(0.05, 1 + rng.gauss(0, self.noise))
        return self._finish(value)

    def _period_start(self, local: dt.datetime) -> dt.datetime:
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.reset == "daily":
            return midnight
        if self.reset == "monthly":
            return midnight.replace(day=1)
        return midnight.replace(month=1, day=1)

    def _counter(self, local: dt.datetime) -> float:
        if self.follows is not None:
            start = self.follows._period_start(local)
            earlier = local - dt.timedelta(hours=self.lag_hours)
            if earlier <= start:
                return 0.0
            return self.follows._counter(earlier)
        start = self._period_start(local)
        total = 0.0
        day = start
        while day + dt.timedelta(days=1) <= local:
            total += self._day_total(day.date())
            day += dt.timedelta(days=1)
        minutes = (local - day).total_seconds() / 60
        return total + self._day_part(day.date(), minutes)

    def _day_variation(self, day: dt.date) -> float:
        if not self.noise:
            return 1.0
        rng = random.Random(f"{self.code}:{self.key}:{day.isoformat()}")  # noqa: S311
        return max(0.1, 1 + rng.gauss(0, self.noise))

    def _rates(self, day: dt.date) -> list[float]:
        """The rate (per hour) in each step of the day."""
        holiday = is_holiday(day)
        knots = self.daily_holiday if holiday and self.daily_holiday is not None else self.daily
        scale = self.mean * self.scale * self._day_variation(day)
        if self.monthly:
            scale *= self.monthly[day.month - 1]
        if holiday:
            scale *= self.holiday
        return [scale * v for v in _day_profile(knots)]

    def _day_total(self, day: dt.date) -> float:
        return _cached_total(self, day)

    def _day_part(self, day: dt.date, minutes: float) -> float:
        rates = _cached_rates(self, day)
        whole = int(minutes // _STEP_MINUTES)
        done = sum(rates[:whole]) * _STEP_MINUTES / 60
        if whole < len(rates):
            done += rates[whole] * (minutes - whole * _STEP_MINUTES) / 60
        return done


@functools.lru_cache(maxsize=256)
def _day_profile(knots: tuple[tuple[float, float], ...]) -> tuple[float, ...]:
    """The daily profile at the middle of each step of a day."""
    return tuple(_profile(knots, (i + 0.5) * _STEP_MINUTES / 60) for i in range(_STEPS_PER_DAY))


@functools.lru_cache(maxsize=4096)
def _cached_rates(model: Model, day: dt.date) -> list[float]:
    return model._rates(day)


@functools.lru_cache(maxsize=4096)
def _cached_total(model: Model, day: dt.date) -> float:
    return sum(_cached_rates(model, day)) * _STEP_MINUTES / 60


def _knots(value: Any) -> tuple[tuple[float, float], ...]:
    return tuple((float(h), float(v)) for h, v in value or ())


def model_for(pack: packs.Pack, key: str, thing_properties: Mapping[str, Any]) -> Model | None:
    """The model of the property ``key`` for a Thing with these properties, or None if the
    pack declares none."""
    spec = pack.properties[key]
    if not spec.simulate:
        return None
    own = dict(thing_properties.get("simulate") or {})
    settings = {**spec.simulate, **dict(own.get(key) or {})}
    code = str(thing_properties.get("code", ""))
    follows = None
    if settings.get("follows"):
        follows = model_for(pack, str(settings["follows"]), thing_properties)
    scale = 1.0
    if settings.get("scale"):
        scale = float(thing_properties.get(str(settings["scale"]), 1.0))
    kind = str(settings.get("model", "level"))
    factor = float(own.get("factor", 1.0)) if kind == "level" else 1.0
    monthly = settings.get("monthly")
    return Model(
        key=key,
        code=code,
        kind=kind,
        mean=float(settings.get("mean", 1.0)) * factor,
        scale=scale,
        daily=_knots(settings.get("daily")),
        daily_holiday=_knots(settings["daily_holiday"]) if "daily_holiday" in settings else None,
        monthly=tuple(float(v) for v in monthly) if monthly else None,
        holiday=float(settings.get("holiday", 1.0)),
        noise=float(settings.get("noise", 0.0)),
        minimum=settings.get("min"),
        maximum=settings.get("max"),
        digits=settings.get("digits"),
        reset=str(settings.get("reset", "daily")),
        follows=follows,
        lag_hours=float(settings.get("lag_hours", 0.0)),
        integer=spec.observation_type == COUNT,
    )


# --- the streams to simulate -----------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedStream:
    """A measured (not computed) Datastream of a pack's Thing, with its model."""

    stream_id: int
    thing_id: int
    division_code: str | None
    pack: str
    model: Model
    observation_type: str


def simulated_streams(
    session: Session, *, cities: Iterable[str] | None = None
) -> list[SimulatedStream]:
    """The measured Datastreams of every pack's Things (in the given cities, by GB/T 2260
    code of the city or of a county in it) that have a model, ordered by Thing."""
    kinds = packs.kinds_by_full_name()
    prefixes = tuple(c[:4] for c in cities) if cities else None
    things = {
        row.id: row
        for row in session.execute(
            select(Thing.id, Thing.pack, Thing.division_code, Thing.properties).where(
                Thing.pack.in_(list(kinds))
            )
        )
        if prefixes is None or (row.division_code or "").startswith(prefixes)
    }
    streams = packs.streams_of_things(session, list(things))
    types = dict(
        session.execute(
            select(Datastream.id, Datastream.observation_type).where(
                Datastream.thing_id.in_(list(things))
            )
        ).all()
    )
    result = []
    for thing_id in sorted(streams):
        thing = things[thing_id]
        kind = kinds[thing.pack]
        pack = packs.get_pack(kind.pack)
        for key in kind.streams:
            stream_id = streams[thing_id].get(key)
            model = model_for(pack, key, thing.properties or {})
            if stream_id is None or model is None:
                continue
            result.append(
                SimulatedStream(
                    stream_id=stream_id,
                    thing_id=thing_id,
                    division_code=thing.division_code,
                    pack=kind.pack,
                    model=model,
                    observation_type=types.get(stream_id, MEASUREMENT),
                )
            )
    return result


def result_value(stream: SimulatedStream, value: float) -> float | int:
    return int(value) if stream.observation_type == COUNT else value


# --- publishing over MQTT --------------------------------------------------------------------


@dataclass
class Summary:
    """What a simulation published."""

    published: int = 0
    acknowledged: int = 0
    seconds: float = 0.0
    by_pack: dict[str, int] = field(default_factory=dict)
    streams: int = 0
    things: int = 0

    @property
    def rate(self) -> float:
        return self.published / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        packs_text = ", ".join(f"{k} {v}" for k, v in sorted(self.by_pack.items()))
        return [
            f"published {self.published} observations ({self.acknowledged} acknowledged) "
            f"in {self.seconds:.1f} s: {self.rate:.1f}/s",
            f"{self.streams} datastreams of {self.things} things; by pack: {packs_text}",
        ]


def topic_for(stream_id: int) -> str:
    return f"v1.1/Datastreams({stream_id})/Observations"


def observation_payload(stream: SimulatedStream, when: dt.datetime, value: float) -> bytes:
    """A SensorThings Observation as JSON, its phenomenonTime in Beijing time."""
    body = {
        "phenomenonTime": when.astimezone(BEIJING).isoformat(timespec="milliseconds"),
        "result": result_value(stream, value),
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _connect(url: str, client_id: str) -> Any:
    import paho.mqtt.client as mqtt  # noqa: PLC0415
    from paho.mqtt.enums import CallbackAPIVersion  # noqa: PLC0415

    parts = urlsplit(url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    if parts.username:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if parts.scheme in ("mqtts", "ssl"):
        client.tls_set()
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    default_port = 8883 if parts.scheme in ("mqtts", "ssl") else 1883
    client.connect(parts.hostname or "127.0.0.1", parts.port or default_port, keepalive=30)
    return client


def simulate(
    streams: Sequence[SimulatedStream],
    *,
    url: str,
    rate: float,
    duration: float | None = None,
    stop: threading.Event | None = None,
    client_id: str | None = None,
    max_unacknowledged: int = 1000,
    clock: Callable[[], dt.datetime] | None = None,
) -> Summary:
    """Publish observations of ``streams`` at ``rate`` per second (QoS 1) to the broker at
    ``url`` until ``duration`` seconds have passed or ``stop`` is set. Each round visits every
    Thing and publishes all its streams with the same phenomenonTime (now). At most
    ``max_unacknowledged`` publishes wait for the broker's acknowledgement at a time."""
    summary = Summary(streams=len(streams), things=len({s.thing_id for s in streams}))
    if not streams or rate <= 0:
        return summary
    clock = clock or (lambda: utcnow().astimezone(BEIJING))
    stop = stop or threading.Event()
    client = _connect(url, client_id or f"yiwang-simulate-{uuid.uuid4().hex[:8]}")
    client.loop_start()
    rng = random.Random()  # noqa: S311  (noise, not secrets)
    pending: list[Any] = []
    groups: dict[int, list[SimulatedStream]] = {}
    for stream in streams:
        groups.setdefault(stream.thing_id, []).append(stream)
    started = time.monotonic()
    try:
        while not stop.is_set():
            for group in groups.values():
                when = clock()
                for stream in group:
                    elapsed = time.monotonic() - started
                    if (duration is not None and elapsed >= duration) or stop.is_set():
                        return summary
                    ahead = summary.published / rate - elapsed
                    if ahead > 0:
                        stop.wait(ahead)
                    value = stream.model.value(when, rng)
                    info = client.publish(
                        topic_for(stream.stream_id), observation_payload(stream, when, value), qos=1
                    )
                    pending.append(info)
                    summary.published += 1
                    summary.by_pack[stream.pack] = summary.by_pack.get(stream.pack, 0) + 1
                    if len(pending) >= max_unacknowledged:
                        pending[0].wait_for_publish(timeout=30)
                        pending = [p for p in pending if not p.is_published()]
    finally:
        deadline = time.monotonic() + 10
        for info in pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            info.wait_for_publish(timeout=remaining)
        summary.seconds = time.monotonic() - started
        summary.acknowledged = summary.published - sum(1 for p in pending if not p.is_published())
        client.disconnect()
        client.loop_stop()
    return summary


__all__ = [
    "BEIJING",
    "Model",
    "SimulatedStream",
    "Summary",
    "is_holiday",
    "model_for",
    "observation_payload",
    "result_value",
    "simulate",
    "simulated_streams",
    "topic_for",
]
