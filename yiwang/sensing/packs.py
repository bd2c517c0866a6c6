"""Domain packs as the sensing engine sees them: discovery, the declarative format, and
installation.

A pack is a sub-package of :mod:`yiwang.packs` holding a ``pack.toml`` (and optionally a
``things.toml`` of demo things and a ``hooks.py`` of formulas). The engine finds packs by
looking for those files; it never names a pack. ``pack.toml`` declares:

- ``[pack]``: ``name``, ``version``, ``title`` / ``title_en``, the owning department's slug
  (``department``) and the catalogue category of its open data (``category``);
- ``[properties.<key>]``: ObservedProperties (``name``, ``definition`` URN, ``description``,
  ``type`` = measurement / count / category / truth, ``unit`` = {name, symbol, definition},
  ``digits`` for computed results, and a ``simulate`` model for demo and simulator values);
- ``[kinds.<key>]``: kinds of Things (``name``, ``description``, ``sensor``, the ``streams``
  every such Thing carries, by property key) with ``[[kinds.<key>.computed]]`` indices:
  ``inputs`` and ``outputs`` by property key, ``formula`` (a dotted name
  ``package.module:function``), ``period`` (``"PT1H"``: one result per hour from that hour's
  inputs; ``"instant"``: one result per instant at which every input has a value),
  ``moving_average`` (``{pm25 = {hours = 24, min_hours = 20}}``), ``params`` (defaults the
  Thing's properties may override);
- ``[[rules]]``: default alert rules (``name``, ``property``, ``kind``, ``direction``,
  ``levels`` = [{label, value}], ``hysteresis``, ``clear_after``, ``actions`` =
  [{type = "open_case", level, item, department}]: reaching ``level`` opens a case of the
  task item ``item`` for ``department``, see :mod:`yiwang.sensing.alerting.casework`);
- ``[[datasets]]``: open datasets of hourly aggregates (``key``, ``kinds``, ``title``,
  ``title_en``, ``summary``, ``tags``, ``thing_fields`` = [{name, property, personal}]).
  ``personal`` names the kind of personal data a field holds (``mobile``, ``resident_id``,
  ``name``, ``address``): it is masked on every way out (see :mod:`yiwang.sensing.personal`)
  unless the field also says ``public_by_law = true`` with the ``legal_basis`` that makes it
  public, quoted.

Installing a pack (:func:`install_pack`) is idempotent: ObservedProperties are matched by
definition, Sensors by name and department, Things by pack kind and ``code``, Datastreams by
Thing and ObservedProperty, rules and datasets by name."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.resources
import logging
import pkgutil
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.catalog.public import PersonalKind
from yiwang.core import audit, identity
from yiwang.core.codes import division_name
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import EN, ZH, add_messages, translate
from yiwang.core.identity import Department
from yiwang.core.policy import Actor, can_edit_sensing, require
from yiwang.sensing.models import (
    Datastream,
    HistoricalLocation,
    HistoricalLocationLocation,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
)
from yiwang.sensing.service import CATEGORY, COUNT, MEASUREMENT, TRUTH

log = logging.getLogger(__name__)

PACKS_PACKAGE = "yiwang.packs"
OBSERVATION_TYPES = {
    "measurement": MEASUREMENT,
    "count": COUNT,
    "category": CATEGORY,
    "truth": TRUTH,
}
INSTANT = "instant"

add_messages(
    {
        "sensing.pack_unknown": {
            ZH: "没有名为“{name}”的领域包；现有：{known}。",
            EN: "There is no domain pack “{name}”; the packs are: {known}.",
        },
        "sensing.pack_department": {
            ZH: "领域包所属部门“{department}”不存在；请先创建该部门或另行指定部门。",
            EN: "The pack's department “{department}” does not exist; create it first or name "
            "another department.",
        },
        "sensing.pack_personal_kind": {
            ZH: "领域包 {pack} 的数据集 {dataset}：字段“{field}”的 personal 应为 {kinds} 之一，"
            "而不是“{value}”。",
            EN: "pack {pack}, dataset {dataset}: the personal kind of the field “{field}” is one "
            "of {kinds}, not “{value}”.",
        },
        "sensing.pack_public_without_basis": {
            ZH: "领域包 {pack} 的数据集 {dataset}：字段“{field}”声明依法公开（public_by_law），"
            "但未写明法律依据（legal_basis）；请引用公开该信息的法律法规或文件条款，"
            "否则该个人信息一律脱敏。",
            EN: "pack {pack}, dataset {dataset}: the field “{field}” is declared public by law "
            "(public_by_law) without its legal basis (legal_basis); quote the provision that "
            "makes it public, or leave the personal data masked.",
        },
        "sensing.pack_public_not_personal": {
            ZH: "领域包 {pack} 的数据集 {dataset}：字段“{field}”的 public_by_law 和 legal_basis "
            "只用于声明了 personal 的个人信息字段，且须同时给出。",
            EN: "pack {pack}, dataset {dataset}: public_by_law and legal_basis of the field "
            "“{field}” go together, and only on a field declared personal.",
        },
    }
)

Formula = Callable[[Mapping[str, float], Mapping[str, Any]], Mapping[str, Any] | None]


class PackError(ValueError):
    """A pack's files are not valid; the message names the pack and the problem. An error made
    by :meth:`translated` has its message in every language (:meth:`message`)."""

    def __init__(self, text: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(text)
        self.code = code
        self.params = params

    @classmethod
    def translated(cls, code: str, **params: Any) -> PackError:
        """The error of message ``code`` (English as its text)."""
        return cls(translate(code, EN, params), code=code, **params)

    def message(self, language: str) -> str:
        return translate(self.code, language, self.params) if self.code else str(self)


# --- the declarative format ------------------------------------------------------------------


@dataclass(frozen=True)
class PropertySpec:
    key: str
    name: str
    definition: str
    description: str
    observation_type: str
    unit: dict[str, Any]
    digits: int | None = None
    simulate: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MovingAverage:
    hours: int
    min_hours: int


@dataclass(frozen=True)
class ComputedSpec:
    """A computed index: outputs from inputs of one Thing, by a formula.

    ``period_minutes`` is None for instant indices."""

    key: str
    formula_name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    period_minutes: int | None
    moving_average: Mapping[str, MovingAverage]
    params: Mapping[str, Any]

    @functools.cached_property
    def formula(self) -> Formula:
        module_name, _, attribute = self.formula_name.partition(":")
        function: Formula = getattr(importlib.import_module(module_name), attribute)
        return function

    @property
    def window_hours(self) -> int:
        return max((m.hours for m in self.moving_average.values()), default=1)


@dataclass(frozen=True)
class KindSpec:
    pack: str
    key: str
    name: str
    name_en: str
    description: str
    sensor: str
    sensor_metadata: str
    streams: tuple[str, ...]
    computed: tuple[ComputedSpec, ...]

    @property
    def full_name(self) -> str:
        """The value of ``Thing.pack``: ``pack.kind``."""
        return f"{self.pack}.{self.key}"

    @property
    def all_streams(self) -> tuple[str, ...]:
        """Property keys of every stream of such a Thing: measured, then computed."""
        keys = list(self.streams)
        for spec in self.computed:
            keys += [k for k in spec.outputs if k not in keys]
        return tuple(keys)

    @property
    def computed_outputs(self) -> frozenset[str]:
        return frozenset(k for spec in self.computed for k in spec.outputs)


@dataclass(frozen=True)
class RuleSpec:
    name: str
    description: str
    property: str
    kind: str
    direction: str
    levels: tuple[Mapping[str, Any], ...]
    hysteresis: float
    clear_after: int
    actions: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ThingField:
    name: str
    property: str  # a dotted path into the Thing's properties
    personal: str | None = None  # a PersonalKind value
    legal_basis: str | None = None  # set when the personal data is public by law

    def is_masked(self) -> bool:
        """Whether it holds personal data not made public by law, masked for whoever may not
        read it clear."""
        return self.personal is not None and self.legal_basis is None


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    kinds: tuple[str, ...]
    title: str
    title_en: str
    summary: str
    tags: tuple[str, ...]
    thing_fields: tuple[ThingField, ...]


@dataclass(frozen=True)
class DemoThing:
    kind: str
    code: str
    name: str
    division_code: str
    longitude: float
    latitude: float
    description: str = ""
    department: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    title: str
    title_en: str
    description: str
    department: str
    category: str | None
    properties: Mapping[str, PropertySpec]
    kinds: Mapping[str, KindSpec]
    rules: tuple[RuleSpec, ...]
    datasets: tuple[DatasetSpec, ...]
    demo_things: tuple[DemoThing, ...]

    def kind(self, key: str) -> KindSpec:
        try:
            return self.kinds[key]
        except KeyError:
            raise PackError(f"pack {self.name}: no kind {key!r}") from None

    def property_by_definition(self) -> dict[str, str]:
        return {p.definition: p.key for p in self.properties.values()}


# --- reading ---------------------------------------------------------------------------------


def _need(table: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
    value = table.get(key)
    if not isinstance(value, kind):
        raise PackError(f"{where}: {key} is required ({kind.__name__})")
    return value


def _period(value: Any, where: str) -> int | None:
    if value == INSTANT:
        return None
    text = str(value or "PT1H").upper()
    if text.startswith("PT") and text[-1] in "HM" and text[2:-1].isdigit():
        minutes = int(text[2:-1]) * (60 if text[-1] == "H" else 1)
        if 0 < minutes <= 1440 and 1440 % minutes == 0:
            return minutes
    raise PackError(f"{where}: period is 'instant' or PT<n>H / PT<n>M dividing a day, not {value}")


def _parse_property(pack: str, key: str, table: Mapping[str, Any]) -> PropertySpec:
    where = f"pack {pack}, property {key}"
    kind = str(table.get("type", "measurement"))
    if kind not in OBSERVATION_TYPES:
        raise PackError(f"{where}: type is one of {', '.join(OBSERVATION_TYPES)}, not {kind}")
    unit = dict(table.get("unit") or {})
    return PropertySpec(
        key=key,
        name=_need(table, "name", where),
        definition=_need(table, "definition", where),
        description=str(table.get("description", "")),
        observation_type=OBSERVATION_TYPES[kind],
        unit={
            "name": unit.get("name"),
            "symbol": unit.get("symbol"),
            "definition": unit.get("definition"),
        },
        digits=table.get("digits"),
        simulate=dict(table.get("simulate") or {}),
    )


def _parse_computed(
    pack: str, kind: str, table: Mapping[str, Any], properties: Mapping[str, PropertySpec]
) -> ComputedSpec:
    key = _need(table, "key", f"pack {pack}, kind {kind}, computed")
    where = f"pack {pack}, kind {kind}, computed {key}"
    inputs = tuple(_need(table, "inputs", where, list))
    outputs = tuple(_need(table, "outputs", where, list))
    for name in (*inputs, *outputs):
        if name not in properties:
            raise PackError(f"{where}: unknown property {name!r}")
    formula = _need(table, "formula", where)
    if ":" not in formula:
        raise PackError(f"{where}: formula is 'package.module:function', not {formula}")
    moving: dict[str, MovingAverage] = {}
    for name, spec in dict(table.get("moving_average") or {}).items():
        if name not in inputs:
            raise PackError(f"{where}: moving average of {name!r}, which is not an input")
        hours = int(spec["hours"])
        moving[name] = MovingAverage(hours=hours, min_hours=int(spec.get("min_hours", hours)))
    period = _period(table.get("period"), where)
    if moving and period != 60:
        raise PackError(f"{where}: moving averages need period = 'PT1H'")
    return ComputedSpec(
        key=key,
        formula_name=formula,
        inputs=inputs,
        outputs=outputs,
        period_minutes=period,
        moving_average=moving,
        params=dict(table.get("params") or {}),
    )


def _parse_kind(
    pack: str, key: str, table: Mapping[str, Any], properties: Mapping[str, PropertySpec]
) -> KindSpec:
    where = f"pack {pack}, kind {key}"
    streams = tuple(_need(table, "streams", where, list))
    for name in streams:
        if name not in properties:
            raise PackError(f"{where}: unknown property {name!r}")
    return KindSpec(
        pack=pack,
        key=key,
        name=_need(table, "name", where),
        name_en=str(table.get("name_en", key)),
        description=str(table.get("description", "")),
        sensor=str(table.get("sensor", table["name"])),
        sensor_metadata=str(table.get("sensor_metadata", "")),
        streams=streams,
        computed=tuple(
            _parse_computed(pack, key, c, properties) for c in table.get("computed", [])
        ),
    )


def _parse_rule(pack: str, table: Mapping[str, Any], pack_data: dict[str, Any]) -> RuleSpec:
    name = _need(table, "name", f"pack {pack}, rule")
    where = f"pack {pack}, rule {name}"
    prop = _need(table, "property", where)
    kind = _need(table, "kind", where)
    if prop not in pack_data["properties"] or kind not in pack_data["kinds"]:
        raise PackError(f"{where}: unknown property {prop!r} or kind {kind!r}")
    levels = tuple(dict(level) for level in _need(table, "levels", where, list))
    if not levels or not all("label" in lv and "value" in lv for lv in levels):
        raise PackError(f"{where}: levels are [{{label, value}}, ...]")
    return RuleSpec(
        name=name,
        description=str(table.get("description", "")),
        property=prop,
        kind=kind,
        direction=str(table.get("direction", "above")),
        levels=levels,
        hysteresis=float(table.get("hysteresis", 0.0)),
        clear_after=int(table.get("clear_after", 1)),
        actions=_parse_actions(pack, name, table.get("actions", []), len(levels)),
    )


_ACTION_KEYS = frozenset({"type", "level", "item", "department"})


def _parse_actions(pack: str, rule: str, raw: Any, levels: int) -> tuple[Mapping[str, Any], ...]:
    """A rule's ``actions``: ``[{type = "open_case", level, item, department}]``, at most one.
    An error names the file and the key: ``water/pack.toml, [[rules]] 河段水位预警,
    actions[0].level``."""
    where = f"{pack}/pack.toml, [[rules]] {rule}, actions"
    if not isinstance(raw, list) or len(raw) > 1:
        raise PackError(f"{where}: a list of at most one {{type = 'open_case', ...}}")
    actions = []
    for index, table in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(table, dict) or set(table) - _ACTION_KEYS:
            raise PackError(f"{at}: the keys are {', '.join(sorted(_ACTION_KEYS))}")
        if table.get("type", "open_case") != "open_case":
            raise PackError(f"{at}.type: 'open_case' is the one action, not {table['type']!r}")
        level = table.get("level")
        if not isinstance(level, int) or not 1 <= level <= levels:
            raise PackError(f"{at}.level: a level of the rule, 1 to {levels}, not {level!r}")
        item = table.get("item")
        if not isinstance(item, str) or not 0 < len(item) <= 64:
            raise PackError(f"{at}.item: the code of a task item (处置事项), not {item!r}")
        department = table.get("department", "owner")
        if not isinstance(department, str) or not department.strip() or " " in department:
            raise PackError(
                f"{at}.department: owner, properties.<path> or a department's slug, "
                f"not {department!r}"
            )
        actions.append(
            {"type": "open_case", "level": level, "item": item, "department": department}
        )
    return tuple(actions)


def _parse_dataset(pack: str, table: Mapping[str, Any], kinds: Mapping[str, Any]) -> DatasetSpec:
    key = _need(table, "key", f"pack {pack}, dataset")
    where = f"pack {pack}, dataset {key}"
    chosen = tuple(_need(table, "kinds", where, list))
    for kind in chosen:
        if kind not in kinds:
            raise PackError(f"{where}: unknown kind {kind!r}")
    return DatasetSpec(
        key=key,
        kinds=chosen,
        title=_need(table, "title", where),
        title_en=str(table.get("title_en", "")),
        summary=_need(table, "summary", where),
        tags=tuple(table.get("tags", ())),
        thing_fields=tuple(_parse_thing_field(pack, key, f) for f in table.get("thing_fields", ())),
    )


_THING_FIELD_KEYS = frozenset({"name", "property", "personal", "public_by_law", "legal_basis"})
_LONGEST_BASIS = 400  # it goes into the catalogue column's description (500 at most)


def _parse_thing_field(pack: str, dataset: str, table: Mapping[str, Any]) -> ThingField:
    name = _need(table, "name", f"pack {pack}, dataset {dataset}, thing field")
    where = {"pack": pack, "dataset": dataset, "field": name}
    unknown = set(table) - _THING_FIELD_KEYS
    if unknown:
        raise PackError(f"pack {pack}, dataset {dataset}, field {name}: unknown {min(unknown)!r}")
    personal = table.get("personal")
    kinds = [k.value for k in PersonalKind]
    if personal is not None and personal not in kinds:
        raise PackError.translated(
            "sensing.pack_personal_kind", **where, kinds=", ".join(kinds), value=personal
        )
    public = table.get("public_by_law", False)
    given = table.get("legal_basis")
    basis = given.strip() if isinstance(given, str) else ""
    if public is True and not basis:
        raise PackError.translated("sensing.pack_public_without_basis", **where)
    if (public is not False or given is not None) and (public is not True or personal is None):
        raise PackError.translated("sensing.pack_public_not_personal", **where)
    if len(basis) > _LONGEST_BASIS:
        raise PackError(
            f"pack {pack}, dataset {dataset}, field {name}: legal_basis passes "
            f"{_LONGEST_BASIS} characters"
        )
    return ThingField(
        name=name,
        property=_need(table, "property", f"pack {pack}, dataset {dataset}, field {name}"),
        personal=personal,
        legal_basis=basis or None,
    )


def _parse_things(pack: str, data: Mapping[str, Any], kinds: Mapping[str, Any]) -> list[DemoThing]:
    things = []
    for table in data.get("things", ()):
        where = f"pack {pack}, demo thing {table.get('code')}"
        if table.get("kind") not in kinds:
            raise PackError(f"{where}: unknown kind {table.get('kind')!r}")
        things.append(
            DemoThing(
                kind=table["kind"],
                code=_need(table, "code", where),
                name=_need(table, "name", where),
                division_code=_need(table, "division", where),
                longitude=float(table["lon"]),
                latitude=float(table["lat"]),
                description=str(table.get("description", "")),
                department=table.get("department"),
                properties=dict(table.get("properties") or {}),
            )
        )
    return things


def parse_pack(name: str, pack_toml: str, things_toml: str | None = None) -> Pack:
    """Read a pack from the text of its ``pack.toml`` (and ``things.toml``); raise
    :class:`PackError` when it is not valid."""
    try:
        data = tomllib.loads(pack_toml)
        things_data = tomllib.loads(things_toml) if things_toml else {}
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"pack {name}: {exc}") from None
    head = _need(data, "pack", f"pack {name}", dict)
    if head.get("name", name) != name:
        raise PackError(f"pack {name}: [pack] name is {head.get('name')!r}")
    properties = {
        key: _parse_property(name, key, table)
        for key, table in dict(data.get("properties") or {}).items()
    }
    definitions = [p.definition for p in properties.values()]
    if len(set(definitions)) != len(definitions):
        raise PackError(f"pack {name}: two properties share a definition")
    kinds = {
        key: _parse_kind(name, key, table, properties)
        for key, table in dict(data.get("kinds") or {}).items()
    }
    data.setdefault("properties", {})
    data.setdefault("kinds", {})
    return Pack(
        name=name,
        version=str(head.get("version", "0")),
        title=_need(head, "title", f"pack {name}"),
        title_en=str(head.get("title_en", name)),
        description=str(head.get("description", "")),
        department=_need(head, "department", f"pack {name}"),
        category=head.get("category"),
        properties=properties,
        kinds=kinds,
        rules=tuple(_parse_rule(name, r, data) for r in data.get("rules", ())),
        datasets=tuple(_parse_dataset(name, d, kinds) for d in data.get("datasets", ())),
        demo_things=tuple(_parse_things(name, things_data, kinds)),
    )


@functools.cache
def discover() -> dict[str, Pack]:
    """Every pack installed with the software, by name: each sub-package of ``yiwang.packs``
    that holds a ``pack.toml``."""
    root = importlib.import_module(PACKS_PACKAGE)
    found: dict[str, Pack] = {}
    for module in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        files = importlib.resources.files(f"{PACKS_PACKAGE}.{module.name}")
        pack_file = files / "pack.toml"
        if not pack_file.is_file():
            continue
        things_file = files / "things.toml"
        found[module.name] = parse_pack(
            module.name,
            pack_file.read_text(encoding="utf-8"),
            things_file.read_text(encoding="utf-8") if things_file.is_file() else None,
        )
    return found


def get_pack(name: str) -> Pack:
    """The pack of this name; raise :class:`InvalidInput` if there is none."""
    try:
        return discover()[name]
    except KeyError:
        raise InvalidInput("sensing.pack_unknown", name=name, known=", ".join(discover())) from None


def kinds_by_full_name() -> dict[str, KindSpec]:
    """Every kind of every pack, by the value ``Thing.pack`` holds for it."""
    return {kind.full_name: kind for pack in discover().values() for kind in pack.kinds.values()}


# --- installing ------------------------------------------------------------------------------


@dataclass
class InstallReport:
    """What an installation created (and, of what was there, left or updated)."""

    pack: str
    version: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, what: str, *, created: bool) -> None:
        target = self.created if created else self.updated
        target[what] = target.get(what, 0) + 1


def _department(session: Session, slug: str) -> Department:
    try:
        return identity.find_department(session, slug)
    except InvalidInput:
        raise InvalidInput("sensing.pack_department", department=slug) from None


def ensure_properties(
    session: Session, pack: Pack, *, department_id: int | None, report: InstallReport
) -> dict[str, ObservedProperty]:
    """The pack's ObservedProperties by key, created or brought up to date."""
    definitions = [p.definition for p in pack.properties.values()]
    existing = {
        op.definition: op
        for op in session.scalars(
            select(ObservedProperty)
            .where(ObservedProperty.definition.in_(definitions))
            .order_by(ObservedProperty.id)
        )
    }
    result: dict[str, ObservedProperty] = {}
    for spec in pack.properties.values():
        row = existing.get(spec.definition)
        props = {"pack": pack.name, "key": spec.key}
        if row is None:
            row = ObservedProperty(
                name=spec.name,
                definition=spec.definition,
                description=spec.description,
                department_id=department_id,
                properties=props,
            )
            session.add(row)
            report.count("observed_properties", created=True)
        elif (row.name, row.description, row.properties) != (spec.name, spec.description, props):
            row.name, row.description, row.properties = spec.name, spec.description, props
            report.count("observed_properties", created=False)
        result[spec.key] = row
    session.flush()
    return result


