"""Personal data in Things' properties: which property paths of a Thing hold it, and how it is
masked on its way out to a reader who may not read it clear.

The domain packs declare it. A pack's open datasets name the fields they take from its Things'
properties (``thing_fields``, by dotted path) and the kind of personal data a field holds
(``personal = "mobile"``); a field declared public by law (``public_by_law = true`` with its
``legal_basis``) is not masked. The fields of every dataset of a kind apply to every Thing of
that kind (``Thing.pack``); a field masked by one dataset is masked whatever another says.

Values are masked by the catalogue's rules (:mod:`yiwang.catalog.personal`): a mobile keeps
its first three and last four digits, a name its surname. The owning department's staff and
sysadmins read them clear (:func:`yiwang.core.policy.can_read_personal_sensing`), and such a
read is audited by the caller. Writes store what the owner sends, clear."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_

from yiwang.catalog.public import PersonalKind, masker
from yiwang.core.policy import Actor, can_read_personal_sensing
from yiwang.sensing import packs


@dataclass(frozen=True, slots=True)
class PersonalField:
    """A path in a Thing's properties (``("river_chief", "phone")``) and what it holds."""

    path: tuple[str, ...]
    kind: PersonalKind


def declared() -> dict[str, tuple[PersonalField, ...]]:
    """The masked fields of each kind of Thing, by the value of ``Thing.pack``: the fields the
    datasets of that kind declare personal and not public by law."""
    result: dict[str, dict[tuple[str, ...], PersonalField]] = {}
    for pack in packs.discover().values():
        for dataset in pack.datasets:
            for spec in dataset.thing_fields:
                if spec.personal is None or not spec.is_masked():
                    continue
                path = tuple(spec.property.split("."))
                for kind in dataset.kinds:
                    fields = result.setdefault(pack.kind(kind).full_name, {})
                    fields.setdefault(path, PersonalField(path, PersonalKind(spec.personal)))
    return {kind: tuple(fields.values()) for kind, fields in result.items()}


# --- masking ---------------------------------------------------------------------------------


def _step(node: Any, key: str) -> tuple[bool, Any]:
    """Whether ``node`` holds ``key`` (an object's member, or a list's index), and its value."""
    if isinstance(node, Mapping):
        return (key in node, node.get(key))
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return (True, node[int(key)])
    return (False, None)


def _replaced(node: Any, key: str, value: Any) -> Any:
    if isinstance(node, Mapping):
        return {**node, key: value}
    copy = list(node)
    copy[int(key)] = value
    return copy


def _mask_all(value: Any, mask: Callable[[object], str | None]) -> Any:
    """Every value inside ``value`` masked (two phones in a list, a table of phones)."""
    if isinstance(value, Mapping):
        return {key: _mask_all(item, mask) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_all(item, mask) for item in value]
    return mask(value)


def _masked_at(node: Any, path: Sequence[str], mask: Callable[[object], str | None]) -> Any:
    found, value = _step(node, path[0])
    if not found or value is None:
        return node
    inner = _mask_all(value, mask) if len(path) == 1 else _masked_at(value, path[1:], mask)
    return node if inner is value else _replaced(node, path[0], inner)


def mask_properties(properties: Any, fields: Iterable[PersonalField]) -> Any:
    """``properties`` with the value at each field's path masked: a copy where anything is
    masked, ``properties`` itself where nothing is (no such path, a null value)."""
    for spec in fields:
        properties = _masked_at(properties, spec.path, masker(spec.kind))
    return properties


def holds_any(properties: Any, fields: Iterable[PersonalField]) -> bool:
    """Whether ``properties`` has a value at one of the fields' paths."""
    for spec in fields:
        node = properties
        for key in spec.path:
            found, node = _step(node, key)
            if not found:
                break
        else:
            if node is not None:
                return True
    return False


class Reader:
    """How one actor reads Things' properties: from rows with the Thing table's ``id``,
    ``pack``, ``department_id`` and ``properties``."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.fields = declared()

    def _fields(self, row: Mapping[str, Any]) -> tuple[PersonalField, ...]:
        return self.fields.get(row["pack"] or "", ())

    def _clear(self, row: Mapping[str, Any]) -> bool:
        return can_read_personal_sensing(self.actor, department_id=row["department_id"])

    def properties(self, row: Mapping[str, Any]) -> Any:
        """The Thing's properties as the actor reads them."""
        fields = self._fields(row)
        if not fields or self._clear(row):
            return row["properties"]
        return mask_properties(row["properties"], fields)

    def shown_clear(self, rows: Iterable[Mapping[str, Any]]) -> list[int]:
        """The ids of the Things whose personal data :meth:`properties` gives clear (reads
        to audit)."""
        return [
            row["id"]
            for row in rows
            if holds_any(row["properties"], self._fields(row)) and self._clear(row)
        ]


# --- queries on properties -------------------------------------------------------------------


def kinds_reaching(path: Sequence[str]) -> frozenset[str]:
    """The kinds of Thing whose masked personal data ``path`` (into the properties; empty for
    the whole) reads: the path of a masked field, one inside it, or one around it."""
    return frozenset(
        kind
        for kind, fields in declared().items()
        if any(spec.path[: len(path)] == tuple(path[: len(spec.path)]) for spec in fields)
    )


def may_read_clear_anywhere(actor: Actor) -> bool:
    """Whether ``actor`` reads any Thing's personal data clear: that of its own department's."""
    return can_read_personal_sensing(actor, department_id=actor.department_id)


def clear_condition(
    actor: Actor, *, pack: Any, department_id: Any, kinds: frozenset[str]
) -> ColumnElement[bool] | None:
    """The policy's ``can_read_personal_sensing`` in SQL, for a path reaching the personal data
    of ``kinds``: the Things (by their ``pack`` and ``department_id`` columns) whose value there
    ``actor`` may compare and sort by; None for all of them."""
    if not kinds or actor.is_sysadmin:
        return None
    elsewhere = or_(pack.is_(None), pack.not_in(sorted(kinds)))
    if may_read_clear_anywhere(actor):
        return or_(elsewhere, department_id == actor.department_id)
    return elsewhere


__all__ = [
    "PersonalField",
    "Reader",
    "clear_condition",
    "declared",
    "holds_any",
    "kinds_reaching",
    "mask_properties",
    "may_read_clear_anywhere",
]
