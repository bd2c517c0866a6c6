"""Column types, and the conversion of cell values to them: from text (CSV) and from typed cells
(workbooks, JSON), a value at a time or a whole column in C loops; and the inference of a
column's type from a sample."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any


class ColumnType(StrEnum):
    """The type of a column, named as in the API."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TEXT = "text"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


def converter(type_: ColumnType) -> Callable[[str], object]:
    """Return the function that reads a text value as ``type_`` the way a declared column is
    read: it returns the value (None for blank text) or raises ValueError."""
    return _from_text(type_, loose=True)


_INT_MAX = 10**18 - 1  # fits a 64-bit column
_BIT = "bit"  # the kind of 0 and 1, which integer and boolean columns both accept

# A converter returns the value (None for an empty cell) or raises one of _UNFIT.
_Convert = Callable[[Any], object]
_UNFIT = (ValueError, TypeError, LookupError, ArithmeticError)
_ConvertColumn = Callable[[Sequence[Any]], Sequence[object]]  # the same, for a whole column

_INT_STRICT = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,17})")
_INT_LOOSE = re.compile(r"[+-]?0*[0-9]{1,18}")
_INT_SAMPLE = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,14})")  # longer runs of digits are identifiers
_DEC_STRICT = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DEC_LOOSE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_NUMERIC = re.compile(
    r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])"
)
_DATE_CHINESE = re.compile(
    r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]?"
)
_DATE_COMPACT = re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_TIME = re.compile(
    r"(?:[Tt]|\s+)?"
    r"(?:(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?"
    r"|(?P<cH>[0-9]{1,2})\s*[时点]\s*(?:(?P<cM>[0-9]{1,2})\s*分\s*(?:(?P<cS>[0-9]{1,2})\s*秒)?)?)"
    r"\s*(?P<z>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_BOOLEANS = {
    "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
    "是": True, "否": False, "1": True, "0": False,
}  # fmt: skip
# A column of booleans is converted by dict lookups, so this holds the usual spellings.
_BOOLEAN_SPELLINGS: dict[str, bool | None] = {"": None} | {
    spelling: value
    for word, value in _BOOLEANS.items()
    for spelling in (word, word.upper(), word.title())
}

_TYPE_NAMES = {
    ColumnType.INTEGER: ("整数", "an integer"),
    ColumnType.DECIMAL: ("数值", "a number"),
    ColumnType.BOOLEAN: ("布尔值（是/否）", "a boolean (true/false, 是/否)"),
    ColumnType.DATE: ("日期", "a date"),
    ColumnType.DATETIME: ("日期时间", "a date-time"),
    ColumnType.TEXT: ("文本", "text"),
}


def _parse_temporal(text: str, *, compact: bool) -> date | datetime | None:
    """Return the date or date-time written in ``text`` (already stripped), or None; raise
    ValueError for a date not in the calendar. ``compact`` also accepts ``20251001``."""
    match = _DATE_NUMERIC.match(text) or _DATE_CHINESE.match(text)
    if match is None and compact:
        match = _DATE_COMPACT.fullmatch(text)
    if match is None:
        return None
    day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    rest = text[match.end() :]
    if not rest:
        return day
    clock = _TIME.fullmatch(rest)
    if clock is None:
        return None
    if clock["H"] is not None:
        hour, minute, second = int(clock["H"]), int(clock["M"]), int(clock["S"] or 0)
        micro = int((clock["f"] or "0")[:6].ljust(6, "0"))
    else:
        hour, minute, second = int(clock["cH"]), int(clock["cM"] or 0), int(clock["cS"] or 0)
        micro = 0
    return datetime.combine(day, time(hour, minute, second, micro, tzinfo=_zone(clock["z"])))


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in "Zz":
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if text[0] == "-" else offset)


def _number_from_text(pattern: re.Pattern[str], number: Callable[[str], object]) -> _Convert:
    def convert(value: str) -> object:
        text = value.strip()
        if not text:
            return None
        if pattern.fullmatch(text) is None:
            raise ValueError(value)
        return number(text)

    return convert


def _boolean_from_text(value: str) -> bool | None:
    text = value.strip()
    if not text:
        return None
    answer = _BOOLEANS.get(text.lower())
    if answer is None:
        raise ValueError(value)
    return answer


def _date_from_text(value: str) -> date | None:
    with suppress(ValueError):
        return date.fromisoformat(value)
    text = value.strip()
    if not text:
        return None
    parsed = _parse_temporal(text, compact=True)
    if isinstance(parsed, datetime) and parsed.tzinfo is None and parsed.time() == time():
        return parsed.date()
    if parsed is None or isinstance(parsed, datetime):
        raise ValueError(value)
    return parsed