def _ensure_sensor(
    session: Session, kind: KindSpec, *, department_id: int | None, report: InstallReport
) -> Sensor:
    sensor = session.scalars(
        select(Sensor)
        .where(Sensor.name == kind.sensor, Sensor.department_id == department_id)
        .order_by(Sensor.id)
    ).first()
    if sensor is None:
        sensor = Sensor(
            name=kind.sensor,
            description=f"{kind.name}的监测设备",
            encoding_type="text/plain",
            sensor_metadata=kind.sensor_metadata,
            department_id=department_id,
            properties={"pack": kind.full_name},
        )
        session.add(sensor)
        session.flush()
        report.count("sensors", created=True)
    return sensor


def install_pack(
    session: Session, *, actor: Actor, name: str, department: str | None = None
) -> InstallReport:
    """Install (or bring up to date) a pack: its ObservedProperties, the Sensors of its kinds,
    its default alert rules and its open datasets (with their hourly refresh queued), owned by
    its department (``department``, a
    slug, id or name, overrides the pack's). Installing twice changes nothing the second time.
    Things are added with :func:`install_things`."""
    pack = get_pack(name)
    owner = _department(session, department or pack.department)
    require(
        can_edit_sensing(actor, department_id=owner.id),
        "sensing.pack_install",
        object_type="pack",
        object_id=name,
    )
    report = InstallReport(pack=name, version=pack.version)
    ensure_properties(session, pack, department_id=owner.id, report=report)
    for kind in pack.kinds.values():
        _ensure_sensor(session, kind, department_id=owner.id, report=report)
    _install_rules(session, actor=actor, pack=pack, department=owner, report=report)
    from yiwang.sensing import opendata  # noqa: PLC0415  (opendata builds on this module)

    opendata.register_datasets(session, actor=actor, pack=pack, department=owner, report=report)
    if pack.datasets:
        opendata.schedule(session)
    audit.record(
        session,
        actor=actor,
        action="sensing.pack_install",
        object_type="pack",
        object_id=name,
        details={
            "version": pack.version,
            "created": report.created,
            "updated": report.updated,
            "notes": report.notes,
        },
    )
    return report


