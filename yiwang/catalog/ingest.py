"""Read an uploaded table (CSV, XLSX, JSON, NDJSON) as typed rows for the datastore loader.

:func:`open_table` reads the header and a sample, and raises :class:`IngestError` at once for a
file that cannot be read at all (format, size, encoding, header). :meth:`Table.rows` then streams
the rows in constant memory, converted to Python values in column order, and raises
:class:`IngestError` naming the rows and columns of the first problems, or :class:`WidenColumn`
when a value does not fit a type that was only inferred. The module knows nothing of the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import operator
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import EN, ZH, add_messages, translate

add_messages(
    {
        "catalog.bad_file": {
            ZH: "文件无法载入：{summary}",
            EN: "The file cannot be loaded: {summary}",
        }
    }
)


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. ``row`` is the number the user sees: the line of a CSV or
    NDJSON file, the sheet row of a workbook, the record number in a JSON array."""

    row: int | None
    column: str | None
    message_zh: str
    message_en: str


class IngestError(InvalidInput):
    """Raised for any file that cannot be loaded; carries up to 10 problems, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems[:_MAX_PROBLEMS])
        super().__init__(
            "catalog.bad_file",
            summary=self.problems[0].message_zh,
            details=[
                {
                    "row": p.row,
                    "column": p.column,
                    "message": p.message_zh,
                    "message_en": p.message_en,
                }
                for p in self.problems
            ],
        )

    def message(self, language: str) -> str:
        first = self.problems[0]
        summary = first.message_en if language == EN else first.message_zh
        return translate(self.code, language, {"summary": summary})


class WidenColumn(Exception):
    """Raised by :meth:`Table.rows` when a value does not fit a type that was inferred (not
    declared): the loader starts again with ``column`` read as ``to`` (TEXT; DECIMAL for an
    integer column that met a fraction; DATETIME for a date column that met a time).
    ``changes`` holds every column of that row that needs a wider type, ``column`` first."""

    def __init__(self, changes: Mapping[str, ColumnType], *, row: int | None) -> None:
        self.changes = dict(changes)
        self.column, self.to = next(iter(self.changes.items()))
        self.row = row
        super().__init__(f"row {row}: read column {self.column!r} as {self.to}")


def converter(type_: ColumnType) -> Callable[[str], object]:
    """Return the function that reads a text value as ``type_`` the way a declared column is
    read: it returns the value (None for blank text) or raises ValueError."""
    return _from_text(type_, loose=True)


# -- Messages ----------------------------------------------------------------------------------

_MAX_PROBLEMS = 10
_SCAN_AFTER_PROBLEM = 1000  # rows read after the first problem, looking for more

# Texts of problems, Chinese and English. {at_zh}/{at_en} name a row as the format counts them.
_TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("文件为空", "the file is empty"),
    "unsupported": (
        "不支持“{suffix}”格式的文件，请上传 CSV（.csv、.tsv、.txt）、Excel（.xlsx）、"
        "JSON（.json）或 NDJSON（.ndjson、.jsonl）文件",
        "files of type {suffix!r} are not supported; upload CSV (.csv, .tsv, .txt), "
        "Excel (.xlsx), JSON (.json) or NDJSON (.ndjson, .jsonl)",
    ),
    "too_large": (
        "文件大小 {size} 超过上限 {limit}",
        "the file size {size} exceeds the limit of {limit}",
    ),
    "not_text": (
        "文件含有空字节，不是文本文件（Excel 工作簿请以 .xlsx 上传，UTF-16 文本请另存为 UTF-8）",
        "the file has NUL bytes, so it is not a text file (upload Excel workbooks as .xlsx, and "
        "save UTF-16 text as UTF-8)",
    ),
    "unknown_encoding": (
        "第 {row} 行有既非 UTF-8 也非 GB18030（GBK）编码的字节，请将文件另存为 UTF-8",
        "line {row} has bytes that are neither UTF-8 nor GB18030 (GBK); save the file as UTF-8",
    ),
    "undecodable": (
        "第 {row} 行有不符合 {encoding} 编码的字节，文件可能已损坏或混用了多种编码",
        "line {row} has bytes that are not valid {encoding}; the file may be damaged or mix "
        "encodings",
    ),
    "unparsable": ("第 {row} 行无法解析：{error}", "line {row} cannot be parsed: {error}"),
    "blank_header": ("第 {position} 列的表头为空", "the header of column {position} is empty"),
    "repeated_header": (
        "第 {position} 列的表头“{column}”与第 {first} 列重复",
        "the header of column {position}, {column}, repeats column {first}",
    ),
    "missing_column": (
        "表头缺少声明的列“{column}”",
        "the header lacks the declared column {column}",
    ),
    "unexpected_column": (
        "表头中的列“{column}”不在声明的结构中",
        "the header has a column {column} that is not in the declared schema",
    ),
    "ragged": (
        "{at_zh}有 {cells} 列，表头有 {width} 列",
        "{at_en} has {cells} cells, the header has {width}",
    ),
    "unfit": (
        "{at_zh}“{column}”列：值“{value}”不是{type_zh}",
        "{at_en}, column {column}: {value!r} is not {type_en}",
    ),
    "workbook": (
        "无法读取 Excel 工作簿（.xlsx）：{error}",
        "the file cannot be read as an Excel workbook (.xlsx): {error}",
    ),
    "merged_header": (
        "表头（第 {row} 行）有合并单元格 {ref}，请取消合并，使每列都有自己的表头",
        "the header (row {row}) has merged cells {ref}; unmerge them so that each column has "
        "its own header",
    ),
    "json_too_large": (
        "JSON 文件大小 {size} 超过 {limit}，请改用 NDJSON（每行一个 JSON 对象）上传",
        "JSON files over {limit} cannot be loaded (this one is {size}); upload NDJSON (one JSON "
        "object per line) instead",
    ),
    "not_records": (
        "JSON 文件应为对象数组，或含有 records 或 data 数组的对象",
        "a JSON file must hold an array of objects, or an object with a records or data array",
    ),
    "not_object": ("{at_zh}不是 JSON 对象", "{at_en} is not a JSON object"),
    "missing_keys": ("{at_zh}缺少字段{keys_zh}", "{at_en} lacks {keys_en}"),
    "extra_keys": ("{at_zh}多出字段{keys_zh}", "{at_en} has the unexpected {keys_en}"),
    "bad_json": ("{at_zh}不是有效的 JSON{where_zh}", "{at_en} is not valid JSON{where_en}"),
    "not_utf8": ("{at_zh}不是 UTF-8 编码", "{at_en} is not UTF-8"),
}


def _problem(
    key: str, *, row: int | None = None, column: str | None = None, **params: Any
) -> Problem:
    zh, en = _TEXTS[key]
    params.update(row=row, column=column)
    return Problem(row, column, zh.format(**params), en.format(**params))


def _at(at: tuple[str, str], row: int) -> tuple[str, str]:
    """Return how a format names a row, in Chinese and English."""
    return at[0].format(row), at[1].format(row)


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


# -- Values ------------------------------------------------------------------------------------

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


# -- Tables ------------------------------------------------------------------------------------

_BATCH = 256  # rows converted together, column by column; small enough to stay in the CPU cache
_Reading = Iterator[tuple[Iterator[Sequence[object]], Callable[[], int]]]


class _Reported(tuple[object, ...]):
    """Stands in the stream of rows for a row the source found wrong, with its problem."""

    problem: Problem

    def __new__(cls, problem: Problem) -> _Reported:
        reported = super().__new__(cls)
        reported.problem = problem
        return reported


@dataclass(frozen=True)
class _Request:
    path: Path
    declared: Sequence[Column] | None
    overrides: Mapping[str, ColumnType]
    sample_rows: int
    bytes_total: int
    tab_first: bool  # a .tsv file


class Table:
    """An opened upload: its columns, and its rows read on demand (each call to :meth:`rows`
    reads the file again from the start)."""

    source_format: ClassVar[str]
    _AT: ClassVar[tuple[str, str]] = ("第 {} 行", "row {}")
    _SPANS_LINES: ClassVar[bool] = False  # a CSV record may span lines, and is numbered by line
    _READ_ERRORS: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, request: _Request, columns: list[Column]) -> None:
        self.columns = columns
        self.encoding: str | None = None
        self.bytes_total = request.bytes_total
        self._path = request.path
        self._declared = request.declared is not None
        self._full = [self._converter(c.type, loose=self._declared) for c in columns]
        # Converters of a whole column at a time; a format may have quicker ones.
        self._bulk: list[_ConvertColumn] = [partial(_each, f) for f in self._full]
        self._progress: Callable[[], int] | None = None
        self._done = 0

    def _converter(self, type_: ColumnType, *, loose: bool) -> _Convert:
        return _from_object(type_, loose=loose)

    def bytes_read(self) -> int:
        """Return about how many bytes of the file the current :meth:`rows` has read."""
        progress = self._progress
        try:
            return progress() if progress is not None else self._done
        except ValueError:  # the file was closed meanwhile
            return self._done

    def rows(self) -> Iterator[tuple[object, ...]]:
        """Yield the rows, converted, in column order; None for an empty cell. Blank rows are
        skipped. Raise :class:`IngestError` after the first problems (up to 10, or 1,000 rows
        past the first), or :class:`WidenColumn` for a value that breaks an inferred type."""
        return self._rows()

    def batches(self, size: int = 5000) -> Iterator[list[tuple[object, ...]]]:
        """Yield the rows of :meth:`rows` in lists of ``size`` (the last one may be shorter)."""
        if size < 1:
            raise ValueError("batch size must be positive")
        with closing(self._rows()) as rows:
            while batch := list(islice(rows, size)):
                yield batch

    def _rows(self) -> Generator[tuple[object, ...], None, None]:
        problems: list[Problem] = []
        with self._reading() as (raw_rows, position):
            try:
                while batch := list(islice(raw_rows, _BATCH)):
                    rows = self._convert(batch)
                    if rows is None:  # some value needs a closer look
                        rows = self._check_rows(batch, position() - self._span(batch), problems)
                    if problems:
                        break
                    yield from rows
                scanned = 0
                while problems and len(problems) < _MAX_PROBLEMS and scanned < _SCAN_AFTER_PROBLEM:
                    if not (batch := list(islice(raw_rows, _BATCH))):
                        break
                    self._check_rows(batch, position() - self._span(batch), problems)
                    scanned += len(batch)
            except self._READ_ERRORS as exc:
                problems.append(self._read_problem(exc, position()))
        if problems:
            raise IngestError(problems)

    def _convert(self, batch: list[Sequence[object]]) -> list[tuple[object, ...]] | None:
        """Return the rows of a batch converted column by column (a loop in C for each), or
        None if a value does not fit, a row is ragged, or the source reported a row."""
        try:
            columns = list(zip(*batch, strict=True))
        except ValueError:
            return None
        if len(columns) != len(self._full):
            return None
        converted: list[Sequence[object]] = []
        for bulk, full, column in zip(self._bulk, self._full, columns, strict=True):
            try:
                converted.append(bulk(column))
            except _UNFIT:
                try:
                    converted.append(_each(full, column))
                except _UNFIT:
                    return None
        rows = list(zip(*converted, strict=True))
        blank = (None,) * len(columns)
        return [r for r in rows if r != blank] if blank in rows else rows

    def _span(self, batch: list[Sequence[object]]) -> int:
        """Return how many rows (CSV: lines) a batch took."""
        if self._SPANS_LINES:
            return len(batch) + sum(map(_line_breaks, batch))
        return len(batch)

    def _check_rows(
        self, batch: list[Sequence[object]], before: int, problems: list[Problem]
    ) -> list[tuple[object, ...]]:
        """Convert a batch row by row, after the row numbered ``before``; record problems
        (after the first, a value that would widen a column is not one)."""
        rows: list[tuple[object, ...]] = []
        number = before
        for raw in batch:
            row = number + 1
            number = row + (_line_breaks(raw) if self._SPANS_LINES else 0)
            checked = self._check(raw, row, problems)
            if len(problems) >= _MAX_PROBLEMS:
                break
            if checked is not None:
                rows.append(checked)
        return rows

    def _check(
        self, raw: Sequence[object], row: int, problems: list[Problem]
    ) -> tuple[object, ...] | None:
        """Convert one row, recording its problems; return None for a row to leave out."""
        if isinstance(raw, _Reported):
            problems.append(raw.problem)
            return None
        columns = self.columns
        if len(raw) != len(columns):
            if not all(map(_is_blank, raw)):
                problems.append(self._problem("ragged", row, cells=len(raw), width=len(columns)))
            return None
        values: list[object] = []
        unfit: list[int] = []
        for i, (full, value) in enumerate(zip(self._full, raw, strict=True)):
            try:
                values.append(full(value))
            except _UNFIT:
                unfit.append(i)
        if not unfit:
            return None if all(v is None for v in values) else tuple(values)
        if not self._declared:
            if not problems:
                changes = {columns[i].name: _widened(columns[i].type, raw[i]) for i in unfit}
                raise WidenColumn(changes, row=row)
            return None
        for i in unfit[: _MAX_PROBLEMS - len(problems)]:
            type_zh, type_en = _TYPE_NAMES[columns[i].type]
            problems.append(
                self._problem(
                    "unfit",
                    row,
                    columns[i].name,
                    value=_shown(raw[i]),
                    type_zh=type_zh,
                    type_en=type_en,
                )
            )
        return None

    def _problem(self, key: str, row: int, column: str | None = None, **params: Any) -> Problem:
        """Return a problem of a row, named as this format counts rows."""
        at_zh, at_en = _at(self._AT, row)
        return _problem(key, row=row, column=column, at_zh=at_zh, at_en=at_en, **params)

    def _read_problem(self, exc: Exception, row: int) -> Problem:
        """Return the problem of a file that cannot be read on from ``row``."""
        raise NotImplementedError

    @contextmanager
    def _reading(self) -> _Reading:
        """Open the file; yield its data rows (after the header), where a row the source found
        wrong is a ``_Reported``, and a function that returns the number of the last row read
        (the header's before the first)."""
        raise NotImplementedError
        yield


def _header_names(header: Sequence[object], *, row: int) -> list[str]:
    """Return the column names of a header, stripped; raise for blank or repeated ones."""
    names = [_text_from_object(v).strip() if v is not None else "" for v in header]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append(_problem("blank_header", row=row, position=position))
        elif name in seen:
            first = seen[name]
            problems.append(
                _problem("repeated_header", row=row, column=name, position=position, first=first)
            )
        else:
            seen[name] = position
    if problems:
        raise IngestError(problems)
    return names


def _columns(
    header: Sequence[object], *, row: int, request: _Request, sample: Iterable[Sequence[object]]
) -> list[Column]:
    """Return the columns of a header, typed by the declared schema, or by the overrides and
    the sample."""
    names = _header_names(header, row=row)
    if request.declared is not None:
        types = {c.name: c.type for c in request.declared}
        if len(types) != len(request.declared) or "" in types:
            raise ValueError("declared column names must be unique and not empty")
        problems = [_problem("missing_column", row=row, column=n) for n in types if n not in names]
        problems += [
            _problem("unexpected_column", row=row, column=n) for n in names if n not in types
        ]
        if problems:
            raise IngestError(problems)
        return [Column(n, types[n]) for n in names]
    unknown = set(request.overrides) - set(names)
    if unknown:
        raise ValueError(f"overrides name columns the file does not have: {sorted(unknown)}")
    kinds: list[set[str]] = [set() for _ in names]
    for values in sample:
        if len(values) == len(names):
            for found, value in zip(kinds, values, strict=True):
                if ColumnType.TEXT not in found and (kind := _kind_of(value)) is not None:
                    found.add(kind)
    return [
        Column(n, request.overrides.get(n) or _infer(k)) for n, k in zip(names, kinds, strict=True)
    ]


# -- CSV ---------------------------------------------------------------------------------------

_SNIFF_BYTES = 1 << 20
_DELIMITERS = (",", "\t", ";", "|")
_ASCII = bytes(range(128))


class _CsvTable(Table):
    source_format = "csv"
    _SPANS_LINES = True
    _READ_ERRORS = (UnicodeDecodeError, csv.Error)
    _delimiter: str
    _skip: int  # records up to and including the header

    def _converter(self, type_: ColumnType, *, loose: bool) -> _Convert:
        return _from_text(type_, loose=loose)

    @contextmanager
    def _reading(self) -> _Reading:
        with (
            self._path.open("rb") as binary,
            io.TextIOWrapper(binary, encoding=self.encoding, newline="") as text,
        ):
            reader = csv.reader(text, delimiter=self._delimiter)
            for _ in range(self._skip):
                next(reader)
            self._progress = binary.tell
            try:
                yield reader, lambda: reader.line_num
            finally:
                self._progress = None
                self._done = binary.tell()

    def _read_problem(self, exc: Exception, row: int) -> Problem:
        if isinstance(exc, UnicodeDecodeError):
            encoding = self.encoding or "utf-8"
            return _problem(
                "undecodable", row=_line_of_undecodable(self._path, encoding), encoding=encoding
            )
        return _problem("unparsable", row=row, error=exc)

    @classmethod
    def open(cls, request: _Request) -> _CsvTable:
        path = request.path
        encoding, sample = _sniff_encoding(path, request.bytes_total)
        delimiter = _sniff_delimiter(sample, tab_first=request.tab_first)
        with (
            path.open("rb") as binary,
            io.TextIOWrapper(binary, encoding=encoding, newline="") as text,
        ):
            reader = csv.reader(text, delimiter=delimiter)
            try:
                header, skip = _first_filled(reader)
            except UnicodeDecodeError:
                line = _line_of_undecodable(path, encoding)
                raise IngestError([_problem("undecodable", row=line, encoding=encoding)]) from None
            except csv.Error as exc:
                raise IngestError(
                    [_problem("unparsable", row=reader.line_num, error=exc)]
                ) from None
            header_line = reader.line_num - _line_breaks(header)
            sampled: list[Sequence[object]] = []
            with suppress(UnicodeDecodeError, csv.Error):  # rows() reports it, with its line
                sampled.extend(
                    islice((r for r in reader if len(r) == len(header)), request.sample_rows)
                )
        table = cls(request, _columns(header, row=header_line, request=request, sample=sampled))
        table.encoding, table._delimiter, table._skip = encoding, delimiter, skip
        table._bulk = [_BULK_FROM_TEXT[c.type] for c in table.columns]
        return table


def _first_filled(reader: Iterator[list[str]]) -> tuple[list[str], int]:
    """Return the first row with a value in it (the header), and how many records it took."""
    for count, row in enumerate(reader, start=1):
        if not all(map(_is_blank, row)):
            return row, count
    raise IngestError([_problem("empty")])


def _line_breaks(raw: Sequence[object]) -> int:
    """Return how many line breaks the cells of a record span (a quoted cell may hold some)."""
    return sum(_count_breaks(v) for v in raw if isinstance(v, str))


def _count_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _sniff_encoding(path: Path, size: int) -> tuple[str, str]:
    """Return the encoding of a text file (utf-8-sig, utf-16, utf-8 or gb18030) and its start,
    decoded, for sniffing the delimiter. The first 1 MiB decides or, when that is all ASCII,
    the 1 MiB from the first line that is not."""
    with path.open("rb") as binary:
        head = binary.read(_SNIFF_BYTES)
        at_end = binary.tell() >= size
        for bom, encoding in (
            (codecs.BOM_UTF8, "utf-8-sig"),
            (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"),
        ):
            if head.startswith(bom):
                return encoding, head.decode(encoding, errors="replace")
        if b"\0" in head:
            raise IngestError([_problem("not_text")])
        if at_end and not head.strip():
            raise IngestError([_problem("empty")])
        probe, line = head, 1
        if head.isascii() and not at_end:
            probe, line = _first_not_ascii(binary, lines_before=head.count(b"\n"))
            at_end = binary.tell() >= size
    encoding = _choose_encoding(probe, line=line, final=at_end)
    return encoding, head.decode(encoding, errors="replace")


def _first_not_ascii(binary: io.BufferedReader, *, lines_before: int) -> tuple[bytes, int]:
    """Read on to the first line with a byte that is not ASCII; return 1 MiB from the start of
    that line (nothing if there is none) and its line number."""
    while chunk := binary.read(_SNIFF_BYTES):
        if chunk.isascii():
            lines_before += chunk.count(b"\n")
            continue
        first = len(chunk) - len(chunk.lstrip(_ASCII))
        start = chunk.rfind(b"\n", 0, first) + 1
        lines_before += chunk.count(b"\n", 0, start)
        return chunk[start:] + binary.read(start), lines_before + 1
    return b"", lines_before + 1


def _choose_encoding(probe: bytes, *, line: int, final: bool) -> str:
    """Return utf-8 or gb18030, whichever decodes ``probe`` (which starts at ``line``)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(probe, final)
    except UnicodeDecodeError:
        # Mostly valid UTF-8 is a UTF-8 file with a damaged byte (reading it names the line),
        # not GB18030: GBK text is hardly ever valid UTF-8 for more than a character or two.
        text = probe.decode("utf-8", errors="replace")
        damaged = text.count("\ufffd")
        valid = len(text) - len(text.encode("ascii", errors="ignore")) - damaged
        if valid >= 8 and valid >= 4 * damaged:
            return "utf-8"
    else:
        return "utf-8"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(probe, final)
    except UnicodeDecodeError as exc:
        bad_line = line + probe.count(b"\n", 0, exc.start)
        raise IngestError([_problem("unknown_encoding", row=bad_line)]) from None
    return "gb18030"


def _line_of_undecodable(path: Path, encoding: str) -> int:
    """Return the line, as the CSV reader counts them, of the first bytes of the file that are
    not valid ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    breaks, after_cr = 0, False

    def count(text: str) -> None:
        nonlocal breaks, after_cr
        breaks += _count_breaks(text) - (after_cr and text[:1] == "\n")
        after_cr = text[-1:] == "\r" or (after_cr and not text)

    with path.open("rb") as binary:
        while chunk := binary.read(1 << 16):
            state = decoder.getstate()
            try:
                count(decoder.decode(chunk))
            except UnicodeDecodeError:
                decoder.setstate(state)  # and find the byte, one at a time
                try:
                    for i in range(len(chunk)):
                        count(decoder.decode(chunk[i : i + 1]))
                except UnicodeDecodeError:
                    break
    return breaks + 1


def _sniff_delimiter(sample: str, *, tab_first: bool) -> str:
    """Return the delimiter among , tab ; | that splits the first lines most consistently into
    more than one column (on a tie, the first of them; a comma if none does)."""
    lines = sample.splitlines(keepends=True)[:51]
    if len(lines) > 1:
        lines.pop()  # may be cut short
    candidates = ("\t", ",", ";", "|") if tab_first else _DELIMITERS
    best, best_score = candidates[0], 0.0
    for delimiter in candidates:
        rows: list[list[str]] = []
        with suppress(csv.Error):
            rows.extend(r for r in csv.reader(lines, delimiter=delimiter) if r)
        if rows and len(rows[0]) > 1:
            score = sum(len(r) == len(rows[0]) for r in rows) / len(rows)
            if score > best_score:
                best, best_score = delimiter, score
    return best


# -- XLSX --------------------------------------------------------------------------------------

_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([A-Za-z]+[0-9]+:[A-Za-z]+[0-9]+)"')
_MERGE_CELLS_END = re.compile(rb"</(?:\w+:)?mergeCells>")
_WORKBOOK_ERRORS = (
    zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ParseError, EOFError,
    TypeError, IndexError,
)  # fmt: skip


class _XlsxTable(Table):
    source_format = "xlsx"
    _READ_ERRORS = (zipfile.BadZipFile, ParseError, OSError, EOFError)
    _header_row: int
    _last_row: int | None  # as the sheet states it, for progress only

    @contextmanager
    def _reading(self) -> _Reading:
        width = len(self.columns)
        number = self._header_row
        first = number + 1

        def raw_rows(sheet: Any) -> Iterator[Sequence[object]]:
            nonlocal number  # read by the position function
            rows = sheet.iter_rows(min_row=first, values_only=True)
            for number, cells in enumerate(rows, first):  # noqa: B007
                yield _fit(cells, width)

        with self._path.open("rb") as binary:
            workbook = _open_workbook(binary)
            try:
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()
                last, total = self._last_row, self.bytes_total
                if last:
                    self._progress = lambda: min(number * total // last, total)
                yield raw_rows(sheet), lambda: number
            finally:
                self._progress = None
                self._done = total
                workbook.close()

    def _read_problem(self, exc: Exception, row: int) -> Problem:
        return _problem("workbook", row=row, error=type(exc).__name__)

    @classmethod
    def open(cls, request: _Request) -> _XlsxTable:
        with request.path.open("rb") as binary:
            workbook = _open_workbook(binary)
            try:
                if not workbook.worksheets:
                    raise IngestError([_problem("empty")])
                sheet = workbook.worksheets[0]
                last_row = sheet.max_row
                sheet.reset_dimensions()  # stated dimensions may be wrong: read every cell
                rows = enumerate(sheet.iter_rows(values_only=True), start=1)
                found = next(
                    ((n, cells) for n, cells in rows if not all(map(_is_blank, cells))), None
                )
                if found is None:
                    raise IngestError([_problem("empty")])
                header_row, header = found
                merged = _merged_in_row(request.path, sheet._worksheet_path, header_row)
                if merged:
                    raise IngestError(
                        [_problem("merged_header", row=header_row, ref=r) for r in merged]
                    )
                names = list(header)
                while _is_blank(names[-1]):
                    names.pop()
                sample = [_fit(cells, len(names)) for _, cells in islice(rows, request.sample_rows)]
            except _WORKBOOK_ERRORS as exc:
                raise IngestError([_problem("workbook", error=type(exc).__name__)]) from None
            finally:
                workbook.close()
        table = cls(request, _columns(names, row=header_row, request=request, sample=sample))
        table._header_row, table._last_row = header_row, last_row
        return table


def _open_workbook(binary: io.BufferedReader) -> Any:
    # A file object, not a path: openpyxl refuses a path whose name does not end in .xlsx, and
    # uploads are stored under names of their own.
    try:
        return load_workbook(binary, read_only=True, data_only=True, keep_links=False)
    except _WORKBOOK_ERRORS as exc:
        raise IngestError([_problem("workbook", error=type(exc).__name__)]) from None


def _fit(cells: Sequence[object], width: int) -> Sequence[object]:
    """Pad a sheet row to ``width`` cells, or cut the blank cells past it; a row with values
    past the header keeps them (up to its last value), to be reported."""
    length = len(cells)
    if length == width:
        return cells
    if length < width:
        return (*cells, *(None,) * (width - length))
    while length > width and _is_blank(cells[length - 1]):
        length -= 1
    return cells[:length]


def _merged_in_row(path: Path, member: str, row: int) -> list[str]:
    """Return the merged ranges of a sheet (e.g. ``A1:B1``) that include ``row``.

    Read-only worksheets do not tell their merged cells, so this scans the sheet's XML. The
    ``<mergeCells>`` element comes after all the cells: the member is read in chunks and
    searched, keeping the tail from the last ``<`` in case a tag spans two chunks."""
    found: list[str] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as stream:
        while chunk := stream.read(1 << 20):
            buffer = tail + chunk
            cut = buffer.rfind(b"<")
            scanned, tail = buffer[:cut], buffer[cut:][-4096:]
            if b"mergeCell" not in scanned:
                continue
            for match in _MERGE_CELL.finditer(scanned):
                ref = match[1].decode().upper()
                top, bottom = (
                    int(end.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for end in ref.split(":")
                )
                if top <= row <= bottom:
                    found.append(ref)
            if _MERGE_CELLS_END.search(scanned):
                break
    return found


# -- JSON and NDJSON ---------------------------------------------------------------------------

_JSON_MAX_BYTES = 200 << 20


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(data: bytes) -> Any:
    return json.loads(data, parse_float=Decimal, parse_constant=_no_constant)


def _bad_json(exc: Exception, *, at: tuple[str, str], row: int | None = None) -> Problem:
    if isinstance(exc, UnicodeDecodeError):
        return _problem("not_utf8", row=row, at_zh=at[0], at_en=at[1])
    where_zh = where_en = ""
    if isinstance(exc, json.JSONDecodeError):
        where_zh = f"（第 {exc.lineno} 行第 {exc.colno} 个字符处）"
        where_en = f" ({exc.msg}, at line {exc.lineno}, character {exc.colno})"
        if row is not None:  # one line of NDJSON
            where_zh, where_en = (
                f"（第 {exc.colno} 个字符处）",
                f" ({exc.msg}, at character {exc.colno})",
            )
    return _problem(
        "bad_json", row=row, at_zh=at[0], at_en=at[1], where_zh=where_zh, where_en=where_en
    )


class _RecordsTable(Table):
    """A table whose rows are JSON objects, each with the keys of the first one."""

    _keys: list[str]

    def _set_keys(self, keys: list[str]) -> None:
        self._keys = keys
        self._key_set = set(keys)
        if len(keys) == 1:
            key = keys[0]
            self._values: Callable[[dict[str, object]], Sequence[object]] = lambda r: (r[key],)
        else:
            self._values = operator.itemgetter(*keys)

    def _record(self, number: int, record: object) -> Sequence[object]:
        """Return the values of a record, or a _Reported saying why it does not fit."""
        if type(record) is dict and record.keys() == self._key_set:
            return self._values(record)
        if not isinstance(record, dict):
            return _Reported(self._problem("not_object", number))
        missing = [k for k in self._keys if k not in record]
        key, keys = (
            ("missing_keys", missing)
            if missing
            else ("extra_keys", [k for k in record if k not in self._key_set])
        )
        return _Reported(
            self._problem(
                key,
                number,
                keys[0],
                keys_zh="、".join(f"“{k}”" for k in keys),
                keys_en=("fields " if len(keys) > 1 else "field ") + ", ".join(keys),
            )
        )


class _JsonTable(_RecordsTable):
    source_format = "json"
    _AT = ("第 {} 条记录", "record {}")
    _records: list[object]

    @contextmanager
    def _reading(self) -> _Reading:
        number = 0
        total = max(len(self._records), 1)

        def raw_rows() -> Iterator[Sequence[object]]:
            nonlocal number
            for number, record in enumerate(self._records, start=1):
                yield self._record(number, record)

        self._progress = lambda: number * self.bytes_total // total
        try:
            yield raw_rows(), lambda: number
        finally:
            self._progress = None
            self._done = self.bytes_total

    @classmethod
    def open(cls, request: _Request) -> _JsonTable:
        if request.bytes_total > _JSON_MAX_BYTES:
            size, limit = _size(request.bytes_total), _size(_JSON_MAX_BYTES)
            raise IngestError([_problem("json_too_large", size=size, limit=limit)])
        data = request.path.read_bytes()  # a JSON document is read whole; NDJSON streams
        if not data.strip():
            raise IngestError([_problem("empty")])
        try:
            document = _parse_json(data)
        except (ValueError, RecursionError) as exc:
            raise IngestError([_bad_json(exc, at=("文件", "the file"))]) from None
        records = document
        if isinstance(document, dict):
            records = document.get("records", document.get("data"))
        if not isinstance(records, list):
            raise IngestError([_problem("not_records")])
        if not records:
            raise IngestError([_problem("empty")])
        if not isinstance(records[0], dict):
            raise IngestError(
                [_problem("not_object", row=1, at_zh="第 1 条记录", at_en="record 1")]
            )
        keys = list(records[0])
        sample = [
            [r[k] for k in keys]
            for r in records[: request.sample_rows]
            if isinstance(r, dict) and r.keys() == records[0].keys()
        ]
        table = cls(request, _columns(keys, row=1, request=request, sample=sample))
        table._set_keys(keys)
        table._records = records
        return table


class _NdjsonTable(_RecordsTable):
    source_format = "ndjson"
    _AT = ("第 {} 行", "line {}")

    @contextmanager
    def _reading(self) -> _Reading:
        number = 0

        def raw_rows(binary: io.BufferedReader) -> Iterator[Sequence[object]]:
            nonlocal number
            for number, line in enumerate(binary, start=1):
                if line.isspace():
                    yield ()  # a blank line, left out; rows are numbered by counting them
                    continue
                try:
                    record = _parse_json(line)
                except (ValueError, RecursionError) as exc:
                    yield _Reported(_bad_json(exc, at=_at(self._AT, number), row=number))
                else:
                    yield self._record(number, record)

        with self._path.open("rb") as binary:
            self._progress = binary.tell
            try:
                yield raw_rows(binary), lambda: number
            finally:
                self._progress = None
                self._done = binary.tell()

    @classmethod
    def open(cls, request: _Request) -> _NdjsonTable:
        records: list[dict[str, object]] = []
        with request.path.open("rb") as binary:
            for number, line in enumerate(binary, start=1):
                if line.isspace():
                    continue
                try:
                    record = _parse_json(line)
                except (ValueError, RecursionError) as exc:
                    if records:
                        continue  # rows() reports it
                    raise IngestError(
                        [_bad_json(exc, at=_at(cls._AT, number), row=number)]
                    ) from None
                if not records and not isinstance(record, dict):
                    at_zh, at_en = _at(cls._AT, number)
                    raise IngestError(
                        [_problem("not_object", row=number, at_zh=at_zh, at_en=at_en)]
                    )
                if isinstance(record, dict) and (not records or record.keys() == records[0].keys()):
                    records.append(record)
                if len(records) >= max(request.sample_rows, 1):
                    break
        if not records:
            raise IngestError([_problem("empty")])
        keys = list(records[0])
        sample = [[r[k] for k in keys] for r in records[: request.sample_rows]]
        table = cls(request, _columns(keys, row=1, request=request, sample=sample))
        table._set_keys(keys)
        return table


# -- Opening -----------------------------------------------------------------------------------

_OPENERS: dict[str, Callable[[_Request], Table]] = {
    ".csv": _CsvTable.open,
    ".tsv": _CsvTable.open,
    ".txt": _CsvTable.open,
    ".xlsx": _XlsxTable.open,
    ".json": _JsonTable.open,
    ".ndjson": _NdjsonTable.open,
    ".jsonl": _NdjsonTable.open,
}


def open_table(
    path: Path,
    *,
    filename: str,
    declared: Sequence[Column] | None = None,
    overrides: Mapping[str, ColumnType] | None = None,
    max_bytes: int | None = None,
    sample_rows: int = 1000,
) -> Table:
    """Open the upload stored at ``path`` and return its table, ready to stream.

    ``filename`` (the name the user gave) decides the format by its extension. With
    ``declared``, the header must have exactly the declared names, in any order, and every value
    must fit its declared type. Without it, types are inferred from the first ``sample_rows``
    rows, except those in ``overrides`` (what the loader learnt from :class:`WidenColumn`).
    Columns are in the file's order. Raise :class:`IngestError` for a file that cannot be read:
    unknown format, over ``max_bytes``, empty, undecodable, or a bad header."""
    suffix = Path(filename).suffix.lower()
    opener = _OPENERS.get(suffix)
    if opener is None:
        raise IngestError([_problem("unsupported", suffix=suffix or filename)])
    if declared is not None and overrides:
        raise ValueError("overrides apply to inferred columns, not to a declared schema")
    bytes_total = path.stat().st_size
    if max_bytes is not None and bytes_total > max_bytes:
        raise IngestError([_problem("too_large", size=_size(bytes_total), limit=_size(max_bytes))])
    if bytes_total == 0:
        raise IngestError([_problem("empty")])
    request = _Request(
        path=path,
        declared=declared,
        overrides=overrides or {},
        sample_rows=sample_rows,
        bytes_total=bytes_total,
        tab_first=suffix == ".tsv",
    )
    return opener(request)
