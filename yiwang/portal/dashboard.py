"""The portal's section of a pack: ``[[dashboard.panels]]``, the panels a sector adds to the
monitoring page (``/monitor``). The page draws what the installed packs declare and knows no
sector by name.

A panel shows the latest value of one property (``property``) of the things of one kind
(``thing_kind``) of the same pack, as one of:

- ``map``: the province's cities coloured by the highest latest value of their things, with the
  same figures as a table (city, value, band, the thing holding that value);
- ``table``: the things ranked, with their value and band;
- ``bars``: the things ranked, as bars of a percentage (full at 100) coloured by their band.

``bands`` = [{``min``, ``max``, ``label``, ``label_en``, ``colour``, ``emphasis``}] are the
levels a value falls in (the categories of a standard): a value is in the first band whose
``max`` it does not exceed, and in the last band above them all. ``band_property`` takes the
band from another property of the thing (a warning level a formula computed with the thing's
own thresholds) instead of from the value: the first band whose ``max`` that level does not
exceed. Nothing is stored: the page reads the panels of the packs found that are installed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import packs as registry
from yiwang.core.packs import InstallOptions, InstallReport, KeyPath, Manifest
from yiwang.core.policy import Actor

ENGINE = "dashboard"
MAP, TABLE, BARS = "map", "table", "bars"
KINDS = (MAP, TABLE, BARS)
SORTS = ("value", "band")  # highest value first; worst band first, then by name
DEFAULT_ORDER = 100
# The columns of each kind's table, with their default headings (zh, en).
COLUMNS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    MAP: {
        "city": ("城市", "City"),
        "value": ("数值", "Value"),
        "band": ("类别", "Category"),
        "thing": ("最高值所在", "Highest at"),
    },
    TABLE: {"thing": ("名称", "Name"), "value": ("数值", "Value"), "band": ("状态", "State")},
    BARS: {},
}
_PANEL_KEYS = frozenset(
    {
        "key",
        "kind",
        "title",
        "title_en",
        "map_title",
        "map_title_en",
        "thing_kind",
        "property",
        "band_property",
        "bands",
        "digits",
        "sort",
        "order",
        "columns",
        "columns_en",
    }
)
_BAND_KEYS = frozenset({"min", "max", "label", "label_en", "colour", "emphasis"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_MAX_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Band:
    """One level a value falls in: its bounds, its name and, where it colours, its colour."""

    label: str
    label_en: str
    min: float | None = None
    max: float | None = None
    colour: str | None = None
    emphasis: bool = False  # an alarming state: its rows stand out

    def text(self, zh: bool) -> str:
        return self.label if zh else self.label_en


@dataclass(frozen=True, slots=True)
class Panel:
    """One ``[[dashboard.panels]]`` entry, read."""

    pack: str
    index: int
    key: str
    kind: str
    title: str
    title_en: str
    thing_kind: str
    property: str
    bands: tuple[Band, ...] = ()
    band_property: str | None = None
    map_title: str = ""
    map_title_en: str = ""
    digits: int | None = None
    sort: str = "value"
    order: int = DEFAULT_ORDER
    columns: tuple[tuple[str, str, str], ...] = ()  # (column, zh, en), in the table's order

    def heading(self, zh: bool) -> str:
        return self.title if zh else self.title_en

    def map_heading(self, zh: bool) -> str:
        return self.map_title if zh else self.map_title_en

    def column(self, name: str, zh: bool) -> str:
        for column, label, label_en in self.columns:
            if column == name:
                return label if zh else label_en
        return name

    def band_of(self, value: float) -> int | None:
        """The index of the band holding ``value``: the first whose ``max`` it does not
        exceed, the last above them all; None when the panel has no bands."""
        if not self.bands:
            return None
        for index, band in enumerate(self.bands):
            if band.max is None or value <= band.max:
                return index
        return len(self.bands) - 1


@dataclass(frozen=True, slots=True)
class DashboardContent:
    panels: tuple[Panel, ...]


def _text(manifest: Manifest, path: KeyPath, value: Any, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        manifest.problem(path, "a text is required" if value is None else "a non-empty text")
        return None
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _read_band(
    manifest: Manifest, path: KeyPath, raw: Any, *, coloured: bool, last: bool
) -> Band | None:
    if not isinstance(raw, dict):
        manifest.problem(path, "a table {min, max, label, label_en, colour, emphasis}")
        return None
    ok = True
    for key in sorted(set(raw) - _BAND_KEYS):
        manifest.problem((*path, key), f"not a key of a band ({', '.join(sorted(_BAND_KEYS))})")
        ok = False
    label = _text(manifest, (*path, "label"), raw.get("label"), required=True)
    label_en = _text(manifest, (*path, "label_en"), raw.get("label_en"))
    for bound in ("min", "max"):
        if bound in raw and not _number(raw[bound]):
            manifest.problem((*path, bound), "a number")
            ok = False
    if "max" not in raw and not last:
        manifest.problem((*path, "max"), "every band but the last has a max")
        ok = False
    if _number(raw.get("min")) and _number(raw.get("max")) and raw["min"] > raw["max"]:
        manifest.problem((*path, "min"), "above the band's max")
        ok = False
    colour = raw.get("colour")
    if colour is not None and not (isinstance(colour, str) and _COLOUR.match(colour)):
        manifest.problem((*path, "colour"), "a colour written #RRGGBB")
        ok = False
    elif colour is None and coloured:
        manifest.problem((*path, "colour"), "this kind of panel colours by band: a colour #RRGGBB")
        ok = False
    if not isinstance(raw.get("emphasis", False), bool):
        manifest.problem((*path, "emphasis"), "true or false")
        ok = False
    if not ok or label is None:
        return None
    return Band(
        label=label,
        label_en=label_en or label,
        min=float(raw["min"]) if "min" in raw else None,
        max=float(raw["max"]) if "max" in raw else None,
        colour=colour,
        emphasis=bool(raw.get("emphasis", False)),
    )


def _read_bands(manifest: Manifest, path: KeyPath, raw: Any, kind: str) -> tuple[Band, ...] | None:
    if raw is None and kind == TABLE:
        return ()
    if not isinstance(raw, list) or not raw:
        manifest.problem(path, "the bands: [{max, label, label_en, colour}, ...]")
        return None
    bands = [
        _read_band(manifest, (*path, i), b, coloured=kind != TABLE, last=i == len(raw) - 1)
        for i, b in enumerate(raw)
    ]
    if any(b is None for b in bands):
        return None
    found = tuple(b for b in bands if b is not None)
    maxima = [b.max for b in found if b.max is not None]
    if any(a >= b for a, b in itertools.pairwise(maxima)):
        manifest.problem(path, "the bands' max increase from band to band")
        return None
    return found


def _read_columns(manifest: Manifest, path: KeyPath, raw: Any, kind: str) -> dict[str, str] | None:
    if raw is None:
        return {}
    allowed = COLUMNS[kind]
    if not isinstance(raw, dict):
        manifest.problem(path, f"a table of headings: {{{', '.join(allowed)}}}")
        return None
    ok = True
    for key, value in raw.items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            manifest.problem((*path, key), f"not a column of a {kind} panel (its columns: {known})")
            ok = False
        elif not isinstance(value, str) or not value:
            manifest.problem((*path, key), "a heading (text)")
            ok = False
    return dict(raw) if ok else None


def _only_for(manifest: Manifest, path: KeyPath, raw: Mapping[str, Any], kind: str) -> bool:
    wrong = [key for key in ("map_title", "map_title_en") if key in raw and kind != MAP]
    wrong += [key for key in ("sort",) if key in raw and kind == MAP]
    for key in wrong:
        manifest.problem((*path, key), f"not a key of a {kind} panel")
    return not wrong


def _read_panel(manifest: Manifest, index: int, raw: Any) -> Panel | None:
    path: KeyPath = ("dashboard", "panels", index)
    if not isinstance(raw, dict):
        manifest.problem(path, "a table is expected")
        return None
    ok = True
    for key in sorted(set(raw) - _PANEL_KEYS):
        manifest.problem((*path, key), f"not a key of a panel ({', '.join(sorted(_PANEL_KEYS))})")
        ok = False
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        manifest.problem((*path, "key"), "a key of lower-case letters, digits and _ is required")
        ok = False
    kind = raw.get("kind")
    if kind not in KINDS:
        manifest.problem((*path, "kind"), f"one of {', '.join(KINDS)}")
        return None
    title = _text(manifest, (*path, "title"), raw.get("title"), required=True)
    title_en = _text(manifest, (*path, "title_en"), raw.get("title_en"))
    map_title = _text(manifest, (*path, "map_title"), raw.get("map_title"))
    map_title_en = _text(manifest, (*path, "map_title_en"), raw.get("map_title_en"))
    refs = {
        name: _text(manifest, (*path, name), raw.get(name), required=name != "band_property")
        for name in ("thing_kind", "property", "band_property")
    }
    digits = raw.get("digits")
    if digits is not None and (
        isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= _MAX_DIGITS
    ):
        manifest.problem((*path, "digits"), f"the decimals shown, 0 to {_MAX_DIGITS}")
        ok = False
    sort = raw.get("sort", "value")
    if sort not in SORTS:
        manifest.problem((*path, "sort"), f"one of {', '.join(SORTS)}")
        ok = False
    order = raw.get("order", DEFAULT_ORDER)
    if isinstance(order, bool) or not isinstance(order, int):
        manifest.problem((*path, "order"), "a whole number (panels are drawn by it)")
        ok = False
    bands = _read_bands(manifest, (*path, "bands"), raw.get("bands"), kind)
    columns = _read_columns(manifest, (*path, "columns"), raw.get("columns"), kind)
    columns_en = _read_columns(manifest, (*path, "columns_en"), raw.get("columns_en"), kind)
    ok = _only_for(manifest, path, raw, kind) and ok
    if (
        not ok
        or title is None
        or bands is None
        or columns is None
        or columns_en is None
        or refs["thing_kind"] is None
        or refs["property"] is None
        or ("band_property" in raw and refs["band_property"] is None)
    ):
        return None
    headings = tuple(
        (name, columns.get(name, zh), columns_en.get(name, columns.get(name, en)))
        for name, (zh, en) in COLUMNS[kind].items()
    )
    return Panel(
        pack=manifest.name,
        index=index,
        key=str(key),
        kind=kind,
        title=title,
        title_en=title_en or title,
        map_title=map_title or title,
        map_title_en=map_title_en or map_title or title_en or title,
        thing_kind=refs["thing_kind"],
        property=refs["property"],
        band_property=refs["band_property"],
        bands=bands,
        digits=digits,
        sort=str(sort),
        order=int(order),
        columns=headings,
    )


def read_section(manifest: Manifest) -> DashboardContent | None:
    section = manifest.data.get("dashboard")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - {"panels"}:
        manifest.problem(("dashboard",), "[dashboard] holds [[dashboard.panels]] only")
        return None
    raw = section.get("panels", [])
    if not isinstance(raw, list):
        manifest.problem(("dashboard", "panels"), "an array of tables: [[dashboard.panels]]")
        return None
    found = [p for i, e in enumerate(raw) if (p := _read_panel(manifest, i, e)) is not None]
    keys: set[str] = set()
    for panel in found:
        if panel.key in keys:
            manifest.problem(("dashboard", "panels", panel.index, "key"), "the key repeats")
        keys.add(panel.key)
    return DashboardContent(tuple(found))


def check_section(
    _session: Session | None,
    manifest: Manifest,
    content: DashboardContent,
    provided: Mapping[str, frozenset[str]],
) -> None:
    """A panel's kind of thing and properties are this pack's (what the sensing section
    provides: its kinds, its properties, and each kind's streams as ``kind.property``)."""
    kinds = provided.get("sensing.kind", frozenset())
    properties = provided.get("sensing.property", frozenset())
    streams = provided.get("sensing.stream", frozenset())
    for panel in content.panels:
        path: KeyPath = ("dashboard", "panels", panel.index)
        if panel.thing_kind not in kinds:
            known = ", ".join(sorted(kinds)) or "none"
            manifest.problem(
                (*path, "thing_kind"),
                f"no kind {panel.thing_kind!r} in this pack's [kinds] (its kinds: {known})",
            )
            continue
        for name in ("property", "band_property"):
            key = getattr(panel, name)
            if key is None:
                continue
            if key not in properties:
                manifest.problem((*path, name), f"no property {key!r} in this pack's [properties]")
            elif f"{panel.thing_kind}.{key}" not in streams:
                manifest.problem(
                    (*path, name),
                    f"the kind {panel.thing_kind} has no stream of {key!r} (measured or computed)",
                )


def install_section(
    _session: Session,
    _actor: Actor,
    _manifest: Manifest,
    _content: DashboardContent,
    _report: InstallReport,
    _options: InstallOptions,
) -> None:
    """Nothing to store: the page reads the panels of the installed packs as they are found."""


def summary(content: DashboardContent) -> dict[str, int]:
    return {"panels": len(content.panels)}


registry.register_section(
    registry.Section(
        engine=ENGINE,
        keys=("dashboard",),
        read=read_section,
        check=check_section,
        install=install_section,
        summary=summary,
        title="监测预警",
        after=("sensing",),  # its panels show what the sensing section installs
    )
)


# --- the panels of the installed packs ---------------------------------------------------------


def declared() -> dict[str, tuple[Panel, ...]]:
    """The panels of every pack found, by pack name."""
    return {name: c.panels for name, c in registry.declared("dashboard", read_section).items()}


def installed_panels(session: Session) -> list[Panel]:
    """The panels of the packs found that are installed here, by ``order`` (then pack and
    position in the pack)."""
    names = {row.name for row in registry.installed(session)}
    panels = [p for name, own in declared().items() if name in names for p in own]
    return sorted(panels, key=lambda p: (p.order, p.pack, p.index))
