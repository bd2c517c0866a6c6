"""Reading GeoReport v2 parameters: form-encoded requests with ``attribute[code]`` answers,
w3 datetimes, comma-delimited lists, coordinates and the 90-day window of ``GET requests``.
Each reader collects problems instead of stopping at the first, so a client hears about all
of them at once."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yiwang.cases.open311.jurisdictions import Jurisdiction
from yiwang.cases.open311.port import STATUSES, Category, Status, Submission
from yiwang.cases.open311.render import CHINA
from yiwang.core import geo

MAX_SPAN = dt.timedelta(days=90)
MAX_RESULTS = 1000
DESCRIPTION_LIMIT = 4000
# Longest value of each optional text field of POST requests.
TEXT_LIMITS = {
    "address_string": 500,
    "address_id": 200,
    "email": 254,
    "device_id": 200,
    "account_id": 200,
    "first_name": 100,
    "last_name": 100,
    "phone": 50,
    "media_url": 2000,
    "description": DESCRIPTION_LIMIT,
}
# Values of our extension parameter ``location_confirmed`` that confirm the point when the
# address names another city (anything else does not).
CONFIRMED = frozenset({"true", "1", "yes"})
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Problem = tuple[str, dict[str, Any]]


@dataclass
class Problems:
    """Problems found so far, as message codes with their parameters."""

    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, /, **params: Any) -> None:
        self.items.append((message, params))

    def __bool__(self) -> bool:
        return bool(self.items)


def text(values: Mapping[str, str], name: str) -> str | None:
    """A parameter with surrounding blanks removed; empty counts as absent (the spec's
    "optional" rule)."""
    value = values.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def split_list(values: Iterable[str]) -> list[str]:
    """Comma-delimited values, from one or several occurrences of a parameter, in order and
    without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return list(seen)


def parse_w3(value: str, name: str, problems: Problems) -> dt.datetime | None:
    """A w3 datetime with its offset (``2010-01-01T00:00:00Z``); a bare date is midnight in
    China. None, with a problem recorded, for anything else."""
    raw = value.strip()
    try:
        if _DATE_ONLY.match(raw):
            return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), CHINA)
        moment = dt.datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in raw.upper():
        problems.add("open311.bad_datetime", field=name, value=value)
        return None
    return moment


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.datetime
    end: dt.datetime


def request_window(
    start_value: str | None, end_value: str | None, *, now: dt.datetime, problems: Problems
) -> Window | None:
    """The span of ``GET requests``: both ends as given, or the 90 days up to ``end_date``
    (now by default), or the 90 days from ``start_date``; never more than 90 days."""
    start = parse_w3(start_value, "start_date", problems) if start_value else None
    end = parse_w3(end_value, "end_date", problems) if end_value else None
    if problems:
        return None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None  # noqa: S101  (one of them is set here)
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if start > end:
        problems.add("open311.date_order")
        return None
    if end - start > MAX_SPAN:
        problems.add("open311.date_span", days=MAX_SPAN.days)
        return None
    return Window(start, end)


def parse_statuses(values: Iterable[str], problems: Problems) -> list[Status]:
    """The statuses asked for; empty when all are (no filter)."""
    found: list[Status] = []
    for value in split_list(values):
        status = next((s for s in STATUSES if s == value.lower()), None)
        if status is None:
            problems.add("open311.bad_status", value=value)
        elif status not in found:
            found.append(status)
    return found if set(found) != set(STATUSES) else []


def parse_int(
    value: str | None, name: str, default: int, *, low: int, high: int, problems: Problems
) -> int:
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        problems.add("open311.bad_integer", field=name, value=value, low=low, high=high)
        return default
    return number


