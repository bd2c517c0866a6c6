"""Domain packs as the sensing engine sees them: the sensing section of the pack registry
(:mod:`yiwang.core.packs`), the packs found that have sensing content, and their installation.

The format is :mod:`yiwang.sensing.packformat`. Installing (:func:`install_pack`, or the
registry's install, which calls :func:`install_section`) is idempotent: ObservedProperties are
matched by definition, Sensors by name and department, Things by pack kind and ``code``,
Datastreams by Thing and ObservedProperty, rules and datasets by name."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import audit, contracts, identity
from yiwang.core import packs as registry
from yiwang.core.codes import division_name
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.identity import Department
from yiwang.core.packs import InstallOptions, InstallReport, Manifest
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
from yiwang.sensing.packformat import (
    INSTANT,
    ComputedSpec,
    DatasetSpec,
    DemoThing,
    KindSpec,
    MovingAverage,
    Pack,
    PackError,
    PropertySpec,
    RuleSpec,
    parse_data,
    parse_pack,
)

log = logging.getLogger(__name__)

SECTION_KEYS = ("properties", "kinds", "rules", "datasets")

add_messages(
    {
        "sensing.pack_unknown": {
            ZH: "没有名为“{name}”的含物联感知内容的领域包；现有：{known}。",
            EN: "There is no domain pack “{name}” with sensing content; the packs are: {known}.",
        },
        "sensing.pack_department": {
            ZH: "领域包所属部门“{department}”不存在；请先创建该部门或另行指定部门。",
            EN: "The pack's department “{department}” does not exist; create it first or name "
            "another department.",
        },
    }
)


def _has_sensing(manifest: Manifest) -> bool:
    return any(key in manifest.data for key in SECTION_KEYS) or (
        registry.THINGS_FILE in manifest.files
    )


def parse_manifest(manifest: Manifest) -> Pack:
    """The sensing content of a pack found by the registry; :class:`PackError` if invalid."""
    things = manifest.files.get(registry.THINGS_FILE)
    return parse_data(
        manifest.name, manifest.data, things.data if things else {}, module=manifest.module
    )


@functools.cache
def _parsed(_key: str) -> dict[str, Pack]:  # cached per pack path
    found: dict[str, Pack] = {}
    for name, manifest in registry.found().items():
        if manifest.problems or not _has_sensing(manifest):
            continue
        try:
            found[name] = parse_manifest(manifest)
        except PackError as exc:  # `yiwang pack validate` says where; the others still serve
            log.warning(
                "a pack's sensing content is not valid", extra={"pack": name, "error": str(exc)}
            )
    return found


def discover() -> dict[str, Pack]:
    """Every pack found (in the software, ``YIWANG_PACK_PATH`` and entry points) that has
    sensing content, by name."""
    return _parsed(registry.found_key())


def get_pack(name: str) -> Pack:
    """The pack of this name; raise :class:`InvalidInput` if there is none."""
    try:
        return discover()[name]
    except KeyError:
        raise InvalidInput("sensing.pack_unknown", name=name, known=", ".join(discover())) from None


def kinds_by_full_name() -> dict[str, KindSpec]:
    """Every kind of every pack, by the value ``Thing.pack`` holds for it."""
    return {kind.full_name: kind for pack in discover().values() for kind in pack.kinds.values()}


def declared_rule(kind: str | None, name: str) -> RuleSpec | None:
    """The default alert rule called ``name`` that a pack declares on things of ``kind`` (the
    value ``Thing.pack`` holds), or None: a rule the staff made or renamed is no pack's."""
    spec = kinds_by_full_name().get(kind) if kind else None
    pack = discover().get(spec.pack) if spec else None
    if spec is None or pack is None:
        return None
    return next((r for r in pack.rules if r.name == name and r.kind == spec.key), None)


# --- installing ------------------------------------------------------------------------------


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


def _install(
    session: Session, *, actor: Actor, pack: Pack, owner: Department, report: InstallReport
) -> None:
    ensure_properties(session, pack, department_id=owner.id, report=report)
    for kind in pack.kinds.values():
        _ensure_sensor(session, kind, department_id=owner.id, report=report)
    _install_rules(session, actor=actor, pack=pack, department=owner, report=report)
    from yiwang.sensing import opendata  # noqa: PLC0415  (opendata builds on this module)

    opendata.register_datasets(session, actor=actor, pack=pack, department=owner, report=report)
    if pack.datasets:
        opendata.schedule(session)


def install_pack(
    session: Session, *, actor: Actor, name: str, department: str | None = None
) -> InstallReport:
    """Install (or bring up to date) a pack's sensing content alone: its ObservedProperties,
    the Sensors of its kinds, its default alert rules and its open datasets (with their hourly
    refresh queued), owned by its department (``department``, a slug, id or name, overrides
    the pack's). Installing twice changes nothing the second time. Things are added with
    :func:`install_things`. A whole pack, every engine's section, is installed through
    :func:`yiwang.core.packs.install`."""
    pack = get_pack(name)
    owner = _department(session, department or pack.department)
    require(
        can_edit_sensing(actor, department_id=owner.id),
        "sensing.pack_install",
        object_type="pack",
        object_id=name,
    )
    report = InstallReport(pack=name, version=pack.version)
    _install(session, actor=actor, pack=pack, owner=owner, report=report)
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


