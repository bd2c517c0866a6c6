"""The declarative format of a pack as the sensing engine reads it: the sensing keys of
``pack.toml`` (``[properties]``, ``[kinds]``, ``[[rules]]``, ``[[datasets]]``) and the demo
things of ``things.toml``. Every problem names the file and the key it is at
(:attr:`PackError.path`), which the pack registry turns into a line number.

- ``[properties.<key>]``: ObservedProperties (``name``, ``definition`` URN, ``description``,
  ``type`` = measurement / count / category / truth, ``unit`` = {name, symbol, definition},
  ``digits`` for computed results, and a ``simulate`` model for demo and simulator values);
- ``[kinds.<key>]``: kinds of Things (``name``, ``name_en``, ``description``, ``sensor``,
  ``sensor_metadata``, the ``streams`` every such Thing carries, by property key) with
  ``[[kinds.<key>.computed]]`` indices: ``inputs`` and ``outputs`` by property key,
  ``formula`` (``package.module:function``, or ``.module:function`` relative to the pack),
  ``period`` (``"PT1H"``: one result per hour from that hour's inputs; ``"instant"``: one
  result per instant at which every input has a value), ``moving_average``
  (``{pm25 = {hours = 24, min_hours = 20}}``), ``params`` (defaults the Thing's properties may
  override);
- ``[[rules]]``: default alert rules (``name``, ``description``, ``property``, ``kind``,
  ``direction``, ``levels`` = [{label, value}], ``hysteresis``, ``clear_after``, ``actions`` =
  [{type = "open_case", level, item, department}]: reaching ``level`` opens a case of the
  task item ``item`` for ``department``, see :mod:`yiwang.sensing.alerting.casework`;
  ``value_text`` and ``value_text_en``: what an alert's value means, a template with
  ``{value}`` (and a format spec, ``{value:.2f}``) and ``{unit}``; ``value_labels`` =
  [{value, label, label_en}]: the meaning of coded values, which comes first);
- ``[[datasets]]``: open datasets of hourly aggregates (``key``, ``kinds``, ``title``,
  ``title_en``, ``summary``, ``tags``, ``thing_fields`` = [{name, property, personal}]).
  ``personal`` names the kind of personal data a field holds (``mobile``, ``resident_id``,
  ``name``, ``address``): it is masked on every way out (see :mod:`yiwang.sensing.personal`)
  unless the field also says ``public_by_law = true`` with the ``legal_basis`` that makes it
  public, quoted;
- ``things.toml``: ``[[things]]`` (``kind``, ``code``, ``name``, ``division``, ``lon``,
  ``lat``, ``description``, ``department``, ``properties``), installed with the demo.
"""

from __future__ import annotations

import functools
import importlib
import math
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yiwang.catalog.public import PersonalKind
from yiwang.core.i18n import EN, ZH, add_messages, translate
from yiwang.sensing.service import CATEGORY, COUNT, MEASUREMENT, TRUTH

OBSERVATION_TYPES = {
    "measurement": MEASUREMENT,
    "count": COUNT,
    "category": CATEGORY,
    "truth": TRUTH,
}
INSTANT = "instant"

KeyPath = tuple[str | int, ...]


