"""The portal APIs ``searchkit harvest`` speaks, one ``Kind`` each (``KINDS``).

=======  ===============================================  ==========================================
kind     first page                                       next page / changed since the last run
=======  ===============================================  ==========================================
udata    ``/api/1/datasets/?page_size=N&sort=created``    ``next_page``; a second run sorts by
                                                          ``-last_update`` and stops at the first
                                                          dataset older than the last run
ckan     ``/api/3/action/package_search?rows=N&start=0``  ``start`` + ``rows`` while below ``count``;
                                                          ``fq=metadata_modified:[SINCE TO *]``
ods      ``/api/explore/v2.1/catalog/datasets?limit=N``   ``offset`` + ``limit`` below ``total_count``;
                                                          ``where=modified>=date'SINCE'``
dcat     the catalogue URL (JSON-LD or RDF/XML)           hydra ``nextPage``; ETag / If-Modified-Since
csw      ``?service=CSW&request=GetRecords...``           ``nextRecord`` (0 at the end); ETag /
                                                          If-Modified-Since
=======  ===============================================  ==========================================

``parse`` checks that an answer is what the kind returns (ValueError when it is
not: the client retries, then stops) and finds the next page.  The JSON kinds
also give their dataset list (``records``), the id and modification date of a
dataset, so that a second run merges the changed datasets into the pages already
on disk; dcat and csw pages are kept whole and asked again with ETag /
If-Modified-Since.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

@dataclass
class Page:
    records: list | None  # the datasets of a JSON page (None for dcat and csw)
    next_url: str | None
    total: int | None  # datasets in the catalogue, when the API says
    count: int  # datasets in this page


def with_params(url: str, **params) -> str:
    """``url`` with these query parameters set (others kept; None removes one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _param(url: str, name: str, default: int) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get(name, "")
    return int(value) if value.isdigit() else default


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"JSON: {exc}") from None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- udata ---

def _udata_first(url: str, since: str | None, size: int) -> str:
    return with_params(url, page_size=size, page=1, sort="-last_update" if since else "created")


def _udata_parse(body: bytes, url: str, since: str | None) -> Page:
    obj = _json(body)
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise ValueError("not a udata page (no data list)")
    records = obj["data"]
    following = obj.get("next_page") if isinstance(obj.get("next_page"), str) and records else None
    if since and any(_udata_modified(r) < since for r in records if isinstance(r, dict)):
        following = None  # sorted by last update: what follows is older than the last run
    return Page(records, following, _int(obj.get("total")), len(records))


def _udata_modified(record: dict) -> str:
    return str(record.get("last_update") or record.get("last_modified") or "")


# --- CKAN ---

def _ckan_first(url: str, since: str | None, size: int) -> str:
    if since and not since.endswith("Z"):
        since += "Z"  # Solr dates are UTC with a Z
    return with_params(url, rows=size, start=0, sort="metadata_modified asc",
                       fq=f"metadata_modified:[{since} TO *]" if since else None)


def _ckan_parse(body: bytes, url: str, since: str | None) -> Page:
    obj = _json(body)
    result = obj.get("result") if isinstance(obj, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("results"), list) or obj.get("success") is False:
        raise ValueError("not a CKAN package_search answer (no result.results)")
    records, total = result["results"], _int(result.get("count"))
    start = _param(url, "start", 0)
    following = None
    if records and (total is None or start + len(records) < total):
        following = with_params(url, start=start + len(records))
    return Page(records, following, total, len(records))


# --- OpenDataSoft Explore v2.1 ---

def _ods_first(url: str, since: str | None, size: int) -> str:
    return with_params(url, limit=min(size, 100), offset=0, order_by="dataset_id",
                       where=f"modified>=date'{since}'" if since else None)


def _ods_parse(body: bytes, url: str, since: str | None) -> Page:
    obj = _json(body)
    if not isinstance(obj, dict) or not isinstance(obj.get("results"), list):
        raise ValueError("not an OpenDataSoft catalogue page (no results list)")
    records, total = obj["results"], _int(obj.get("total_count"))
    offset = _param(url, "offset", 0)
    following = None
    if records and (total is None or offset + len(records) < total):
        following = with_params(url, offset=offset + len(records))
    return Page(records, following, total, len(records))


def _ods_modified(record: dict) -> str:
    metas = record.get("metas") if isinstance(record.get("metas"), dict) else {}
    default = metas.get("default") if isinstance(metas.get("default"), dict) else metas
    return str(default.get("modified") or "")


# --- DCAT with hydra paging ---

_HYDRA_NEXT_XML = re.compile(
    r"<(?:[\w.-]+:)?nextPage(?:\s+[^>]*?resource=\"([^\"]+)\"[^>]*/>|[^>]*>\s*([^<\s]+)\s*<)")
_HYDRA_TOTAL_XML = re.compile(r"<(?:[\w.-]+:)?totalItems[^>]*>\s*(\d+)\s*<")
_DCAT_DATASET_XML = re.compile(r"<dcat:Dataset[\s>]")


