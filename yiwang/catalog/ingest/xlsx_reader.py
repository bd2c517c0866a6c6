"""Excel workbooks (.xlsx): the first sheet, from its first row with a value in it."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from yiwang.catalog.ingest.problems import IngestError, Problem, _problem
from yiwang.catalog.ingest.table import Table, _columns, _Reading, _Request
from yiwang.catalog.ingest.values import _is_blank

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
