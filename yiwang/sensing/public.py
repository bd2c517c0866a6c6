"""What the sensing engine offers the rest of yiwang: the portal, the CLI and the other engines
import this module (or the package), never the sensing engine's models or internals.

Latest values (:mod:`yiwang.sensing.timeseries`)
    ``latest`` gives the latest observation of each stream an actor may read, as
    ``LatestValue`` records (filtered by streams, pack, observed property, department or
    division); ``count_streams`` says how many streams an actor may read.

Alerts (:mod:`yiwang.sensing.alerting.alerts`)
    ``list_alerts`` gives a page of the alerts an actor may see, filtered by an
    ``AlertFilters``, and how many there are; ``get_alert`` one of them;
    ``acknowledge_alert`` and ``resolve_alert`` handle one by hand (with the rights of the
    rule's department). ``Alert`` is the record they give, in one of the states ``RAISED``,
    ``ACKNOWLEDGED`` and ``RESOLVED``. ``alert_value_text`` says what an alert's value
    means, in Chinese or English (:mod:`yiwang.sensing.alerting.values`): in the words of the
    pack that declares its rule, else the value with its stream's unit; ``unit_symbol`` and
    ``with_unit`` write any measured value so (``1.2 mg/L``, ``95%``).

Rules (:mod:`yiwang.sensing.alerting.service`)
    ``list_rules`` gives the alert rules an actor may read, as ``AlertRule`` records of the
    kinds ``THRESHOLD``, ``RATE`` and ``STALE``.

Packs (:mod:`yiwang.sensing.packs`: the sensing sections of the pack registry)
    ``sensing_packs`` gives the packs found that have sensing content, by name, as ``Pack``
    declarations (their properties, kinds, rules, datasets, demo things); ``get_pack`` one of
    them; ``pack_kinds`` every kind of Thing by the value ``Thing.pack`` holds;
    ``things_by_pack`` how many Things each installed pack has; ``declared_rule`` the pack's
    declaration of an alert's rule, a ``RuleSpec`` (whose ``describe`` says what a value
    means). Installing goes through :mod:`yiwang.core.packs`.

Running the engine's processes (the CLI)
    ``make_bridge`` makes the MQTT ingest bridge configured by the settings
    (``yiwang mqtt``); ``simulated_streams`` finds the packs' datastreams to simulate and
    ``simulate`` publishes a live stream of them over MQTT (``yiwang simulate``).

The records given (``Alert``, ``AlertRule``, ``LatestValue``) are for reading: changes go
through the functions above or the sensing API.
"""

from __future__ import annotations

from yiwang.sensing.alerting.alerts import (
    AlertFilters,
    acknowledge_alert,
    get_alert,
    list_alerts,
    resolve_alert,
)
from yiwang.sensing.alerting.models import (
    ACKNOWLEDGED,
    RAISED,
    RATE,
    RESOLVED,
    STALE,
    THRESHOLD,
    Alert,
    AlertRule,
)
from yiwang.sensing.alerting.service import list_rules
from yiwang.sensing.alerting.values import alert_value_text, unit_symbol, with_unit
from yiwang.sensing.mqtt import make_bridge
from yiwang.sensing.packformat import RuleSpec
from yiwang.sensing.packs import Pack, declared_rule, get_pack
from yiwang.sensing.packs import discover as sensing_packs
from yiwang.sensing.packs import installed_packs as things_by_pack
from yiwang.sensing.packs import kinds_by_full_name as pack_kinds
from yiwang.sensing.simulate import simulate, simulated_streams
from yiwang.sensing.timeseries import LatestValue, count_streams, latest

__all__ = [
    "ACKNOWLEDGED",
    "RAISED",
    "RATE",
    "RESOLVED",
    "STALE",
    "THRESHOLD",
    "Alert",
    "AlertFilters",
    "AlertRule",
    "LatestValue",
    "Pack",
    "RuleSpec",
    "acknowledge_alert",
    "alert_value_text",
    "count_streams",
    "declared_rule",
    "get_alert",
    "get_pack",
    "latest",
    "list_alerts",
    "list_rules",
    "make_bridge",
    "pack_kinds",
    "resolve_alert",
    "sensing_packs",
    "simulate",
    "simulated_streams",
    "things_by_pack",
    "unit_symbol",
    "with_unit",
]
