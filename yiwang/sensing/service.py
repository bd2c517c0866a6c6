"""Storing observations: the one way in for every source (SensorThings over HTTP, MQTT, the
computed indices of the domain packs, the simulator).

``create_observations`` checks a batch (stream, permission, result type, feature of interest,
duplicates), stores it in bulk (SQLite: one ``executemany`` under the write lock; PostgreSQL:
``COPY`` into a temporary table, then one ``INSERT ... ON CONFLICT DO NOTHING``), keeps each
stream's latest value and time ranges on the stream row, runs the ingest hooks (alert rules)
inside the same transaction and hands the stored observations to the committed listeners (MQTT
subscribers, live pages) after the commit.

An observation as it comes (:class:`yiwang.sensing.parsing.NewObservation`) and the
observation types are :mod:`yiwang.sensing.parsing`'s; the writing itself (bulk inserts,
partitions, stream summaries) is :mod:`yiwang.sensing.storage`'s."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import policy
from yiwang.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import Actor
from yiwang.sensing import (
    messages,  # noqa: F401  (registers the messages)
    storage,
)
from yiwang.sensing.models import MULTI, FeatureOfInterest
from yiwang.sensing.parsing import CATEGORY, COUNT, MEASUREMENT, TRUTH, NewObservation
from yiwang.sensing.storage import Row, Stream
from yiwang.sensing.times import format_instant

log = logging.getLogger(__name__)

Duplicates = Literal["error", "report", "skip"]


@dataclass(frozen=True, slots=True)
class ObservationOutcome:
    """What became of one observation: stored (``id``), a duplicate skipped, or refused."""

    id: int | None = None
    error: AppError | None = None
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class StoredObservation:
    """An observation as stored, with what rules and listeners need of its stream."""

    id: int
    stream_id: int
    phenomenon_time: dt.datetime
    result: Any
    result_number: float | None
    thing_id: int
    department_id: int | None
    is_open: bool
    observed_property_id: int | None
    phenomenon_time_end: dt.datetime | None = None
    result_time: dt.datetime | None = None
    feature_id: int | None = None
    result_quality: Any = None
    valid_time_start: dt.datetime | None = None
    valid_time_end: dt.datetime | None = None
    parameters: dict[str, Any] | None = None


IngestHook = Callable[[Session, Sequence[StoredObservation]], None]
CommittedListener = Callable[[Sequence[StoredObservation]], None]
_ingest_hooks: list[IngestHook] = []
_committed_listeners: list[CommittedListener] = []
_PENDING_KEY = "yiwang.sensing.committed"


def register_ingest_hook(hook: IngestHook) -> None:
    """Call ``hook(session, stored)`` inside every transaction that stores observations."""
    if hook not in _ingest_hooks:
        _ingest_hooks.append(hook)


def register_committed_listener(listener: CommittedListener) -> None:
    """Call ``listener(stored)`` in this process after such a transaction commits."""
    if listener not in _committed_listeners:
        _committed_listeners.append(listener)


def unregister(callback: IngestHook | CommittedListener) -> None:
    _ingest_hooks[:] = [h for h in _ingest_hooks if h is not callback]
    _committed_listeners[:] = [c for c in _committed_listeners if c is not callback]


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    pending: list[StoredObservation] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    for listener in _committed_listeners:
        try:
            listener(pending)
        except Exception:
            log.exception("observation listener failed")


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # A rolled-back savepoint or transaction stored nothing; tell no one.
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


# --- results -------------------------------------------------------------------------------------

_EXPECTED = {
    MEASUREMENT: ("数值", "a number"),
    COUNT: ("整数", "an integer"),
    TRUTH: ("布尔值", "true or false"),
    CATEGORY: ("文本或 URI", "a text or URI"),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_component(value: Any, observation_type: str) -> bool:
    if observation_type == MEASUREMENT:
        return _is_number(value) and math.isfinite(value)
    if observation_type == COUNT:
        return _is_number(value) and float(value).is_integer()
    if observation_type == TRUTH:
        return isinstance(value, bool)
    if observation_type == CATEGORY:
        return isinstance(value, str)
    return True


def _result_columns(stream: Stream, result: Any) -> tuple[float | None, Any]:
    """Split a result into (result_number, result_json), or raise if it does not fit the
    stream's observation type."""
    if stream.kind == MULTI:
        types = stream.component_types or []
        if not isinstance(result, list) or len(result) != len(types):
            raise InvalidInput(
                "sensing.result_components",
                stream=stream.id,
                expected=len(types),
                count=len(result) if isinstance(result, list) else 1,
            )
        for value, kind in zip(result, types, strict=True):
            if not _check_component(value, kind):
                raise _type_error(stream, kind, value)
        return None, result
    kind = stream.observation_type
    if not _check_component(result, kind):
        raise _type_error(stream, kind, result)
    if _is_number(result):
        return float(result), None
    return None, result


def _type_error(stream: Stream, kind: str, value: Any) -> InvalidInput:
    zh, en = _EXPECTED.get(kind, ("合适的值", "a suitable value"))
    return InvalidInput(
        "sensing.result_type",
        stream=stream.id,
        type=kind.rsplit("/", 1)[-1],
        value=json.dumps(value, ensure_ascii=False)[:80],
        expected_zh=zh,
        expected_en=en,
    )


# --- the batch -----------------------------------------------------------------------------------


