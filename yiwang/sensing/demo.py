"""The sensing engine's demo: every pack installed, its demo Things placed across Zhejiang's
11 cities, 48 hours of hourly history for their measured streams (the computed indices follow
from them as they would live), and the packs' open datasets published."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from yiwang.core.db import utcnow
from yiwang.core.policy import SYSTEM
from yiwang.sensing import opendata, packs, simulate
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

HOURS = 48


def history(
    session: Session,
    *,
    pack: packs.Pack,
    things: list[packs.DemoThing] | None = None,
    hours: int = HOURS,
    end: dt.datetime | None = None,
) -> int:
    """Store ``hours`` hourly observations, up to the hour before ``end`` (by default the
    current hour), for the measured streams of the pack's demo Things; return how many were
    stored. The values are the same on every run (noise drawn from a generator seeded per
    stream)."""
    end = (end or utcnow()).astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    times = [end - dt.timedelta(hours=h) for h in range(hours, 0, -1)]
    wanted = {t.code for t in (things if things is not None else pack.demo_things)}
    streams = [
        s
        for s in simulate.simulated_streams(session)
        if s.pack == pack.name and s.model.code in wanted
    ]
    batch: list[NewObservation] = []
    for stream in streams:
        rng = random.Random(f"yiwang-demo:{stream.model.code}:{stream.model.key}")  # noqa: S311
        batch += [
            NewObservation(
                stream_id=stream.stream_id,
                phenomenon_time=when,
                result=simulate.result_value(stream, stream.model.value(when, rng)),
            )
            for when in times
        ]
    outcomes = create_observations(session, actor=SYSTEM, observations=batch, duplicates="skip")
    return sum(1 for o in outcomes if o.id is not None)


def load(session: Session) -> None:
    """Install every pack with its demo Things and their history, publish the open datasets
    and queue the hourly refresh. The core demo's departments must exist."""
    for pack in packs.discover().values():
        packs.install_pack(session, actor=SYSTEM, name=pack.name)
        packs.install_things(session, actor=SYSTEM, pack=pack, things=list(pack.demo_things))
        history(session, pack=pack)
    opendata.publish(session, actor=SYSTEM, full=True)
    opendata.schedule(session)


__all__ = ["HOURS", "history", "load"]