add_messages(
    {
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

    def __init__(
        self,
        text: str,
        *,
        code: str | None = None,
        path: KeyPath = (),
        file: str = "pack.toml",
        **params: Any,
    ) -> None:
        super().__init__(text)
        self.code = code
        self.path = path
        self.file = file
        self.params = params

    @classmethod
    def translated(cls, code: str, *, path: KeyPath = (), **params: Any) -> PackError:
        """The error of message ``code`` (English as its text)."""
        return cls(translate(code, EN, params), code=code, path=path, **params)

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
    module: str = ""  # the pack's Python package, for a formula relative to it (".hooks:f")

    @functools.cached_property
    def formula(self) -> Formula:
        module_name, _, attribute = self.formula_name.partition(":")
        if module_name.startswith("."):
            module_name = self.module + module_name
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
    value_text: str | None = None  # the meaning of a value: a template with {value} and {unit}
    value_text_en: str | None = None
    value_labels: tuple[ValueLabel, ...] = ()  # the meaning of coded values

    def describe(self, value: float, *, unit: str = "", zh: bool = True) -> str | None:
        """What ``value`` of the rule's property means, in the page's language: the label of
        a coded value, else the ``value_text`` template filled in; None when the pack says
        nothing (in English: nothing in English)."""
        for entry in self.value_labels:
            if math.isclose(entry.value, value, abs_tol=1e-9):
                label = entry.label if zh else entry.label_en
                if label:
                    return label
        template = self.value_text if zh else self.value_text_en
        return template.format(value=value, unit=unit) if template else None


@dataclass(frozen=True)
class ValueLabel:
    """The meaning of one coded value of a rule's property (a class, a warning level)."""

    value: float
    label: str
    label_en: str | None = None


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


def _need(table: Mapping[str, Any], key: str, where: str, path: KeyPath, kind: type = str) -> Any:
    value = table.get(key)
    if not isinstance(value, kind):
        raise PackError(f"{where}: {key} is required ({kind.__name__})", path=(*path, key))
    return value


def _table(value: Any, where: str, path: KeyPath) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PackError(f"{where}: a table is expected", path=path)
    return value


def _period(value: Any, where: str, path: KeyPath) -> int | None:
    if value == INSTANT:
        return None
    text = str(value or "PT1H").upper()
    if text.startswith("PT") and text[-1] in "HM" and text[2:-1].isdigit():
        minutes = int(text[2:-1]) * (60 if text[-1] == "H" else 1)
        if 0 < minutes <= 1440 and 1440 % minutes == 0:
            return minutes
    raise PackError(
        f"{where}: period is 'instant' or PT<n>H / PT<n>M dividing a day, not {value}",
        path=(*path, "period"),
    )


def _parse_property(pack: str, key: str, table: Mapping[str, Any]) -> PropertySpec:
    where, path = f"pack {pack}, property {key}", ("properties", key)
    table = _table(table, where, path)
    kind = str(table.get("type", "measurement"))
    if kind not in OBSERVATION_TYPES:
        raise PackError(
            f"{where}: type is one of {', '.join(OBSERVATION_TYPES)}, not {kind}",
            path=(*path, "type"),
        )
    unit = dict(table.get("unit") or {})
    return PropertySpec(
        key=key,
        name=_need(table, "name", where, path),
        definition=_need(table, "definition", where, path),
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
    pack: str,
    kind: str,
    table: Mapping[str, Any],
    properties: Mapping[str, PropertySpec],
    *,
    path: KeyPath,
    module: str,
) -> ComputedSpec:
    key = _need(table, "key", f"pack {pack}, kind {kind}, computed", path)
    where = f"pack {pack}, kind {kind}, computed {key}"
    inputs = tuple(_need(table, "inputs", where, path, list))
    outputs = tuple(_need(table, "outputs", where, path, list))
    for side, names in (("inputs", inputs), ("outputs", outputs)):
        for name in names:
            if name not in properties:
                raise PackError(f"{where}: unknown property {name!r}", path=(*path, side))
    formula = _need(table, "formula", where, path)
    if ":" not in formula:
        raise PackError(
            f"{where}: formula is 'package.module:function' (or '.module:function' in the "
            f"pack), not {formula}",
            path=(*path, "formula"),
        )
    moving: dict[str, MovingAverage] = {}
    for name, spec in dict(table.get("moving_average") or {}).items():
        if name not in inputs:
            raise PackError(
                f"{where}: moving average of {name!r}, which is not an input",
                path=(*path, "moving_average", name),
            )
        hours = int(spec["hours"])
        moving[name] = MovingAverage(hours=hours, min_hours=int(spec.get("min_hours", hours)))
    period = _period(table.get("period"), where, path)
    if moving and period != 60:
        raise PackError(
            f"{where}: moving averages need period = 'PT1H'", path=(*path, "moving_average")
        )
    return ComputedSpec(
        key=key,
        formula_name=formula,
        inputs=inputs,
        outputs=outputs,
        period_minutes=period,
        moving_average=moving,
        params=dict(table.get("params") or {}),
        module=module,
    )


def _parse_kind(
    pack: str,
    key: str,
    table: Mapping[str, Any],
    properties: Mapping[str, PropertySpec],
    module: str,
) -> KindSpec:
    where, path = f"pack {pack}, kind {key}", ("kinds", key)
    table = _table(table, where, path)
    streams = tuple(_need(table, "streams", where, path, list))
    for name in streams:
        if name not in properties:
            raise PackError(f"{where}: unknown property {name!r}", path=(*path, "streams"))
    name = _need(table, "name", where, path)
    return KindSpec(
        pack=pack,
        key=key,
        name=name,
        name_en=str(table.get("name_en", key)),
        description=str(table.get("description", "")),
        sensor=str(table.get("sensor", name)),
        sensor_metadata=str(table.get("sensor_metadata", "")),
        streams=streams,
        computed=tuple(
            _parse_computed(pack, key, c, properties, path=(*path, "computed", i), module=module)
            for i, c in enumerate(table.get("computed", []))
        ),
    )


def _parse_rule(
    pack: str, index: int, table: Mapping[str, Any], pack_data: dict[str, Any]
) -> RuleSpec:
    path: KeyPath = ("rules", index)
    name = _need(table, "name", f"pack {pack}, rule", path)
    where = f"pack {pack}, rule {name}"
    prop = _need(table, "property", where, path)
    kind = _need(table, "kind", where, path)
    if prop not in pack_data["properties"]:
        raise PackError(f"{where}: unknown property {prop!r}", path=(*path, "property"))
    if kind not in pack_data["kinds"]:
        raise PackError(f"{where}: unknown kind {kind!r}", path=(*path, "kind"))
    levels = tuple(dict(level) for level in _need(table, "levels", where, path, list))
    if not levels or not all("label" in lv and "value" in lv for lv in levels):
        raise PackError(f"{where}: levels are [{{label, value}}, ...]", path=(*path, "levels"))
    return RuleSpec(
        name=name,
        description=str(table.get("description", "")),
        property=prop,
        kind=kind,
        direction=str(table.get("direction", "above")),
        levels=levels,
        hysteresis=float(table.get("hysteresis", 0.0)),
        clear_after=int(table.get("clear_after", 1)),
        actions=_parse_actions(pack, name, table.get("actions", []), len(levels), index),
        value_text=_value_text(table, "value_text", where, path),
        value_text_en=_value_text(table, "value_text_en", where, path),
        value_labels=_value_labels(table.get("value_labels", []), where, (*path, "value_labels")),
    )


_TEMPLATE_FIELDS = frozenset({"value", "unit"})


def _value_text(table: Mapping[str, Any], key: str, where: str, path: KeyPath) -> str | None:
    """A rule's ``value_text`` (or ``value_text_en``): a template that says what a value
    means, with ``{value}`` (a number, with an optional format spec) and ``{unit}``."""
    if key not in table:
        return None
    text = table[key]
    problem = _template_problem(text)
    if problem:
        raise PackError(f"{where}: {key}: {problem}", path=(*path, key))
    return str(text)


def _template_problem(text: Any) -> str | None:
    """What is wrong with a value template, or None."""
    if not isinstance(text, str) or not text.strip():
        return "a text with {value}"
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        return f"not a template ({exc})"
    if "value" not in fields:
        return "a text with {value}, e.g. 许可限值的 {value:.2f} 倍"
    if fields - _TEMPLATE_FIELDS:
        unknown = ", ".join(sorted(f"{{{f}}}" for f in fields - _TEMPLATE_FIELDS))
        return f"{unknown}: only {{value}} and {{unit}} are filled in"
    try:
        text.format(value=1.5, unit="")
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        return f"not a template ({exc})"
    return None


_LABEL_KEYS = frozenset({"value", "label", "label_en"})


def _value_labels(raw: Any, where: str, path: KeyPath) -> tuple[ValueLabel, ...]:
    """A rule's ``value_labels``: [{value, label, label_en}], the meaning of coded values."""
    if not isinstance(raw, list):
        raise PackError(f"{where}: value_labels is a list of {{value, label, label_en}}", path=path)
    labels = []
    for index, table in enumerate(raw):
        at, here = f"{where}: value_labels[{index}]", (*path, index)
        if not isinstance(table, dict) or set(table) - _LABEL_KEYS:
            raise PackError(f"{at}: the keys are {', '.join(sorted(_LABEL_KEYS))}", path=here)
        value = table.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PackError(f"{at}.value: a number, not {value!r}", path=(*here, "value"))
        for key in ("label", "label_en"):
            text = table.get(key)
            if (key == "label" or text is not None) and (
                not isinstance(text, str) or not text.strip()
            ):
                raise PackError(f"{at}.{key}: a text, not {text!r}", path=(*here, key))
        labels.append(ValueLabel(float(value), table["label"], table.get("label_en")))
    return tuple(labels)


_ACTION_KEYS = frozenset({"type", "level", "item", "department"})


def _parse_actions(
    pack: str, rule: str, raw: Any, levels: int, rule_index: int
) -> tuple[Mapping[str, Any], ...]:
    """A rule's ``actions``: ``[{type = "open_case", level, item, department}]``, at most one.
    An error names the file and the key: ``water/pack.toml, [[rules]] 河段水位预警,
    actions[0].level``."""
    where, path = f"{pack}/pack.toml, [[rules]] {rule}, actions", ("rules", rule_index, "actions")
    if not isinstance(raw, list) or len(raw) > 1:
        raise PackError(f"{where}: a list of at most one {{type = 'open_case', ...}}", path=path)
    actions = []
    for index, table in enumerate(raw):
        at, here = f"{where}[{index}]", (*path, index)
        if not isinstance(table, dict) or set(table) - _ACTION_KEYS:
            raise PackError(f"{at}: the keys are {', '.join(sorted(_ACTION_KEYS))}", path=here)
        if table.get("type", "open_case") != "open_case":
            raise PackError(
                f"{at}.type: 'open_case' is the one action, not {table['type']!r}",
                path=(*here, "type"),
            )
        level = table.get("level")
        if not isinstance(level, int) or not 1 <= level <= levels:
            raise PackError(
                f"{at}.level: a level of the rule, 1 to {levels}, not {level!r}",
                path=(*here, "level"),
            )
        item = table.get("item")
        if not isinstance(item, str) or not 0 < len(item) <= 64:
            raise PackError(
                f"{at}.item: the code of a task item (处置事项), not {item!r}",
                path=(*here, "item"),
            )
        department = table.get("department", "owner")
        if not isinstance(department, str) or not department.strip() or " " in department:
            raise PackError(
                f"{at}.department: owner, properties.<path> or a department's slug, "
                f"not {department!r}",
                path=(*here, "department"),
            )
        actions.append(
            {"type": "open_case", "level": level, "item": item, "department": department}
        )
    return tuple(actions)


def _parse_dataset(
    pack: str, index: int, table: Mapping[str, Any], kinds: Mapping[str, Any]
) -> DatasetSpec:
    path: KeyPath = ("datasets", index)
    key = _need(table, "key", f"pack {pack}, dataset", path)
    where = f"pack {pack}, dataset {key}"
    chosen = tuple(_need(table, "kinds", where, path, list))
    for kind in chosen:
        if kind not in kinds:
            raise PackError(f"{where}: unknown kind {kind!r}", path=(*path, "kinds"))
    return DatasetSpec(
        key=key,
        kinds=chosen,
        title=_need(table, "title", where, path),
        title_en=str(table.get("title_en", "")),
        summary=_need(table, "summary", where, path),
        tags=tuple(table.get("tags", ())),
        thing_fields=tuple(
            _parse_thing_field(pack, key, f, (*path, "thing_fields", i))
            for i, f in enumerate(table.get("thing_fields", ()))
        ),
    )


_THING_FIELD_KEYS = frozenset({"name", "property", "personal", "public_by_law", "legal_basis"})
_LONGEST_BASIS = 400  # it goes into the catalogue column's description (500 at most)


def _parse_thing_field(
    pack: str, dataset: str, table: Mapping[str, Any], path: KeyPath
) -> ThingField:
    name = _need(table, "name", f"pack {pack}, dataset {dataset}, thing field", path)
    where = {"pack": pack, "dataset": dataset, "field": name}
    unknown = set(table) - _THING_FIELD_KEYS
    if unknown:
        raise PackError(
            f"pack {pack}, dataset {dataset}, field {name}: unknown {min(unknown)!r}",
            path=(*path, min(unknown)),
        )
    personal = table.get("personal")
    kinds = [k.value for k in PersonalKind]
    if personal is not None and personal not in kinds:
        raise PackError.translated(
            "sensing.pack_personal_kind",
            path=(*path, "personal"),
            **where,
            kinds=", ".join(kinds),
            value=personal,
        )
    public = table.get("public_by_law", False)
    given = table.get("legal_basis")
    basis = given.strip() if isinstance(given, str) else ""
    if public is True and not basis:
        raise PackError.translated(
            "sensing.pack_public_without_basis", path=(*path, "legal_basis"), **where
        )
    if (public is not False or given is not None) and (public is not True or personal is None):
        raise PackError.translated(
            "sensing.pack_public_not_personal", path=(*path, "public_by_law"), **where
        )
    if len(basis) > _LONGEST_BASIS:
        raise PackError(
            f"pack {pack}, dataset {dataset}, field {name}: legal_basis passes "
            f"{_LONGEST_BASIS} characters",
            path=(*path, "legal_basis"),
        )
    return ThingField(
        name=name,
        property=_need(table, "property", f"pack {pack}, dataset {dataset}, field {name}", path),
        personal=personal,
        legal_basis=basis or None,
    )


def _parse_thing(
    pack: str, index: int, table: Mapping[str, Any], kinds: Mapping[str, Any]
) -> DemoThing:
    path: KeyPath = ("things", index)
    where = f"pack {pack}, demo thing {table.get('code')}"
    if table.get("kind") not in kinds:
        raise PackError(f"{where}: unknown kind {table.get('kind')!r}", path=(*path, "kind"))
    for key in ("lon", "lat"):
        if not isinstance(table.get(key), int | float):
            raise PackError(f"{where}: {key} is required (a number)", path=(*path, key))
    return DemoThing(
        kind=table["kind"],
        code=_need(table, "code", where, path),
        name=_need(table, "name", where, path),
        division_code=_need(table, "division", where, path),
        longitude=float(table["lon"]),
        latitude=float(table["lat"]),
        description=str(table.get("description", "")),
        department=table.get("department"),
        properties=dict(table.get("properties") or {}),
    )


def _parse_things(pack: str, data: Mapping[str, Any], kinds: Mapping[str, Any]) -> list[DemoThing]:
    things = []
    for index, table in enumerate(data.get("things", ())):
        try:
            things.append(_parse_thing(pack, index, table, kinds))
        except PackError as exc:
            exc.file = "things.toml"
            raise
    return things


def parse_pack(
    name: str, pack_toml: str, things_toml: str | None = None, *, module: str | None = None
) -> Pack:
    """Read a pack from the text of its ``pack.toml`` (and ``things.toml``); raise
    :class:`PackError` when it is not valid. ``module`` is the pack's Python package
    (``yiwang.packs.<name>`` for the packs shipped)."""
    try:
        data = tomllib.loads(pack_toml)
        things_data = tomllib.loads(things_toml) if things_toml else {}
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"pack {name}: {exc}") from None
    return parse_data(name, data, things_data, module=module or f"yiwang.packs.{name}")


def parse_data(
    name: str, data: Mapping[str, Any], things_data: Mapping[str, Any], *, module: str
) -> Pack:
    """Read a pack from its parsed TOML (see :func:`parse_pack`)."""
    head = _need(data, "pack", f"pack {name}", (), dict)
    if head.get("name", name) != name:
        raise PackError(f"pack {name}: [pack] name is {head.get('name')!r}", path=("pack", "name"))
    properties = {
        key: _parse_property(name, key, table)
        for key, table in dict(data.get("properties") or {}).items()
    }
    seen: dict[str, str] = {}
    for spec in properties.values():
        if spec.definition in seen:
            raise PackError(
                f"pack {name}: two properties share a definition ({seen[spec.definition]}, "
                f"{spec.key})",
                path=("properties", spec.key, "definition"),
            )
        seen[spec.definition] = spec.key
    kinds = {
        key: _parse_kind(name, key, table, properties, module)
        for key, table in dict(data.get("kinds") or {}).items()
    }
    lookup = {"properties": properties, "kinds": kinds}
    return Pack(
        name=name,
        version=str(head.get("version", "0")),
        title=_need(head, "title", f"pack {name}", ("pack",)),
        title_en=str(head.get("title_en", name)),
        description=str(head.get("description", "")),
        department=_need(head, "department", f"pack {name}", ("pack",)),
        category=head.get("category"),
        properties=properties,
        kinds=kinds,
        rules=tuple(_parse_rule(name, i, r, lookup) for i, r in enumerate(data.get("rules", ()))),
        datasets=tuple(
            _parse_dataset(name, i, d, kinds) for i, d in enumerate(data.get("datasets", ()))
        ),
        demo_things=tuple(_parse_things(name, things_data, kinds)),
    )