# --- the section of the pack registry --------------------------------------------------------


def _read_section(manifest: Manifest) -> Pack | None:
    if not _has_sensing(manifest):
        return None
    try:
        return parse_manifest(manifest)
    except PackError as exc:
        manifest.problem(exc.path, exc.message(EN), file=exc.file)
        return None


def _sample_inputs(pack: Pack, spec: ComputedSpec, thing: Mapping[str, Any]) -> dict[str, float]:
    values: dict[str, float] = {}
    for key in spec.inputs:
        model = pack.properties[key].simulate
        value = float(model.get("mean", 1.0))
        scale = model.get("scale")
        if isinstance(scale, str) and isinstance(thing.get(scale), int | float):
            value *= float(thing[scale])
        values[key] = value
    return values


def _check_formulas(manifest: Manifest, pack: Pack) -> None:
    """Every formula imports, and on a demo thing's plausible inputs (the simulator's mean)
    returns the outputs its index declares, no more and no fewer."""
    things = {t.kind: t for t in pack.demo_things}
    for kind in pack.kinds.values():
        for index, spec in enumerate(kind.computed):
            path: registry.KeyPath = ("kinds", kind.key, "computed", index, "formula")
            try:
                formula = spec.formula
            except (ImportError, AttributeError, ValueError) as exc:
                manifest.problem(path, f"{spec.formula_name} does not import: {exc}")
                continue
            demo = things.get(kind.key)
            if demo is None:
                continue
            params = {**spec.params, **demo.properties}
            try:
                result = formula(_sample_inputs(pack, spec, demo.properties), params)
            except Exception as exc:  # noqa: BLE001  (any failure is the pack's problem to see)
                manifest.problem(
                    path, f"fails on the demo thing {demo.code}: {type(exc).__name__}: {exc}"
                )
                continue
            if result is not None and set(result) != set(spec.outputs):
                manifest.problem(
                    ("kinds", kind.key, "computed", index, "outputs"),
                    f"declares {sorted(spec.outputs)} but {spec.formula_name} returns "
                    f"{sorted(result)}",
                )


def _check_section(
    session: Session | None,
    manifest: Manifest,
    pack: Pack,
    provided: Mapping[str, frozenset[str]],
) -> None:
    _check_formulas(manifest, pack)
    items = provided.get("cases.item", frozenset())
    for r_index, rule in enumerate(pack.rules):
        for a_index, action in enumerate(rule.actions):
            path: registry.KeyPath = ("rules", r_index, "actions", a_index)
            if (
                action["item"] not in items
                and session is not None
                and contracts.case_items_offered()
            ):
                found = contracts.find_case_item(session, action["item"])
                if found is None or found.kind != "task":
                    manifest.problem(
                        (*path, "item"),
                        f"no task item {action['item']!r}, neither in this pack's "
                        "[[cases.items]] nor installed",
                    )
            department = str(action["department"])
            if (
                department != "owner"
                and not department.startswith("properties.")
                and not registry.department_known(session, department, provided)
            ):
                manifest.problem((*path, "department"), f"no department {department!r}")
    for index, thing in enumerate(pack.demo_things):
        if thing.department and not registry.department_known(session, thing.department, provided):
            manifest.problem(
                ("things", index, "department"),
                f"no department {thing.department!r}",
                file=registry.THINGS_FILE,
            )
        if not division_name(thing.division_code):
            manifest.problem(
                ("things", index, "division"),
                f"{thing.division_code!r} is not a division code",
                file=registry.THINGS_FILE,
            )


def _install_section(
    session: Session,
    actor: Actor,
    _manifest: Manifest,
    pack: Pack,
    report: InstallReport,
    options: InstallOptions,
) -> None:
    owner = _department(session, options.department or pack.department)
    _install(session, actor=actor, pack=pack, owner=owner, report=report)
    if options.demo and pack.demo_things:
        install_things(session, actor=actor, pack=pack, things=pack.demo_things, report=report)


def _summary(pack: Pack) -> dict[str, int]:
    return {
        "observed_properties": len(pack.properties),
        "kinds": len(pack.kinds),
        "rules": len(pack.rules),
        "datasets": len(pack.datasets),
        "demo_things": len(pack.demo_things),
    }


def _provides(pack: Pack) -> dict[str, set[str]]:
    """What other sections of the pack may name: its kinds, its properties, and the streams
    of each kind (measured and computed) as ``kind.property``."""
    return {
        "sensing.kind": set(pack.kinds),
        "sensing.property": set(pack.properties),
        "sensing.stream": {
            f"{kind.key}.{key}" for kind in pack.kinds.values() for key in kind.all_streams
        },
    }


registry.register_section(
    registry.Section(
        engine="sensing",
        keys=SECTION_KEYS,
        read=_read_section,
        check=_check_section,
        install=_install_section,
        summary=_summary,
        provides=_provides,
        title="物联感知",
        after=("catalog", "cases"),  # datasets publish through the catalog; rules open cases
    )
)


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
