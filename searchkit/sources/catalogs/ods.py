"""OpenDataSoft catalogues: Explore API v2.x exports and the v1 dataset search.

No real sample in the corpus: the readers follow the published API
documentation (help.opendatasoft.com, opendatasoft/ods-documentation-explore-api).

- v2.1 ``/api/explore/v2.1/catalog/exports/json``: a list of dataset objects
  ``{"dataset_id", "has_records", "features", "fields", "attachments",
  "metas": {"default": {...}, "dcat": {...}}}``; ``/catalog/datasets`` wraps
  them as ``{"total_count", "results": [...]}`` and v2.0 as
  ``{"datasets": [{"dataset": {...}, "links": [...]}]}``;
- v2.1 ``/catalog/exports/csv``: ``;`` by default, list values joined by
  ``,``; columns named after the metadata (``dataset_id``, ``title``,
  ``description``, ``theme``, ``keyword``, ``license``, ``publisher``,
  ``modified``, ``records_count``...), a ``default.`` / ``dcat.`` prefix is
  accepted too;
- v1 ``/api/datasets/1.0/search``: ``{"nhits", "datasets": [{"datasetid",
  "metas": {...}}]}`` with the metadata flat in ``metas``.

Records get the id ``ods:<dataset_id>``.  OpenDataSoft does not list formats:
a dataset with records is exported as ``csv`` and ``json``, a ``geo`` one as
``geojson`` and ``shp`` too, and attachments add their own; those are the
formats given.  Usage counts are in ``metas.explore`` (v2) or flat in the v1
``metas`` and the CSV columns: ``download_count``, ``api_call_count`` (both
``downloads``: a use of the data), ``reuse_count`` (``reuses``);
``popularity_score`` is OpenDataSoft's own blend of them, not read twice.
The landing page ``https://<domain>/explore/dataset/<id>/`` is
only built when the domain is known (v2.0 links, a recorded session).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import csvfile
from .common import Item, Src, as_list, bbox_text, build, period, record_position, text_of
from .wording import say, where_of

FORMAT_JSON = "ods-json"
FORMAT_V1 = "ods-v1-json"
FORMAT_CSV = "ods-csv"


def _dataset_items(obj: Any) -> list[Any] | None:
    """The dataset objects of any v2 shape, or None if ``obj`` is not one."""
    if isinstance(obj, dict):
        if "dataset_id" in obj and "metas" in obj:
            return [obj]
        for key in ("results", "datasets"):
            if isinstance(obj.get(key), list):
                items = [d.get("dataset") if isinstance(d, dict) and isinstance(d.get("dataset"), dict) else d
                         for d in obj[key]]
                if any(isinstance(d, dict) and "dataset_id" in d for d in items[:5]):
                    return items
        return None
    if isinstance(obj, list) and any(isinstance(d, dict) and "dataset_id" in d for d in obj[:5]):
        return obj
    return None


def looks_like_v2(obj: Any) -> bool:
    if isinstance(obj, dict) and "total_count" in obj and obj.get("results", obj.get("datasets")) == []:
        return True  # an empty page of /catalog/datasets
    return _dataset_items(obj) is not None


def looks_like_v1(obj: Any) -> bool:
    if isinstance(obj, dict) and "datasetid" in obj:
        return True
    if isinstance(obj, dict) and "nhits" in obj and obj.get("datasets") == []:
        return True  # a search without results
    datasets = obj.get("datasets") if isinstance(obj, dict) else obj
    return isinstance(datasets, list) and any(isinstance(d, dict) and "datasetid" in d for d in datasets[:5])


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _portal(obj: dict[str, Any]) -> str:
    for link in as_list(obj.get("links")):
        href = text_of(link.get("href")) if isinstance(link, dict) else ""
        match = re.match(r"^(https?://[^/]+)/api/", href)
        if match:
            return match.group(1)
    return ""


def read_json(src: Src, obj: Any, portal: str = "") -> Iterator[Item]:
    if looks_like_v1(obj) and not looks_like_v2(obj):
        items = [obj] if isinstance(obj, dict) and "datasetid" in obj else (
            obj.get("datasets") if isinstance(obj, dict) else obj)
        v1 = True
    else:
        items = _dataset_items(obj) or []
        v1 = False
        if isinstance(obj, dict) and isinstance(obj.get("datasets"), list):
            portal = portal or next((_portal(d) for d in obj["datasets"] if isinstance(d, dict) and _portal(d)), "")
    for index, d in enumerate(items, 1):
        where = record_position(index)
        if not isinstance(d, dict):
            yield src.problem(say("record.not_object", kind="OpenDataSoft"), where_of(where))
            continue
        metas = _dict(d.get("metas"))
        default = metas if v1 or "default" not in metas else _dict(metas.get("default"))
        dcat = _dict(metas.get("dcat")) or _dict(_dict(d.get("interop_metas")).get("dcat"))
        explore = _dict(metas.get("explore"))
        fields = {**{f"dcat.{k}": v for k, v in dcat.items()}, **{f"explore.{k}": v for k, v in explore.items()},
                  **default}
        ident = d.get("datasetid") if v1 else d.get("dataset_id")
        yield record(src, ident, fields, d, where, portal)


def _formats(d: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if d.get("has_records", True) is not False:
        out += ["csv", "json"]
    if "geo" in as_list(d.get("features")):
        out += ["geojson", "shp"]
    for attachment in as_list(d.get("attachments")):
        if isinstance(attachment, dict):
            name = text_of(attachment.get("url")) or text_of(attachment.get("title"))
            ext = name.rsplit(".", 1)[-1] if "." in name[-6:] else ""
            out.append(text_of(attachment.get("mimetype")) or ext)
    return out


def _temporal(m: dict[str, Any]) -> str:
    free = text_of(m.get("dcat.temporal"))
    if free:
        return period(free)
    start, end = m.get("dcat.temporal_coverage_start"), m.get("dcat.temporal_coverage_end")
    return period(start, end) if (start or end) else ""


# usage counts -> model.POPULARITY_SIGNALS
_METRICS = {"download_count": "downloads", "api_call_count": "downloads", "reuse_count": "reuses"}


def _metrics(m: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for name, signal in _METRICS.items():
        value = m.get(f"explore.{name}", m.get(name))
        if value is not None and value != "":
            out.append((signal, value))
    return out


def record(src: Src, ident: Any, m: dict[str, Any], d: dict[str, Any], position: str, portal: str) -> Item:
    get = lambda key: m.get(key)  # noqa: E731
    identifier = text_of(ident).strip()
    url = f"{portal}/explore/dataset/{identifier}/" if portal and identifier else ""
    geo = get("geographic_reference")
    spatial = text_of(as_list(get("territory"))) or text_of(get("dcat.spatial")) or bbox_text(get("bbox") or "")
    return build(
        src,
        prefix="ods",
        ident=identifier,
        title=get("title"),
        position=position,
        description=get("description"),
        tags=as_list(get("keyword")),
        publisher=get("publisher") or get("dcat.creator"),
        licence=text_of(get("license")),
        licence_url=text_of(get("license_url")),
        formats=_formats(d),
        resources=len(_formats(d)),
        spatial=spatial or text_of(as_list(geo)),
        temporal=_temporal(m),
        created=get("dcat.created") or get("dcat.issued"),
        modified=get("modified") or get("data_processed") or get("metadata_processed"),
        url=url or text_of(get("landing_page")),
        zones=as_list(get("territory")),
        metrics=_metrics(m),
        extra=[
            ("themes", text_of(as_list(get("theme")))),
            ("frequency", get("update_frequency") or get("dcat.accrualperiodicity")),
            ("records_count", get("records_count")),
            ("language", get("language")),
            ("references", get("references")),
        ],
    )


# --- CSV export ----------------------------------------------------------------------

_PREFIXES = ("metas.default.", "default.", "metas.")


def matches(columns: list[str]) -> bool:
    names = {_strip(c) for c in columns}
    return bool(names & {"dataset_id", "datasetid"}) and "title" in names


def _strip(column: str) -> str:
    for prefix in _PREFIXES:
        if column.startswith(prefix):
            return column[len(prefix):]
    return column


def read_csv(src: Src, path: Path) -> Iterator[Item]:
    delimiter, _ = csvfile.header_of(csvfile.head_text(path))
    for row in csvfile.rows(src, path, delimiter):
        if not isinstance(row, csvfile.Row):
            yield row
            continue
        fields: dict[str, Any] = {}
        for column, value in row.values.items():
            key = _strip(column)
            if key in ("keyword", "theme", "territory", "features", "geographic_reference"):
                fields[key] = [v.strip() for v in value.split(",") if v.strip()]
            else:
                fields[key] = value.strip()
        d = {"features": fields.get("features", []), "has_records": _records(fields)}
        ident = fields.get("dataset_id") or fields.get("datasetid")
        yield record(src, ident, fields, d, f"ligne {row.line}", "")


def _records(fields: dict[str, Any]) -> bool:
    value = text_of(fields.get("has_records")).lower()
    if value in ("false", "non", "0"):
        return False
    count = text_of(fields.get("records_count"))
    return not (count.isdigit() and int(count) == 0)