def installed_packs(session: Session) -> dict[str, int]:
    """The packs whose ObservedProperties are in the database, with how many Things each has."""
    result: dict[str, int] = {}
    packs = discover()
    present = set(
        session.scalars(
            select(ObservedProperty.definition).where(
                ObservedProperty.definition.in_(
                    [p.definition for pack in packs.values() for p in pack.properties.values()]
                )
            )
        )
    )
    for pack in packs.values():
        if any(p.definition in present for p in pack.properties.values()):
            full_names = [k.full_name for k in pack.kinds.values()]
            result[pack.name] = len(
                session.scalars(select(Thing.id).where(Thing.pack.in_(full_names))).all()
            )
    return result


# --- alert rules -----------------------------------------------------------------------------


def _install_rules(
    session: Session, *, actor: Actor, pack: Pack, department: Department, report: InstallReport
) -> None:
    """Install the pack's default rules through the alerting engine's service (by name: a rule
    of the department with the same name is left as its staff may have tuned it)."""
    if not pack.rules:
        return
    # Imported here: the alerting engine builds on the observation service, as this module does.
    from yiwang.sensing.alerting import casework  # noqa: PLC0415
    from yiwang.sensing.alerting import schemas as rule_schemas  # noqa: PLC0415
    from yiwang.sensing.alerting import service as rules_service  # noqa: PLC0415
    from yiwang.sensing.alerting.models import AlertRule  # noqa: PLC0415

    existing = set(
        session.scalars(select(AlertRule.name).where(AlertRule.department_id == department.id))
    )
    for rule in pack.rules:
        if rule.name in existing:
            continue
        data = rule_schemas.RuleCreate(
            name=rule.name,
            description=rule.description,
            kind="threshold",
            direction=rule.direction,
            levels=[
                rule_schemas.LevelIn(label=str(lv["label"]), value=float(lv["value"]))
                for lv in rule.levels
            ],
            hysteresis=rule.hysteresis,
            clear_after=rule.clear_after,
            actions=[rule_schemas.CaseAction.model_validate(a) for a in rule.actions],
            department_id=department.id,
            property_definition=pack.properties[rule.property].definition,
            scope_pack=pack.kind(rule.kind).full_name,
        )
        # An action's item or department not known yet (the cases engine's items may be
        # registered after the pack) does not stop the installation: it is reported here, and
        # each case asked for meanwhile is answered with the reason on its alert.
        for index, key, problem in casework.check_actions(
            session, data.actions, levels=len(data.levels), strict=False
        ):
            note = (
                f"{pack.name}/pack.toml, [[rules]] {rule.name}, actions[{index}].{key}: "
                f"{problem.message(EN)}"
            )
            log.warning("a pack rule's action names what does not exist", extra={"note": note})
            report.notes.append(note)
        rules_service.create_rule(session, actor=actor, data=data, check_actions=False)
        report.count("rules", created=True)


