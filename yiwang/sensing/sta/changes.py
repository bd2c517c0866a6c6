"""What a SensorThings write created or changed, for those who tell others of it (the MQTT
notifications): a request's changes are announced to the registered hooks inside its
transaction, once all its writes are done. New Observations are not among them: the
observation service announces those, however they are stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Change:
    """An entity created (``fields`` empty) or updated (``fields``: the properties sent)."""

    entity: str  # the entity type, e.g. "Thing"
    id: int
    created: bool
    fields: tuple[str, ...] = ()


ChangeHook = Callable[[Session, Sequence[Change]], None]
_hooks: list[ChangeHook] = []


def register_change_hook(hook: ChangeHook) -> None:
    """Call ``hook(session, changes)`` inside every transaction that creates or updates
    entities through the SensorThings API."""
    if hook not in _hooks:
        _hooks.append(hook)


def unregister_change_hook(hook: ChangeHook) -> None:
    _hooks[:] = [h for h in _hooks if h is not hook]


def announce(session: Session, changes: Sequence[Change]) -> None:
    """Tell the hooks of ``changes``, each entity once (created, or updated in every field
    named)."""
    if not changes or not _hooks:
        return
    merged: dict[tuple[str, int], Change] = {}
    for change in changes:
        key = (change.entity, change.id)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = change
        elif not earlier.created:
            fields = tuple(dict.fromkeys((*earlier.fields, *change.fields)))
            merged[key] = Change(change.entity, change.id, change.created, fields)
    for hook in _hooks:
        hook(session, list(merged.values()))


__all__ = ["Change", "ChangeHook", "announce", "register_change_hook", "unregister_change_hook"]
