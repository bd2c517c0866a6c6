"""Read an uploaded table (CSV, XLSX, JSON, NDJSON) as typed rows for the datastore loader.

:func:`open_table` reads the header and a sample, and raises :class:`IngestError` at once for a
file that cannot be read at all (format, size, encoding, header). :meth:`Table.rows` then streams
the rows in constant memory, converted to Python values in column order, and raises
:class:`IngestError` naming the rows and columns of the first problems, or :class:`WidenColumn`
when a value does not fit a type that was only inferred. The package knows nothing of the
database.

``values`` holds the column types and the conversion and inference of values, ``problems`` the
errors, ``table`` the base of every format's table, and ``csv_reader``, ``xlsx_reader`` and
``json_reader`` the formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from yiwang.catalog.ingest.csv_reader import _CsvTable
from yiwang.catalog.ingest.json_reader import _JsonTable, _NdjsonTable
from yiwang.catalog.ingest.problems import IngestError, Problem, WidenColumn, _problem, _size
from yiwang.catalog.ingest.table import Table, _Request
from yiwang.catalog.ingest.values import Column, ColumnType, converter
from yiwang.catalog.ingest.xlsx_reader import _XlsxTable

__all__ = [
    "Column",
    "ColumnType",
    "IngestError",
    "Problem",
    "Table",
    "WidenColumn",
    "converter",
    "open_table",
]

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