# --- things ----------------------------------------------------------------------------------


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def install_things(
    session: Session,
    *,
    actor: Actor,
    pack: Pack,
    things: Sequence[DemoThing],
    department: Department | None = None,
    report: InstallReport | None = None,
) -> list[Thing]:
    """Create the Things (with Location, and a Datastream per stream and computed output of
    their kind) that do not exist yet, matched by kind and ``code``; return all of them in
    order. Each Thing belongs to its own ``department`` if given, else to ``department``, else
    to the pack's."""
    report = report or InstallReport(pack=pack.name, version=pack.version)
    owner = department or _department(session, pack.department)
    departments: dict[str, Department] = {}
    properties = ensure_properties(session, pack, department_id=owner.id, report=report)
    sensors: dict[tuple[str, int], Sensor] = {}
    full_names = {pack.kind(t.kind).full_name for t in things}
    existing: dict[tuple[str | None, str], Thing] = {}
    for thing in session.scalars(select(Thing).where(Thing.pack.in_(full_names))):
        code = (thing.properties or {}).get("code")
        if isinstance(code, str):
            existing[(thing.pack, code)] = thing
    streams_of = _streams_by_thing(session, [t.id for t in existing.values()])
    result: list[Thing] = []
    now = utcnow()
    for spec in things:
        kind = pack.kind(spec.kind)
        owner_of = owner
        if spec.department:
            if spec.department not in departments:
                departments[spec.department] = _department(session, spec.department)
            owner_of = departments[spec.department]
        require(
            can_edit_sensing(actor, department_id=owner_of.id),
            "sensing.thing_create",
            object_type="thing",
            object_id=spec.code,
        )
        if division_name(spec.division_code) is None:
            raise PackError(f"pack {pack.name}, thing {spec.code}: unknown division code")
        found = existing.get((kind.full_name, spec.code))
        if found is None:
            thing = _create_thing(session, spec, kind, owner_of, now)
            report.count("things", created=True)
        else:
            thing = found
        result.append(thing)
        have = streams_of.get(thing.id, set())
        key_sensor = (kind.full_name, owner_of.id)
        for key in kind.all_streams:
            prop = properties[key]
            if prop.id in have:
                continue
            if key_sensor not in sensors:
                sensors[key_sensor] = _ensure_sensor(
                    session, kind, department_id=owner_of.id, report=report
                )
            _add_stream(session, thing, kind, pack.properties[key], prop, sensors[key_sensor])
            report.count("datastreams", created=True)
    session.flush()
    return result


