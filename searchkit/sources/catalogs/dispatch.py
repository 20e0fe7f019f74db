"""Which catalogue format a file (or a buffer) holds, and which reader reads it.

Detection looks at content, never at the file name:

- the first character says JSON (``{`` ``[``), XML (``<?xml``, ``<tag``) or text;
- JSON is classified by its structure (keys and nesting) once parsed; ``sniff``
  parses files up to ``SNIFF_PARSE_LIMIT`` and falls back to the key names
  found in the first ``HEAD_BYTES`` for bigger ones;
- XML by its root element and namespaces (``rdf:RDF`` with the DCAT namespace,
  ``csw:GetRecordsResponse`` holding ``gmd:MD_Metadata`` or ``rdf:RDF``,
  ``gmd:MD_Metadata``);
- text by its first line: the CSV header's column names, or Turtle /
  N-Triples mentioning the DCAT namespace.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from searchkit.errors import SourceError
from searchkit.model import Problem

from . import ckan, csvfile, datagouv_csv, datapackage, dcat, iso19139, ods, session, udata
from .common import MAX_WHOLE_FILE, Item, Src, decode, load_json
from .wording import say

HEAD_BYTES = 64 * 1024
SNIFF_PARSE_LIMIT = 4 * 1024 * 1024

JSON_FORMATS = (
    session.FORMAT, ckan.FORMAT, ods.FORMAT_V1, ods.FORMAT_JSON, dcat.FORMAT_US, dcat.FORMAT_JSONLD,
    datapackage.FORMAT, udata.FORMAT,
)
FORMATS = frozenset(
    JSON_FORMATS + (datagouv_csv.FORMAT, ods.FORMAT_CSV, dcat.FORMAT_RDFXML, dcat.FORMAT_TURTLE, iso19139.FORMAT)
)

_XML_START = re.compile(r"^<(?:[?!]|[A-Za-z_][\w.:-]*[\s/>])")
_XML_PROLOG = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S)
_XML_ROOT = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)[\s/>]")
_TURTLE = re.compile(r"^\s*(?:@prefix|@base|PREFIX\s|BASE\s|<[^>\s]*>\s+<|_:\w+\s+<)", re.M | re.I)
_ISO_ELEMENT = re.compile(r"<(?:[\w.-]+:)?M[DI]_Metadata[\s/>]")
_RDF_ELEMENT = re.compile(r"<(?:[\w.-]+:)?RDF[\s/>]")
_JSON_KEY = re.compile(r'(?<!\\)"([^"\\]{1,80})"\s*:')


def _kind(text: str) -> str:
    start = text.lstrip("\ufeff \t\r\n")
    if start[:1] in ("{", "["):
        return "json"
    if _XML_START.match(start):
        return "xml"
    return "text"


def classify_json(obj: Any) -> str | None:
    """The format of a parsed JSON document, or None."""
    if session.looks_like(obj):
        return session.FORMAT
    if isinstance(obj, dict) and "result" in obj and ckan.looks_like(obj):
        return ckan.FORMAT
    if ods.looks_like_v2(obj):
        return ods.FORMAT_JSON
    if ods.looks_like_v1(obj):
        return ods.FORMAT_V1
    if dcat.looks_like_us(obj):
        return dcat.FORMAT_US
    if dcat.looks_like_jsonld(obj):
        return dcat.FORMAT_JSONLD
    if datapackage.looks_like(obj):
        return datapackage.FORMAT
    if udata.looks_like(obj):
        return udata.FORMAT
    if ckan.looks_like(obj):
        return ckan.FORMAT
    return None


def _json_by_keys(head: str) -> str | None:
    keys = set(_JSON_KEY.findall(head))
    if "requests_history" in keys:
        return session.FORMAT
    if "result" in keys and keys & {"help", "success"}:
        return ckan.FORMAT
    if {"datasetid", "metas"} <= keys:
        return ods.FORMAT_V1
    if {"dataset_id", "metas"} <= keys:
        return ods.FORMAT_JSON
    if "dataset" in keys and keys & {"conformsTo", "describedBy"}:
        return dcat.FORMAT_US
    if keys & {"@context", "@graph"}:
        return dcat.FORMAT_JSONLD
    if "resources" in keys and re.search(r'"profile"\s*:\s*"[^"]*package', head):
        return datapackage.FORMAT
    if "id" in keys and keys & {"badges", "slug", "uri", "page"} and "notes" not in keys:
        return udata.FORMAT
    if {"name", "notes"} <= keys:
        return ckan.FORMAT
    return None


def _xml_format(head: str) -> str | None:
    body = _XML_PROLOG.sub("", head)
    root = _XML_ROOT.search(body)
    if not root:
        return None
    local = root.group(2)
    has_dcat = dcat.DCAT_NS in head
    if local == "RDF":
        return dcat.FORMAT_RDFXML if has_dcat else None
    if local in ("MD_Metadata", "MI_Metadata"):
        return iso19139.FORMAT
    if local in ("GetRecordsResponse", "GetRecordByIdResponse"):
        if _ISO_ELEMENT.search(body):
            return iso19139.FORMAT
        if has_dcat and _RDF_ELEMENT.search(body):
            return dcat.FORMAT_RDFXML
        if "isotc211.org/2005/gmd" in head:
            return iso19139.FORMAT
    return None


def _text_format(head: str) -> str | None:
    if not head.strip():
        return None
    _, columns = csvfile.header_of(head)
    if len(columns) >= 2:
        if ods.matches(columns):
            return ods.FORMAT_CSV
        if datagouv_csv.matches(columns):
            return datagouv_csv.FORMAT
    if _TURTLE.search(head) and (dcat.DCAT_NS in head or "dcat:" in head):
        return dcat.FORMAT_TURTLE
    return None


def sniff_head(head: bytes) -> str | None:
    """The format suggested by the first bytes of a file (JSON by key names only)."""
    text = decode(head)
    kind = _kind(text)
    if kind == "json":
        return _json_by_keys(text)
    if kind == "xml":
        return _xml_format(text)
    return _text_format(text)


def sniff_path(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
            if _kind(decode(head)) == "json" and size <= SNIFF_PARSE_LIMIT:
                data = head + f.read()
                try:
                    return classify_json(json.loads(data))
                except (ValueError, RecursionError):
                    return None
    except OSError as exc:
        raise SourceError(say("file.unreadable", path=path, reason=exc.strerror or exc)) from exc
    return sniff_head(head)


def _unknown(src: Src, where: str = "") -> Problem:
    return src.problem(say("format.unknown"), where)


def read_path(src: Src, path: Path) -> Iterator[Item]:
    """Every record and problem of one catalogue file."""
    size = path.stat().st_size
    if size == 0:
        yield src.problem(say("file.empty"))
        return
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    text = decode(head)
    kind = _kind(text)
    if kind == "text":
        fmt = _text_format(text)
        if fmt == datagouv_csv.FORMAT:
            yield from datagouv_csv.read(src, path)
            return
        if fmt == ods.FORMAT_CSV:
            yield from ods.read_csv(src, path)
            return
        if fmt is None:
            yield _unknown(src)
            return
    if kind == "xml" and _xml_format(text) is None:
        yield _unknown(src)
        return
    if size > MAX_WHOLE_FILE:
        yield src.problem(say("file.too_big", mb=size // 2**20, max=MAX_WHOLE_FILE // 2**20))
        return
    yield from read_buffer(src, path.read_bytes())


def read_buffer(src: Src, data: bytes, portal: str = "", where: str = "") -> Iterator[Item]:
    """Every record and problem of a catalogue held in memory (a file, a recorded response)."""
    text = decode(data[:HEAD_BYTES])
    kind = _kind(text)
    if kind == "json":
        obj = load_json(src, data, where)
        if isinstance(obj, Problem):
            yield obj
            return
        yield from read_json(src, obj, portal, where)
        return
    fmt = _xml_format(text) if kind == "xml" else _text_format(text)
    if fmt == iso19139.FORMAT:
        yield from iso19139.read(src, data)
    elif fmt in (dcat.FORMAT_RDFXML, dcat.FORMAT_TURTLE):
        yield from dcat.read_rdf(src, data, fmt)
    elif fmt in (datagouv_csv.FORMAT, ods.FORMAT_CSV):
        yield src.problem(say("csv.in_session"), where)
    else:
        yield _unknown(src, where)


def read_json(src: Src, obj: Any, portal: str = "", where: str = "") -> Iterator[Item]:
    fmt = classify_json(obj)
    if fmt == session.FORMAT:
        yield from session.read_json(src, obj)
    elif fmt == ckan.FORMAT:
        yield from ckan.read_json(src, obj, portal)
    elif fmt in (ods.FORMAT_JSON, ods.FORMAT_V1):
        yield from ods.read_json(src, obj, portal)
    elif fmt == dcat.FORMAT_US:
        yield from dcat.read_us(src, obj)
    elif fmt == dcat.FORMAT_JSONLD:
        yield from dcat.read_rdf(src, json.dumps(obj).encode(), fmt)
    elif fmt == datapackage.FORMAT:
        yield from datapackage.read_json(src, obj)
    elif fmt == udata.FORMAT:
        yield from udata.read_json(src, obj)
    else:
        yield _unknown(src, where)