def _datetime_from_text(value: str) -> datetime | None:
    with suppress(ValueError):
        return datetime.fromisoformat(value)
    text = value.strip()
    if not text:
        return None
    parsed = _parse_temporal(text, compact=True)
    if parsed is None:
        raise ValueError(value)
    if isinstance(parsed, datetime):
        return parsed
    return datetime.combine(parsed, time())


def _text_from_text(value: str) -> str | None:
    # No line ends to remove: the CSV reader takes CR LF, and a CR inside quotes is the text's.
    return None if not value or value.isspace() else value


def _from_text(type_: ColumnType, *, loose: bool) -> _Convert:
    """Return the converter of a cell read as text. ``loose`` (declared columns) accepts
    leading zeros in numbers; an inferred column refuses them, to widen to TEXT instead."""
    if type_ is ColumnType.INTEGER:
        return _number_from_text(_INT_LOOSE if loose else _INT_STRICT, int)
    if type_ is ColumnType.DECIMAL:
        return _number_from_text(_DEC_LOOSE if loose else _DEC_STRICT, Decimal)
    return {
        ColumnType.BOOLEAN: _boolean_from_text,
        ColumnType.DATE: _date_from_text,
        ColumnType.DATETIME: _datetime_from_text,
        ColumnType.TEXT: _text_from_text,
    }[type_]


def _each(convert: _Convert, column: Sequence[object]) -> list[object]:
    return list(map(convert, column))


# Bulk converters take a whole column of text cells and use loops in C only. They accept the
# plain spellings (anything else raises ValueError and goes through the full converters): for
# numbers, ASCII digits with an optional minus sign and no leading zero, as in "-12" or "0.5".


def _check_plain_numbers(column: Sequence[str], *, point: bool) -> None:
    """Raise ValueError unless every cell is ASCII digits (and points, with ``point``) after an
    optional minus sign, with no leading zero."""
    joined = "\n".join(column)
    digits = "".join(column)
    signed = "-" in joined
    if signed:  # int() and Decimal() refuse a minus sign anywhere but first
        joined, digits = joined.replace("-", ""), digits.replace("-", "")
    if point:
        digits = digits.replace(".", "")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("not plain numbers")
    zeros = joined.count("\n0") + joined.startswith("0") - column.count("0")
    if signed:
        zeros -= column.count("-0")
    if point and zeros:
        zeros -= joined.count("\n0.") + joined.startswith("0.")
    if zeros:
        raise ValueError("a leading zero")


def _integers(column: Sequence[str]) -> list[int]:
    _check_plain_numbers(column, point=False)
    numbers = list(map(int, column))
    if max(numbers) > _INT_MAX or min(numbers) < -_INT_MAX:
        raise ValueError("an integer too large")
    return numbers


def _decimals(column: Sequence[str]) -> list[Decimal]:
    _check_plain_numbers(column, point=True)
    return list(map(Decimal, column))  # "-", "." and "1.2.3" raise InvalidOperation


_NO_TEXT = {"": None}


def _texts(column: Sequence[str]) -> Sequence[str | None]:
    if any(map(str.isspace, column)):
        raise ValueError("blank cells")
    if "" in column:
        return list(map(_NO_TEXT.get, column, column))
    return column


def _empty_as_none(bulk: _ConvertColumn) -> _ConvertColumn:
    """Return ``bulk`` reading empty cells as None, still in C loops: it converts the other
    cells, then looks every cell up in a dict of the results."""

    def convert(column: Sequence[str]) -> Sequence[object]:
        if "" not in column:
            return bulk(column)
        filled = tuple(filter(None, column))
        if not filled:
            return [None] * len(column)
        return list(map(dict(zip(filled, bulk(filled), strict=True)).get, column))

    return convert


_BULK_FROM_TEXT: dict[ColumnType, _ConvertColumn] = {
    ColumnType.INTEGER: _empty_as_none(_integers),
    ColumnType.DECIMAL: _empty_as_none(_decimals),
    ColumnType.BOOLEAN: partial(_each, _BOOLEAN_SPELLINGS.__getitem__),  # "" is in there
    ColumnType.DATE: _empty_as_none(partial(_each, date.fromisoformat)),
    ColumnType.DATETIME: _empty_as_none(partial(_each, datetime.fromisoformat)),
    ColumnType.TEXT: _texts,
}


def _integral(number: float | Decimal) -> int:
    if not math.isfinite(number) or not -_INT_MAX <= number <= _INT_MAX or number != int(number):
        raise ValueError(number)
    return int(number)


