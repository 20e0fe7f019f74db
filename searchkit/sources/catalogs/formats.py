"""Resource formats as short lower-case names: ``csv``, ``geojson``, ``shp``, ``web page``...

Catalogues give a format as a name (``CSV``, ``Shapefile (zip)``, ``esri
shapefile (shp)``), a MIME type (``application/vnd.geo+json``,
``application/csv; charset=utf-8``), an IANA or EU vocabulary URL, a GeoNetwork
protocol (``OGC:WMS``, ``WWW:LINK-1.0-http--link``, ``www:download:application/pdf``)
or several at once (``csv, json, excel, shp``).  Harvesters even leave RDF blank
node ids (``n2b8ec869...``) behind.  ``normalise_formats`` maps them all::

    >>> normalise_formats(["CSV", "text/csv", "Shapefile (zip)", "OGC:WMS", "Page web", "n2b8ec86942ba400a90a404d1c7acba06"])
    ('csv', 'shp', 'wms', 'web page')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from searchkit.textnorm import clean

WEB_PAGE = "web page"

_MIME = {
    "text/csv": "csv", "application/csv": "csv", "text/comma-separated-values": "csv",
    "application/json": "json", "text/json": "json",
    "application/geo+json": "geojson", "application/vnd.geo+json": "geojson",
    "application/ld+json": "jsonld",
    "application/vnd.google-earth.kml+xml": "kml", "application/vnd.google-earth.kmz": "kmz",
    "application/zip": "zip", "application/x-zip-compressed": "zip", "application/x-zip": "zip",
    "application/pdf": "pdf", "text/html": WEB_PAGE, "application/xhtml+xml": WEB_PAGE,
    "application/xml": "xml", "text/xml": "xml", "application/rdf+xml": "rdf",
    "text/turtle": "ttl", "application/n-triples": "nt", "text/n3": "n3",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt", "application/rtf": "rtf", "text/rtf": "rtf",
    "application/x-shapefile": "shp", "x-gis/x-shapefile": "shp", "application/shp": "shp",
    "application/geopackage+sqlite3": "gpkg", "application/x-sqlite3": "sqlite",
    "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet",
    "application/x-7z-compressed": "7z", "application/gzip": "gz", "application/x-gzip": "gz",
    "image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif", "image/svg+xml": "svg",
    "text/calendar": "ics", "application/rss+xml": "rss", "application/gml+xml": "gml",
}

_ALIASES = {
    "html": WEB_PAGE, "htm": WEB_PAGE, "page web": WEB_PAGE, "web page": WEB_PAGE,
    "webpage": WEB_PAGE, "site web": WEB_PAGE, "lien": WEB_PAGE, "link": WEB_PAGE,
    "landing_page": WEB_PAGE, "landing page": WEB_PAGE,
    "shapefile": "shp", "shp": "shp", "shapfile": "shp", "esri shapefile": "shp",
    "esri shapefile (shp)": "shp", "shapefile (zip)": "shp", "shp.zip": "shp",
    "shp (wgs84)": "shp", "shp (lambert 93)": "shp", "zip (shp)": "shp", "x-shapefile": "shp",
    "geo+json": "geojson", "vnd.geo+json": "geojson", "geojson": "geojson",
    "csv/utf8": "csv", "csv (utf-8)": "csv", "csv utf-8": "csv",
    "excel": "xls", "microsoft excel": "xls", "ms excel": "xls", "vnd.ms-excel": "xls",
    "vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "vnd.oasis.opendocument.spreadsheet": "ods", "vnd.oasis.opendocument.text": "odt",
    "microsoft word": "doc", "word": "doc", "msword": "doc",
    "plain": "txt", "text": "txt", "texte": "txt",
    "jpeg": "jpg", "tiff": "tif", "geotiff": "tif", "image tiff (tif)": "tif",
    "ogc:wms": "wms", "ogc wms": "wms", "wms": "wms", "ogc:wfs": "wfs", "ogc wfs": "wfs",
    "ogc:wmts": "wmts", "ogc wmts": "wmts", "ogc:wcs": "wcs",
    "arcgis geoservices rest api": "esri rest", "esri rest": "esri rest", "arcgis": "esri rest",
    "esri:rest": "esri rest", "arcgis rest": "esri rest",
    "geopackage": "gpkg", "gpkg": "gpkg", "gpkg.zip": "gpkg",
    "rdf/xml": "rdf", "rdf+xml": "rdf", "rdf-xml": "rdf", "turtle": "ttl", "rdf/turtle": "ttl",
    "rdf/nt": "nt", "rdf.nt": "nt", "n-triples": "nt", "ntriples": "nt", "rdf/n3": "n3",
    "json-ld": "jsonld", "ld+json": "jsonld",
    "ical": "ics", "icalendar": "ics", "dbase": "dbf", "mapinfo tab": "tab", "mapinfo": "tab",
    "kml/kmz": "kml", "octet-stream": "",
}
# values that say nothing about the format
_EMPTY = {"", "autre", "other", "others", "inconnu", "unknown", "none", "null", "n/a", "na",
          "-", "?", "divers", "fichier", "file", "data", "donnees", "données", "url"}
_BLANK_NODE = re.compile(r"^n?[0-9a-f]{32}$|^_:")
_VOCAB_URL = re.compile(
    r"^https?://(?:www\.)?(?:iana\.org/assignments/media-types/|"
    r"publications\.europa\.eu/resource/authority/file-type/|purl\.org/NET/mediatypes/)(.+)$"
)
_SPLIT = re.compile(r"\s*(?:,|;|\bet\b|\band\b|\s\+\s|\s/\s)\s*")
_MIME_LIKE = re.compile(r"^(?:application|text|image|audio|video|x-gis|model)/[\w.+-]+$")


def _one(value: str) -> list[str]:
    """The normalised formats named by one raw value (usually one, sometimes none or several)."""
    key = " ".join(clean(value).lower().split()).strip(" .")
    if key in _EMPTY or _BLANK_NODE.match(key):
        return []
    vocab = _VOCAB_URL.match(key)
    if vocab:
        key = vocab.group(1).strip("/")
    if key.startswith("www:link") or key.startswith("www link"):
        return [WEB_PAGE]
    if key.startswith("www:download"):
        rest = key.split(":", 2)[2] if key.count(":") >= 2 else ""
        if not rest or rest.startswith("1.0") or "-http--" in key or "-ftp--" in key:
            return []
        key = rest
    key = key.split(";", 1)[0].strip()  # "application/csv; charset=utf-8"
    if key in _MIME:
        return [_MIME[key]]
    if key in _ALIASES:
        return [_ALIASES[key]] if _ALIASES[key] else []
    if _MIME_LIKE.match(key):
        sub = key.split("/", 1)[1]
        sub = re.sub(r"^(?:vnd\.|x-)", "", sub)
        sub = sub.split("+")[0] if not sub.endswith("+json") else sub.split("+")[0] or "json"
        return _one(sub) or [sub]
    if len(key) > 40 or "?" in key or "=" in key or key.startswith("http"):
        return []
    parts = [p for p in _SPLIT.split(key) if p]
    if len(parts) > 1:
        out: list[str] = []
        for part in parts:
            out.extend(_one(part) or [part])
        return out
    stripped = re.sub(r"\s*\([^)]*\)\s*", "", key).strip()
    if stripped and stripped != key:
        return _one(stripped) or [stripped]
    words = key.split()
    if len(words) > 1 and all(w in _ALIASES or w in _KNOWN for w in words):
        return [f for w in words for f in _one(w)]
    if len(words) > 1 and words[0] in _KNOWN:  # "csv lonlat/xy", "shp lambert 93"
        return [words[0]]
    if key.startswith(".") and len(key) <= 8:
        return _one(key[1:])
    return [key]


_KNOWN = {
    "csv", "json", "geojson", "xls", "xlsx", "ods", "odt", "pdf", "zip", "shp", "kml", "kmz",
    "xml", "txt", "doc", "docx", "rtf", "gpkg", "wms", "wfs", "wmts", "ttl", "nt", "n3", "rdf",
    "jsonld", "parquet", "7z", "gz", "tif", "png", "jpg", "svg", "gtfs", "gtfs-rt", "sql", "dbf",
    "tab", "gdb", "ecw", "las", "laz", "asc", "ics", "rss", "api", "gml", "dxf", "dwg", "mif",
}


def normalise_formats(values: Iterable[str | None]) -> tuple[str, ...]:
    """Normalised, de-duplicated formats, in order of first appearance."""
    seen: dict[str, None] = {}
    for value in values:
        if not value or not isinstance(value, str):
            continue
        for fmt in _one(value):
            fmt = fmt.strip(" .")
            if fmt and fmt not in _EMPTY:
                seen.setdefault(fmt, None)
    return tuple(seen)