def create_observations(
    session: Session,
    *,
    actor: Actor,
    observations: Sequence[NewObservation],
    duplicates: Duplicates = "error",
) -> list[ObservationOutcome]:
    """Store ``observations`` and return one outcome per item, in order.

    ``duplicates="error"`` raises on the first refused item (the caller's transaction then
    stores nothing); ``"report"`` stores the acceptable items and reports the others as
    errors; ``"skip"`` is ``"report"`` with duplicates (the same stream and phenomenon time)
    counted as already stored, which makes a redelivered message harmless."""
    raise_first = duplicates == "error"
    outcomes: list[ObservationOutcome | None] = [None] * len(observations)
    if observations and session.get_bind().dialect.name == "postgresql":
        # First, before this transaction locks anything a new partition would wait for.
        storage.ensure_partitions(session, observations)

    def refuse(index: int, error: AppError) -> None:
        if raise_first:
            raise error
        outcomes[index] = ObservationOutcome(error=error)

    streams = storage.load_streams(session, {o.stream_id for o in observations})
    allowed: dict[int | None, bool] = {}
    rows: list[Row] = []
    for index, item in enumerate(observations):
        stream = streams.get(item.stream_id)
        if stream is None:
            refuse(index, NotFound("Datastream", item.stream_id))
            continue
        if stream.department_id not in allowed:
            allowed[stream.department_id] = policy.can_edit_sensing(
                actor, department_id=stream.department_id
            )
        if not allowed[stream.department_id]:
            refuse(
                index,
                PermissionDenied(
                    "create_observations", object_type="datastream", object_id=stream.id
                ),
            )
            continue
        try:
            number, value = _result_columns(stream, item.result)
        except InvalidInput as exc:
            refuse(index, exc)
            continue
        rows.append(Row(index, item, number, value, item.feature_id, stream=stream))

    _assign_features(session, rows, refuse)
    rows = [r for r in rows if outcomes[r.index] is None]
    rows = _drop_duplicates_in_batch(rows, refuse, skip=duplicates == "skip", outcomes=outcomes)
    if rows:
        stored_ids = storage.insert(session, rows)
        for row in rows:
            if row.id is not None and row.id in stored_ids:
                outcomes[row.index] = ObservationOutcome(id=row.id)
            elif duplicates == "skip":
                outcomes[row.index] = ObservationOutcome(duplicate=True)
            else:
                refuse(row.index, _duplicate_error(row))
        stored = [r for r in rows if r.id is not None and r.id in stored_ids]
        if stored:
            storage.update_streams(session, stored)
            _announce(session, stored)
    return [o if o is not None else ObservationOutcome(duplicate=True) for o in outcomes]


def _duplicate_error(row: Row) -> Conflict:
    return Conflict(
        "sensing.duplicate_observation",
        stream=row.item.stream_id,
        time=format_instant(row.item.phenomenon_time),
    )


def _assign_features(
    session: Session, rows: list[Row], refuse: Callable[[int, AppError], None]
) -> None:
    given = {r.feature_id for r in rows if r.feature_id is not None}
    if given:
        known = set(
            session.scalars(select(FeatureOfInterest.id).where(FeatureOfInterest.id.in_(given)))
        )
        for row in rows:
            if row.feature_id is not None and row.feature_id not in known:
                refuse(row.index, NotFound("FeatureOfInterest", row.feature_id))
    needing = {r.stream.thing_id for r in rows if r.feature_id is None and r.stream}
    if not needing:
        return
    features = storage.features_from_locations(session, needing)
    for row in rows:
        if row.feature_id is None and row.stream is not None:
            feature = features.get(row.stream.thing_id)
            if feature is None:
                refuse(row.index, InvalidInput("sensing.no_feature", stream=row.stream.id))
            else:
                row.feature_id = feature


def _drop_duplicates_in_batch(
    rows: list[Row],
    refuse: Callable[[int, AppError], None],
    *,
    skip: bool,
    outcomes: list[ObservationOutcome | None],
) -> list[Row]:
    seen: set[tuple[int, dt.datetime]] = set()
    kept: list[Row] = []
    for row in rows:
        key = (row.item.stream_id, row.item.phenomenon_time)
        if key in seen:
            if skip:
                outcomes[row.index] = ObservationOutcome(duplicate=True)
            else:
                refuse(row.index, _duplicate_error(row))
            continue
        seen.add(key)
        kept.append(row)
    return kept


def _announce(session: Session, stored: list[Row]) -> None:
    records = [
        StoredObservation(
            id=row.id,
            stream_id=row.item.stream_id,
            phenomenon_time=row.item.phenomenon_time,
            result=row.item.result,
            result_number=row.number,
            thing_id=row.stream.thing_id,
            department_id=row.stream.department_id,
            is_open=row.stream.is_open,
            observed_property_id=row.stream.observed_property_id,
            phenomenon_time_end=row.item.phenomenon_time_end,
            result_time=row.item.result_time,
            feature_id=row.feature_id,
            result_quality=row.item.result_quality,
            valid_time_start=row.item.valid_time_start,
            valid_time_end=row.item.valid_time_end,
            parameters=row.item.parameters,
        )
        for row in stored
        if row.id is not None and row.stream is not None
    ]
    for hook in _ingest_hooks:
        hook(session, records)
    if _committed_listeners:
        session.info.setdefault(_PENDING_KEY, []).extend(records)


__all__ = [
    # the observation types, here too for the modules that have always found them here
    "CATEGORY",
    "COUNT",
    "MEASUREMENT",
    "TRUTH",
    "ObservationOutcome",
    "StoredObservation",
    "create_observations",
    "register_committed_listener",
    "register_ingest_hook",
    "unregister",
]
