"""JSON files (an array of objects, read whole) and NDJSON files (an object a line, streamed)."""

from __future__ import annotations

import io
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from yiwang.catalog.ingest.problems import IngestError, Problem, _at, _problem, _size
from yiwang.catalog.ingest.table import Table, _columns, _Reading, _Reported, _Request

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