def _streams_by_thing(session: Session, thing_ids: Sequence[int]) -> dict[int, set[int | None]]:
    """The ObservedProperties each Thing has a Datastream of."""
    result: dict[int, set[int | None]] = {}
    if thing_ids:
        for thing_id, property_id in session.execute(
            select(Datastream.thing_id, Datastream.observed_property_id).where(
                Datastream.thing_id.in_(thing_ids)
            )
        ):
            result.setdefault(thing_id, set()).add(property_id)
    return result


def _create_thing(
    session: Session, spec: DemoThing, kind: KindSpec, owner: Department, now: dt.datetime
) -> Thing:
    location = Location(
        name=spec.name,
        description=f"{division_name(spec.division_code) or ''}{spec.name}",
        encoding_type="application/geo+json",
        location=_point(spec.longitude, spec.latitude),
        department_id=owner.id,
        min_x=spec.longitude,
        max_x=spec.longitude,
        min_y=spec.latitude,
        max_y=spec.latitude,
    )
    thing = Thing(
        name=spec.name,
        description=spec.description or kind.name,
        properties={"code": spec.code, "kind": kind.name, **spec.properties},
        department_id=owner.id,
        is_open=True,
        pack=kind.full_name,
        division_code=spec.division_code,
    )
    thing.locations.append(location)
    session.add(thing)
    session.flush()
    history = HistoricalLocation(thing_id=thing.id, time=now)
    session.add(history)
    session.flush()
    session.add(
        HistoricalLocationLocation(historical_location_id=history.id, location_id=location.id)
    )
    return thing


