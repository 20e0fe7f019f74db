"""What every catalogue reader shares: the file being read and how a Record is built.

Each reader pulls raw fields out of its format and hands them to ``build``,
which does the rest the same way for every format: plain-text body and
summary, canonical licence, normalised formats, trimmed dates, de-duplicated
tags, the richness prior, and a French ``Problem`` instead of a record when the
description has no title or no id.

The text, licence and format helpers live in their own modules and are
re-exported here (``html_to_text``, ``summarize``, ``normalise_licence``,
``normalise_formats``).  What remains is long, and one thing: every function
here is a step from a catalogue's raw fields to a Record, the same for every
reader.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchkit.acronyms import acronym_in_title
from searchkit.errors import SourceError
from searchkit.model import POPULARITY_SIGNALS, ZONE_NAMES, Problem, Record
from searchkit.textnorm import facet_key
from searchkit.urls import openable

from .formats import normalise_formats
from .licences import normalise_licence
from .text import html_to_text, one_line, summarize
from .wording import say, where_of

__all__ = [
    "MAX_WHOLE_FILE", "Src", "Item", "build", "html_to_text", "summarize", "one_line",
    "normalise_licence", "normalise_formats", "normalise_date", "period", "bbox_text",
    "richness", "popularity", "load_json", "xml_problem", "decode", "as_list", "text_of", "record_position",
]

# Formats that cannot be streamed (JSON, RDF, a recorded session) are read whole
# up to this size; a bigger file is refused with a Problem.
MAX_WHOLE_FILE = 200 * 1024 * 1024

Item = Record | Problem


@dataclass(frozen=True, slots=True)
class Src:
    """The file being read: ``shown`` names it in Problems, ``path`` in Records."""

    shown: str
    path: str
    mtime: float

    @classmethod
    def of(cls, path: Path) -> "Src":
        try:
            st = os.stat(path)
            resolved = str(Path(path).resolve())
        except OSError as exc:
            raise SourceError(say("file.unreadable", path=path, reason=exc.strerror or exc)) from exc
        return cls(shown=str(path), path=resolved, mtime=st.st_mtime)

    def problem(self, message: str, where: str = "") -> Problem:
        return Problem(path=self.shown, message=message, where=where)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252: never fails."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_JSON_REASONS = {  # the json module's messages, in English, as wording keys
    "Expecting value": "json.reason.value",
    "Expecting property name enclosed in double quotes": "json.reason.property",
    "Expecting ',' delimiter": "json.reason.comma",
    "Expecting ':' delimiter": "json.reason.colon",
    "Unterminated string starting at": "json.reason.string",
    "Extra data": "json.reason.extra",
    "Invalid control character at": "json.reason.control",
    "Invalid \\escape": "json.reason.escape",
    "Invalid \\uXXXX escape": "json.reason.escape",
}


def _json_problem(src: Src, exc: json.JSONDecodeError, where: str) -> Problem:
    reason = say(_JSON_REASONS.get(exc.msg, "json.reason.other"))
    if where:
        return src.problem(say("json.invalid_at", line=exc.lineno, column=exc.colno, reason=reason), where)
    return src.problem(say("json.invalid", column=exc.colno, reason=reason), say("where.line", line=exc.lineno))


def load_json(src: Src, data: bytes, where: str = "") -> Any | Problem:
    """The JSON value of ``data``, or a Problem that says where it breaks (in French)."""
    for attempt in (data, None):
        try:
            return json.loads(attempt if attempt is not None else decode(data))
        except UnicodeDecodeError:
            continue  # not UTF-8/16/32: decode() falls back to Windows-1252
        except RecursionError:
            return src.problem(say("json.too_deep"), where)
        except json.JSONDecodeError as exc:
            return _json_problem(src, exc, where)
    return src.problem(say("json.encoding"), where)


def xml_problem(src: Src, exc: Exception, where: str = "") -> Problem:
    """A French Problem for an XML syntax error (expat's own message is English)."""
    position = getattr(exc, "position", None) or (0, 0)
    line, column = position
    if not line:
        return src.problem(say("xml.invalid"), where)
    return src.problem(say("xml.invalid_at", column=column + 1), where or say("where.line", line=line))


def as_list(value: Any) -> list[Any]:
    """A JSON value that should be a list: None -> [], scalar -> [scalar]."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def text_of(value: Any) -> str:
    """A scalar JSON value as a string ('' for None, lists joined, dicts ignored)."""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(t for t in (text_of(v) for v in value) if t)
    return str(value)


# --- dates -------------------------------------------------------------------------

_ISO = re.compile(
    r"^\d{4}(?:-\d{2}(?:-\d{2})?)?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_FRENCH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*-?\s*(\d{1,2})[:h](\d{2}))?")


def normalise_date(value: Any) -> str:
    """An ISO date as given (trimmed); ``dd/mm/yyyy [- hh:mm]`` made ISO; else ''.

    >>> normalise_date(" 2019-07-17T02:07:59.730000 ")
    '2019-07-17T02:07:59.730000'
    >>> normalise_date("jeu, 19/12/2019 - 03:00")
    '2019-12-19T03:00'
    """
    text = text_of(value).strip()
    if not text or text.lower() in ("false", "none", "null"):
        return ""
    if _ISO.match(text):
        return text
    french = _FRENCH.search(text)
    if french:
        day, month, year, hour, minute = french.groups()
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            date = f"{year}-{int(month):02d}-{int(day):02d}"
            return f"{date}T{int(hour):02d}:{minute}" if hour else date
    return ""


_NO_END = object()


def period(start: Any, end: Any = _NO_END) -> str:
    """``start/end`` in ISO 8601 (``..`` for an open side); one value: a date or free text.

    >>> period("2015-01-01", "2020-12-31"), period("2015-01-01", None), period("été 2021")
    ('2015-01-01/2020-12-31', '2015-01-01/..', 'été 2021')
    """
    if end is _NO_END:
        return normalise_date(start) or one_line(text_of(start))
    s, e = normalise_date(start), normalise_date(end)
    if not s and not e:
        return ""
    return f"{s or '..'}/{e or '..'}"


# --- places ------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def bbox_text(geometry: Any) -> str:
    """``W,S,E,N`` of a GeoJSON geometry (object or string) or a WKT string; '' if none."""
    coords: list[float] = []
    if isinstance(geometry, str):
        text = geometry.strip()
        if text.startswith("{"):
            try:
                geometry = json.loads(text)
            except (ValueError, RecursionError):
                return ""
        elif re.match(r"^(?:<[^>]+>\s*)?(?:MULTI)?(?:POLYGON|POINT|LINESTRING|ENVELOPE)\b", text, re.I):
            coords = [float(n) for n in _NUMBER.findall(re.sub(r"^<[^>]+>", "", text))]
        else:
            return ""
    if isinstance(geometry, dict):
        flat: list[float] = []

        def walk(value: Any) -> None:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flat.append(float(value))
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(geometry.get("coordinates"))
        coords = flat
    if len(coords) < 2 or len(coords) % 2:
        return ""
    xs, ys = coords[0::2], coords[1::2]
    if not all(math.isfinite(v) for v in coords):
        return ""
    return ",".join(_fmt(v) for v in (min(xs), min(ys), max(xs), max(ys)))


# --- the record ----------------------------------------------------------------------


def richness(body: str, resources: int, publisher: str, tags: int) -> float:
    """How complete a description is, 0..1: a mild ranking prior.

    ``0.4 * min(1, log10(1 + len(body)) / 3)`` (1,000 characters of description
    give the full 0.4) ``+ 0.2 * min(1, resources / 5)`` ``+ 0.2`` if the
    publisher is known ``+ 0.2 * min(1, tags / 3)``, rounded to 3 decimals.
    """
    score = 0.4 * min(1.0, math.log10(1 + len(body)) / 3)
    score += 0.2 * min(1.0, max(resources, 0) / 5)
    score += 0.2 if publisher else 0.0
    score += 0.2 * min(1.0, tags / 3)
    return round(min(score, 1.0), 3)


# Counts at which a signal gives its full share of popularity: about the 99.9th
# percentile of each signal in the data.gouv.fr export of January 2026 (6,286
# records: views 208,606, downloads 306,727, followers 33, reuses 27).
SATURATION = {"views": 200_000, "downloads": 300_000, "followers": 50, "reuses": 30, "discussions": 30}
FEATURED = 0.2  # what being featured by the portal adds


def popularity(metrics: Iterable[tuple[str, float]], featured: bool = False) -> float:
    """One popularity value, 0..1, comparable across sources: the ranking prior.

    Each signal the source publishes is log-scaled against its saturation count,
    ``min(1, log10(1 + count) / log10(1 + SATURATION[signal]))``, and the record
    gets the mean over the signals its source publishes (so a portal that only
    counts views is on the same scale as one that counts five things), plus
    ``FEATURED`` if the portal features it, capped at 1, rounded to 3 decimals.
    A record without metrics gets 0, the neutral value: the prior lifts, never
    penalises (the search may stand its publisher's typical usage for it); a record
    whose figures are all zero gets the least measured value, 0.001: it was measured,
    and not used.

    >>> popularity([("views", 200_000), ("followers", 50)]), popularity([("views", 0)], featured=True)
    (1.0, 0.2)
    >>> popularity([]), popularity([("views", 0)]), popularity([("views", 780), ("downloads", 58), ("reuses", 0)])
    (0.0, 0.001, 0.29)
    """
    shares = [
        min(1.0, math.log10(1 + max(value, 0.0)) / math.log10(1 + SATURATION[name]))
        for name, value in metrics
    ]
    if not shares:
        return FEATURED if featured else 0.0
    score = sum(shares) / len(shares) + (FEATURED if featured else 0.0)
    return max(round(min(score, 1.0), 3), 0.001)


def _count(value: Any) -> float | None:
    """A usage count from a catalogue field: ``"12"``, ``12.0``, ``""`` -> 0; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip() or 0)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _metrics(pairs: Iterable[tuple[str, Any]]) -> tuple[tuple[str, float], ...]:
    out: dict[str, float] = {}
    for name, value in pairs:
        number = _count(value)
        if name in POPULARITY_SIGNALS and number is not None:
            out[name] = out.get(name, 0.0) + number
    return tuple((name, out[name]) for name in POPULARITY_SIGNALS if name in out)


def _flag(value: Any) -> bool:
    return value is True or text_of(value).strip().lower() in ("true", "oui", "yes", "1")


def _quality(value: Any) -> float:
    number = _count(value)
    return round(min(number, 1.0), 3) if number is not None else 0.0


def _tags(values: Iterable[Any]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        tag = one_line(text_of(value)).strip(" ,;")
        if tag:
            seen.setdefault(facet_key(tag), tag)
    return tuple(v for k, v in seen.items() if k)


def _extra(pairs: Iterable[tuple[str, Any]]) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for key, value in pairs:
        text = one_line(text_of(value))
        if text and key:
            out.setdefault(key.lower(), text)
    return tuple(out.items())


# pairs of ``extra`` that are Record fields and index fields of their own (the acronym
# stays: searched as ``acronym:BAN`` among the other fields until it has its own)
OWN_FIELDS = ("frequency", "granularity")


def _plain_line(value: Any) -> str:
    """One line of plain text from a field that may hold HTML (a title, a licence)."""
    text = text_of(value)
    return one_line(html_to_text(text) if "<" in text else text)


def _missing_title_or_id(src: Src, title: str, ident: str, position: str) -> Problem | None:
    """The Problem of a description without a title or without an id, else None."""
    if not title:
        return src.problem(say("record.no_title", ident=f" ({ident})" if ident else ""), where_of(position))
    if not ident:
        return src.problem(say("record.no_id", title=title[:60]), where_of(position))
    return None


def _body_text(description: Any, body_extra: str) -> str:
    body = html_to_text(text_of(description))
    return f"{body}\n\n{body_extra}".strip() if body_extra else body


def _licence_texts(licence: Any, licence_url: Any, licence_original: Any) -> tuple[str, str]:
    """(licence as shown, licence as the catalogue wrote it, else its URL)."""
    shown = _plain_line(licence)
    original = one_line(text_of(licence_original)) if licence_original is not None else shown
    if not original and licence_url:
        original = one_line(text_of(licence_url))
    return shown, original


def _title_acronym(title: str, formats: tuple[str, ...]) -> str:
    """The acronym a title gives in parentheses, unless it names a format ("... de l'Aude (SHP)")."""
    acronym = acronym_in_title(title)
    return "" if acronym.lower() in formats else acronym


def _priors(body: str, resources: int, publisher: str, tags: int, metrics: Iterable[tuple[str, Any]],
            featured: Any, quality: Any) -> dict[str, Any]:
    """The ranking priors of a record: how rich its description is, how much it is used, its popularity."""
    usage = _metrics(metrics)
    is_featured = _flag(featured)
    return {"richness": richness(body, resources, publisher, tags), "metrics": usage, "featured": is_featured,
            "quality": _quality(quality), "popularity": popularity(usage, is_featured)}


def build(
    src: Src,
    *,
    prefix: str,
    ident: Any,
    title: Any,
    position: str,
    description: Any = "",
    tags: Iterable[Any] = (),
    publisher: Any = "",
    licence: Any = "",
    licence_url: Any = "",
    licence_original: Any = None,
    formats: Iterable[Any] = (),
    resources: int = 0,
    spatial: Any = "",
    temporal: str = "",
    created: Any = "",
    modified: Any = "",
    url: Any = "",
    extra: Iterable[tuple[str, Any]] = (),
    body_extra: str = "",
    zones: Iterable[Any] = (),
    metrics: Iterable[tuple[str, Any]] = (),
    featured: Any = False,
    quality: Any = None,
) -> Item:
    """A dataset Record from raw catalogue fields, or a Problem if it has no title or id.

    The ``acronym``, ``frequency`` and ``granularity`` pairs of ``extra`` (every
    reader names them so) fill the fields of the same name, and ``OWN_FIELDS``
    leave ``extra``; a record without an acronym field gets the one its title
    gives in parentheses, unless it names one of the record's formats ("(SHP)").
    ``metrics`` are (signal, raw count) pairs: a count of None is a signal the
    record does not have; "" or 0 one it has with no use yet.
    """
    clean_title = _plain_line(title)
    ident_text = one_line(text_of(ident))
    missing = _missing_title_or_id(src, clean_title, ident_text, position)
    if missing is not None:
        return missing
    body = _body_text(description, body_extra)
    shown_licence, original = _licence_texts(licence, licence_url, licence_original)
    tag_tuple = _tags(tags)
    pub = one_line(text_of(publisher))
    extras = _extra(extra)
    given = dict(extras)
    file_formats = normalise_formats(text_of(f) for f in formats)
    return Record(
        id=f"{prefix}:{ident_text}",
        kind="dataset",
        title=clean_title,
        path=src.path,
        types=("dataset",),
        summary=summarize(body),
        body=body,
        tags=tag_tuple,
        url=openable(one_line(text_of(url))) or "",  # only links a browser may be given
        mtime=src.mtime,
        created=normalise_date(created),
        modified=normalise_date(modified),
        publisher=pub,
        licence=normalise_licence(shown_licence, text_of(licence_url)),
        licence_original=original,
        formats=file_formats,
        spatial=one_line(text_of(spatial)),
        temporal=temporal,
        extra=tuple((k, v) for k, v in extras if k not in OWN_FIELDS),
        position=position,
        acronym=given.get("acronym") or _title_acronym(clean_title, file_formats),
        zones=tuple(dict.fromkeys(ZONE_NAMES.get(z.casefold(), z) for z in (one_line(text_of(v)) for v in zones) if z)),
        granularity=given.get("granularity", ""),
        frequency=given.get("frequency", ""),
        **_priors(body, resources, pub, len(tag_tuple), metrics, featured, quality),
    )


def record_position(index: int) -> str:
    return f"enregistrement {index}"