def _integer_from_object(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int) and -_INT_MAX <= value <= _INT_MAX:
        return value
    if isinstance(value, float | Decimal):
        return _integral(value)
    raise ValueError(value)


def _decimal_from_object(value: object) -> Decimal:
    if type(value) is int:
        return Decimal(value)
    if type(value) is float and math.isfinite(value):
        return Decimal(repr(value))  # the shortest spelling: 0.1, not 0.1000000000000000055...
    if isinstance(value, Decimal) and value.is_finite():
        return value
    raise ValueError(value)


def _boolean_from_object(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    raise ValueError(value)


def _date_from_object(value: object) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time():
            return value.date()
        raise ValueError(value)
    if isinstance(value, date):
        return value
    raise ValueError(value)


def _datetime_from_object(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise ValueError(value)


def _text_from_object(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


_FROM_OBJECT: dict[ColumnType, _Convert] = {
    ColumnType.INTEGER: _integer_from_object,
    ColumnType.DECIMAL: _decimal_from_object,
    ColumnType.BOOLEAN: _boolean_from_object,
    ColumnType.DATE: _date_from_object,
    ColumnType.DATETIME: _datetime_from_object,
    ColumnType.TEXT: _text_from_object,
}


def _from_object(type_: ColumnType, *, loose: bool) -> _Convert:
    """Return the converter of a typed cell (a workbook or JSON value), which may be text."""
    from_text = _from_text(type_, loose=loose)
    from_object = _FROM_OBJECT[type_]

    def convert(value: object) -> object:
        if value is None:
            return None
        if type(value) is str:
            return from_text(value)
        return from_object(value)

    return convert


def _kind_of(value: object) -> str | None:
    """Return the narrowest type a value suggests (a ColumnType, or ``_BIT`` for 0 and 1), or
    None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return _kind_of_text(value)
    if isinstance(value, bool):
        return ColumnType.BOOLEAN
    if isinstance(value, int | float | Decimal):
        return _kind_of_number(value)
    if isinstance(value, datetime):
        midnight = value.tzinfo is None and value.time() == time()
        return ColumnType.DATE if midnight else ColumnType.DATETIME
    return ColumnType.DATE if isinstance(value, date) else ColumnType.TEXT


def _kind_of_number(value: float | Decimal) -> str:
    if not math.isfinite(value):
        return ColumnType.TEXT
    if not -_INT_MAX <= value <= _INT_MAX or value != int(value):
        return ColumnType.DECIMAL
    return _BIT if value in (0, 1) else ColumnType.INTEGER


def _kind_of_text(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if _INT_SAMPLE.fullmatch(text):
        return _BIT if text in ("0", "1") else ColumnType.INTEGER
    if text.lower() in _BOOLEANS:
        return ColumnType.BOOLEAN
    # A number needs a fraction or an exponent: a long run of digits is an identifier, and
    # leading zeros (area codes, division codes) never make a number.
    if _DEC_STRICT.fullmatch(text) and any(c in text for c in ".eE"):
        return ColumnType.DECIMAL
    try:
        parsed = _parse_temporal(text, compact=False)
    except ValueError:  # 2025-02-30 looks like a date and is not one
        parsed = None
    if parsed is None:
        return ColumnType.TEXT
    return ColumnType.DATETIME if isinstance(parsed, datetime) else ColumnType.DATE


_INFERENCE = (
    (ColumnType.INTEGER, {ColumnType.INTEGER, _BIT}),
    (ColumnType.BOOLEAN, {ColumnType.BOOLEAN, _BIT}),  # 0 and 1 alone stay integers
    (ColumnType.DECIMAL, {ColumnType.INTEGER, _BIT, ColumnType.DECIMAL}),
    (ColumnType.DATE, {ColumnType.DATE}),
    (ColumnType.DATETIME, {ColumnType.DATE, ColumnType.DATETIME}),
)


def _infer(kinds: set[str]) -> ColumnType:
    """Return the narrowest type that holds values of all these kinds."""
    if kinds:
        for type_, allowed in _INFERENCE:
            if kinds <= allowed:
                return type_
    return ColumnType.TEXT


def _widened(type_: ColumnType, value: object) -> ColumnType:
    kind = _kind_of(value)
    if type_ is ColumnType.INTEGER and kind == ColumnType.DECIMAL:
        return ColumnType.DECIMAL
    if type_ is ColumnType.DATE and kind == ColumnType.DATETIME:
        return ColumnType.DATETIME
    return ColumnType.TEXT


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else _text_from_object(value)
    return text if len(text) <= 40 else text[:39] + "…"