def _add_stream(
    session: Session,
    thing: Thing,
    kind: KindSpec,
    spec: PropertySpec,
    prop: ObservedProperty,
    sensor: Sensor,
) -> None:
    computed = next((c.key for c in kind.computed if spec.key in c.outputs), None)
    properties: dict[str, Any] = {"pack": kind.pack, "key": spec.key}
    if computed:
        properties["computed"] = computed
    session.add(
        Datastream(
            name=f"{thing.name} {spec.name}",
            description=spec.description or spec.name,
            observation_type=spec.observation_type,
            unit_of_measurement=dict(spec.unit),
            thing_id=thing.id,
            sensor_id=sensor.id,
            observed_property_id=prop.id,
            department_id=thing.department_id,
            is_open=thing.is_open,
            properties=properties,
        )
    )


def streams_of_things(session: Session, thing_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """For each Thing of a pack, its Datastream ids by property key."""
    result: dict[int, dict[str, int]] = {}
    if not thing_ids:
        return result
    keys = {p.definition: p.key for pack in discover().values() for p in pack.properties.values()}
    rows = session.execute(
        select(Datastream.thing_id, Datastream.id, ObservedProperty.definition)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(Datastream.thing_id.in_(thing_ids))
        .order_by(Datastream.id)
    )
    for thing_id, stream_id, definition in rows:
        key = keys.get(definition)
        if key is not None:
            result.setdefault(thing_id, {}).setdefault(key, stream_id)
    return result


__all__ = [
    "INSTANT",
    "ComputedSpec",
    "DatasetSpec",
    "DemoThing",
    "InstallReport",
    "KindSpec",
    "MovingAverage",
    "Pack",
    "PackError",
    "PropertySpec",
    "RuleSpec",
    "discover",
    "ensure_properties",
    "get_pack",
    "install_pack",
    "install_things",
    "installed_packs",
    "kinds_by_full_name",
    "parse_pack",
    "streams_of_things",
]
