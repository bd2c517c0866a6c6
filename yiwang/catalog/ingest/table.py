"""The base of every format's table: the columns of a header, and the rows converted in batches,
with the problems of the rows that do not fit."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from yiwang.catalog.ingest.problems import (
    _MAX_PROBLEMS,
    IngestError,
    Problem,
    WidenColumn,
    _at,
    _problem,
)
from yiwang.catalog.ingest.values import (
    _TYPE_NAMES,
    _UNFIT,
    Column,
    ColumnType,
    _Convert,
    _ConvertColumn,
    _each,
    _from_object,
    _infer,
    _is_blank,
    _kind_of,
    _shown,
    _text_from_object,
    _widened,
)

_BATCH = 256  # rows converted together, column by column; small enough to stay in the CPU cache
_SCAN_AFTER_PROBLEM = 1000  # rows read after the first problem, looking for more
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


def _line_breaks(raw: Sequence[object]) -> int:
    """Return how many line breaks the cells of a record span (a quoted cell may hold some)."""
    return sum(_count_breaks(v) for v in raw if isinstance(v, str))


def _count_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")