def _jsonld_value(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("@id", value.get("@value"))
    if isinstance(value, list) and value:
        return _jsonld_value(value[0])
    return value


def _dcat_parse(body: bytes, url: str, since: str | None) -> Page:
    start = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] in (b"{", b"["):
        obj = _json(body)
        if isinstance(obj, dict):
            graph = obj.get("@graph")
            nodes = [obj] + (graph if isinstance(graph, list) else [])
        else:
            nodes = obj if isinstance(obj, list) else []
        following, total, count = None, None, 0
        for node in (n for n in nodes if isinstance(n, dict)):
            for key, value in node.items():
                name = key.rsplit(":", 1)[-1].rsplit("#", 1)[-1]  # hydra:nextPage, nextPage, or the full IRI
                if name == "nextPage" and isinstance(_jsonld_value(value), str):
                    following = _jsonld_value(value)
                elif name == "totalItems" and str(_jsonld_value(value)).isdigit():
                    total = int(_jsonld_value(value))
            kinds = node.get("@type", [])
            if any(str(k).endswith("Dataset") for k in (kinds if isinstance(kinds, list) else [kinds])):
                count += 1
        return Page(None, following, total, count)
    text = body.decode("utf-8", "replace")
    if not start.startswith(b"<"):
        raise ValueError("not a DCAT catalogue (neither JSON-LD nor RDF/XML)")
    found = _HYDRA_NEXT_XML.search(text)
    total = _HYDRA_TOTAL_XML.search(text)
    following = (found.group(1) or found.group(2)).replace("&amp;", "&") if found else None
    return Page(None, following, int(total.group(1)) if total else None, len(_DCAT_DATASET_XML.findall(text)))


# --- CSW GetRecords ---

_CSW_RESULTS = re.compile(r"<(?:[\w.-]+:)?SearchResults\b([^>]*)>")
_ATTRIBUTE = re.compile(r"(\w+)=\"(\d*)\"")


def _csw_first(url: str, since: str | None, size: int) -> str:
    defaults = {"service": "CSW", "version": "2.0.2", "request": "GetRecords", "typeNames": "csw:Record",
                "resultType": "results", "elementSetName": "full",
                "outputSchema": "http://www.isotc211.org/2005/gmd"}
    given = {k.lower() for k, _ in parse_qsl(urlsplit(url).query)}
    return with_params(url, **{k: v for k, v in defaults.items() if k.lower() not in given},
                       startPosition=1, maxRecords=min(size, 100))


def _csw_parse(body: bytes, url: str, since: str | None) -> Page:
    text = body[:64 * 1024].decode("utf-8", "replace")
    found = _CSW_RESULTS.search(text)
    if not found:
        raise ValueError("not a CSW GetRecords answer (no SearchResults)")
    values = {k: int(v) for k, v in _ATTRIBUTE.findall(found.group(1)) if v}
    following = None
    if values.get("nextRecord", 0) > 0 and values.get("numberOfRecordsReturned", 0) > 0:
        following = with_params(url, startPosition=values["nextRecord"])
    return Page(None, following, values.get("numberOfRecordsMatched"), values.get("numberOfRecordsReturned", 0))


@dataclass(frozen=True)
class Kind:
    name: str
    suffix: str  # of the page files
    path_hint: re.Pattern  # how a URL of this API looks
    first: Callable[[str, str | None, int], str]  # (url, since, page size) -> the first page's URL
    parse: Callable[[bytes, str, str | None], Page]
    list_path: tuple[str, ...] = ()  # where a JSON page keeps its datasets
    ident: str = ""  # the dataset key holding its id
    modified: Callable[[dict], str] | None = None  # a dataset's modification date (JSON kinds)

    @property
    def by_record(self) -> bool:
        """Whether a second run merges changed datasets (else: pages asked again with ETag)."""
        return bool(self.list_path)

    def id_of(self, record: Any) -> str | None:
        """A dataset's id as text; None for an entry that is not a dataset with an id."""
        return str(record[self.ident]) if isinstance(record, dict) and record.get(self.ident) is not None else None

    def records_of(self, obj: Any) -> list:
        for key in self.list_path:
            obj = obj[key]
        return obj

    def with_records(self, obj: Any, records: list) -> Any:
        holder = obj
        for key in self.list_path[:-1]:
            holder = holder[key]
        holder[self.list_path[-1]] = records
        return obj


KINDS: dict[str, Kind] = {
    "udata": Kind("udata", ".json", re.compile(r"/api/[12]/datasets/?$"), _udata_first, _udata_parse,
                  ("data",), "id", _udata_modified),
    "ckan": Kind("ckan", ".json", re.compile(r"/api/(?:3/)?action/package_search/?$"), _ckan_first, _ckan_parse,
                 ("result", "results"), "id", lambda r: str(r.get("metadata_modified") or "")),
    "ods": Kind("ods", ".json", re.compile(r"/api/explore/v2\.[01]/catalog/datasets/?$"), _ods_first, _ods_parse,
                ("results",), "dataset_id", _ods_modified),
    "dcat": Kind("dcat", ".jsonld", re.compile(r"(?:catalog|dcat)[^/]*$|\.(?:jsonld|rdf|xml)$", re.I),
                 lambda url, since, size: url, _dcat_parse),
    "csw": Kind("csw", ".xml", re.compile(r"/csw/?$|[?&]service=csw", re.I), _csw_first, _csw_parse),
}


def detect(url: str) -> str | None:
    """The kind of API ``url`` points to, from its path (None when it is not clear)."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    for name in ("udata", "ckan", "ods", "csw", "dcat"):
        if KINDS[name].path_hint.search(parts.path if name != "csw" else path):
            return name
    return None


def suffix_for(kind: Kind, body: bytes) -> str:
    """The page file suffix: dcat pages are JSON-LD or RDF/XML."""
    if kind.name == "dcat" and body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return ".rdf"
    return kind.suffix
