"""Dates as the filters compare them: days written ``yyyymmdd`` as integers.

Standard library only: the index writes these numbers, the query layer and the
command line read what a person typed with ``bounds``::

    >>> day_number("2024-03-05T10:00:00"), day_number("2024-03", last=True)
    (20240305, 20240331)
    >>> bounds("covers", "2019-2021")
    (20190101, 20211231)
    >>> bounds("since", "2024-02"), bounds("until", "2024-02"), bounds("until", "2024-02-30")
    ((20240201, 99991231), (1, 20240231), None)
"""

from __future__ import annotations

import re
from datetime import date

NO_DAY = 0  # no date known
OPEN_START, OPEN_END = 1, 99_991_231  # a coverage with an open side

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_YEARS = re.compile(r"(\d{4})(?:-(\d{4}))?")


def day_number(iso: str, last: bool = False) -> int:
    """``yyyymmdd`` of the ISO date (or datetime) ``iso``; a year or a month alone stands
    for its first day, or its last one with ``last``; 0 when ``iso`` is not a date."""
    m = _DATE.match(iso.strip())
    if not m:
        return NO_DAY
    year, month, day = int(m[1]), int(m[2] or (12 if last else 1)), int(m[3] or (31 if last else 1))
    try:
        date(year, month, min(day, 28) if not m[3] else day)
    except ValueError:
        return NO_DAY
    return year * 10_000 + month * 100 + day


def bounds(name: str, value: str) -> tuple[int, int] | None:
    """The days ``(first, last)`` that the filter ``name`` (see ``model.DATE_FILTERS``)
    with ``value`` keeps; None when ``value`` is not a date of the right form
    (YYYY, YYYY-MM or YYYY-MM-DD for since and until; YYYY or YYYY-YYYY for covers)."""
    value = value.strip()
    if name == "covers":
        m = _YEARS.fullmatch(value)
        if not m or int(m[2] or m[1]) < int(m[1]):
            return None
        return int(m[1]) * 10_000 + 101, int(m[2] or m[1]) * 10_000 + 1231
    if not _DATE.fullmatch(value):
        return None
    first, last = day_number(value), day_number(value, last=True)
    if not first or not last:
        return None
    return (first, OPEN_END) if name == "since" else (OPEN_START, last)