def attribute_answers(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``attribute[code]=v`` and ``attribute[code][]=v`` pairs, by code, in order."""
    answers: dict[str, list[str]] = {}
    for key, value in items:
        match = _ATTRIBUTE.match(key)
        if match:
            answers.setdefault(match.group(1), []).append(value)
    return answers


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def check_attributes(
    category: Category, answers: Mapping[str, Sequence[str]], problems: Problems
) -> dict[str, str | tuple[str, ...]]:
    """The answers to the category's questions, checked against their definitions."""
    known = {a.code: a for a in category.attributes}
    problems.items.extend(
        ("open311.attribute_unknown", {"code": code}) for code in answers if code not in known
    )
    checked: dict[str, str | tuple[str, ...]] = {}
    for attribute in sorted(category.attributes, key=lambda a: a.order):
        if not attribute.variable:
            continue
        given = [v.strip() for v in answers.get(attribute.code, ()) if v.strip()]
        code = attribute.code
        if not given:
            if attribute.required:
                problems.add(
                    "open311.attribute_required", code=code, description=attribute.description
                )
            continue
        keys = {v.key for v in attribute.values}
        if attribute.datatype == "multivaluelist":
            wrong = [v for v in given if v not in keys]
            for value in wrong:
                problems.add("open311.attribute_not_in_list", code=code, value=value)
            checked[code] = tuple(dict.fromkeys(given))
            continue
        if len(given) > 1:
            problems.add("open311.attribute_single", code=code)
            continue
        value = given[0]
        if attribute.datatype == "singlevaluelist" and value not in keys:
            problems.add("open311.attribute_not_in_list", code=code, value=value)
        elif attribute.datatype == "number" and not _is_number(value):
            problems.add("open311.attribute_number", code=code, value=value)
        elif attribute.datatype == "datetime" and not _is_datetime(value):
            problems.add("open311.attribute_datetime", code=code, value=value)
        elif attribute.datatype == "string" and ("\n" in value or "\r" in value):
            problems.add("open311.attribute_line_break", code=code)
        checked[code] = value
    return checked


def _coordinate(value: str, name: str, low: float, high: float, problems: Problems) -> float | None:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        problems.add("open311.bad_coordinate", field=name, value=value)
        return None
    return number


def submission(
    form: Mapping[str, str],
    answers: Mapping[str, Sequence[str]],
    *,
    category: Category,
    jurisdiction: Jurisdiction,
    problems: Problems,
) -> Submission | None:
    """A POST request's form as a complaint to file, its location placed in a city; None
    (with the problems recorded) if it cannot be filed."""
    values = {name: text(form, name) for name in TEXT_LIMITS}
    for name, limit in TEXT_LIMITS.items():
        value = values[name]
        if value is not None and len(value) > limit:
            problems.add("open311.too_long", field=name, max=limit)
    lat_text, long_text = text(form, "lat"), text(form, "long")
    lat = lon = None
    if (lat_text is None) != (long_text is None):
        problems.add("open311.lat_long_pair")
    elif lat_text is not None and long_text is not None:
        lat = _coordinate(lat_text, "lat", -90, 90, problems)
        lon = _coordinate(long_text, "long", -180, 180, problems)
    elif values["address_string"] is None and values["address_id"] is None:
        problems.add("open311.location_missing")
    division = jurisdiction.division_code
    if lat is not None and lon is not None:
        city = geo.city_of(lon, lat)
        if city is None or (not jurisdiction.is_province and city != jurisdiction.division_code):
            problems.add(
                "open311.outside_jurisdiction", lat=lat, long=lon, jurisdiction=jurisdiction.name
            )
        else:
            division = city
    checked = check_attributes(category, answers, problems)
    if problems:
        return None
    return Submission(
        service_code=category.code,
        division_code=division,
        lat=lat,
        lon=lon,
        address_string=values["address_string"],
        address_id=values["address_id"],
        attributes=checked,
        description=values["description"],
        media_url=values["media_url"],
        email=values["email"],
        phone=values["phone"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        device_id=values["device_id"],
        account_id=values["account_id"],
        location_confirmed=(text(form, "location_confirmed") or "").lower() in CONFIRMED,
    )
