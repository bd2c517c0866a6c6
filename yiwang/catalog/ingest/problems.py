"""What is wrong with a file, in Chinese and English, and the exceptions that say it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yiwang.catalog.ingest.values import ColumnType
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


_MAX_PROBLEMS = 10

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
