"""Streaming a catalogue CSV row by row, knowing the line where each row starts.

Real exports are messy: records end with CRLF while descriptions inside quotes
hold bare LF (or CRLF), a file may end with a lone ``\\r``, and a file cut by a
splitter ends inside a quoted description.  The ``csv`` module copes with all
of it when the file is opened with ``newline=""``; what it cannot tell is
whether the last row was cut.  ``rows`` watches the raw lines of each record: a
last record with an odd number of quote characters (or too few columns) ended
inside a quoted field, so it is reported as a truncated tail and dropped, with
the line where it starts.

Lines are counted like an editor does: ``\\n``, ``\\r\\n`` and a lone ``\\r``
each end a line; the header is line 1.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .common import Src, decode
from .wording import say

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a description can be 107 KB and more

HEAD_BYTES = 64 * 1024


def guess_encoding(head: bytes) -> str:
    """``utf-8-sig`` if the head is UTF-8 (a character may be cut at its end), else cp1252."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason in ("unexpected end of data",):
            return "utf-8-sig"
        return "cp1252"


def header_of(text: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line of ``text``."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    best, names = ";", [first]
    for delim in (";", ",", "\t", "|"):
        cols = next(csv.reader([first], delimiter=delim), [])
        if len(cols) > len(names):
            best, names = delim, cols
    return best, [n.strip().lower() for n in names]


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # where the record starts
    values: dict[str, str]


class _Tap:
    """The file's lines, counting the quote characters of the record being read."""

    def __init__(self, stream):
        self.stream = stream
        self.quotes = 0

    def __iter__(self) -> "_Tap":
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.quotes += line.count('"')
        return line


def rows(src: Src, path: Path, delimiter: str) -> Iterator[Row | object]:
    """Each data row as a dict keyed by lower-cased column names; Problems for bad rows."""
    with open(path, "rb") as raw:
        encoding = guess_encoding(raw.read(HEAD_BYTES))
    with open(path, encoding=encoding, errors="replace", newline="") as stream:
        tap = _Tap(stream)
        reader = csv.reader(tap, delimiter=delimiter, quotechar='"', strict=False)
        header: list[str] | None = None
        pending: tuple[int, list[str], int] | None = None  # line, values, quote parity
        last_line = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error:
                yield src.problem(say("csv.unreadable"), say("where.line", line=last_line + 1))
                return
            start, last_line = last_line + 1, reader.line_num
            parity, tap.quotes = tap.quotes % 2, 0
            if not values or values == [""]:
                continue
            if header is None:
                header = [v.strip().lstrip("\ufeff").lower() for v in values]
                continue
            if pending is not None:
                yield from _row(src, header, pending, last=False)
            pending = (start, values, parity)
        if pending is not None and header is not None:
            yield from _row(src, header, pending, last=True)


def _row(src: Src, header: list[str], pending: tuple[int, list[str], int], last: bool):
    line, values, parity = pending
    if last and (parity or len(values) < len(header)):
        where = say("where.line", line=line)
        yield src.problem(say("csv.truncated", line=line, got=len(values), want=len(header)), where)
        return
    if len(values) != len(header):
        extra = values[len(header):]
        if len(values) < len(header) or any(v.strip() for v in extra):
            yield src.problem(say("csv.columns", got=len(values), want=len(header)), say("where.line", line=line))
            return
    yield Row(line=line, values=dict(zip(header, values)))


def head_text(path: Path) -> str:
    with open(path, "rb") as raw:
        return decode(raw.read(HEAD_BYTES))
