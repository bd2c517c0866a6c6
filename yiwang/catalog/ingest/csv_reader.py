"""CSV (and TSV) files: the encoding and delimiter sniffed, then rows read as text."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import islice
from pathlib import Path

from yiwang.catalog.ingest.problems import IngestError, Problem, _problem
from yiwang.catalog.ingest.table import (
    Table,
    _columns,
    _count_breaks,
    _line_breaks,
    _Reading,
    _Request,
)
from yiwang.catalog.ingest.values import (
    _BULK_FROM_TEXT,
    ColumnType,
    _Convert,
    _from_text,
    _is_blank,
)

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
