"""data.gouv.fr catalogue exports in CSV, streamed row by row.

Two shapes, told apart by their header, never by the file name:

- the current export (``export-dataset-*.csv``): 40 columns, ``;``, every
  string quoted, CRLF records with LF inside quoted descriptions, tags and
  resource formats as comma-separated lists, ``archived`` either ``False`` or
  a timestamp, monthly metrics as Python-dict strings (ignored), and the
  totals ``metric.views``, ``metric.resources_downloads``,
  ``metric.followers``, ``metric.reuses``, ``metric.discussions`` (empty for
  none), ``featured`` and ``quality_score``, which feed the popularity prior;
- older, narrower exports such as ``id,title,url,description,organization``
  with ``,`` and LF.

Any header with ``id`` and ``title`` plus one of ``url``, ``description``,
``organization``, ``slug``, ``license`` or ``tags`` is read this way; missing
columns simply give empty fields.  Records get the id ``datagouv:<id>`` (the
udata API JSON uses the same, so both deduplicate) and ``position`` "ligne N",
the line where the record starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from . import csvfile
from .common import Item, Src, build, period

FORMAT = "datagouv-csv"
_CONTEXT = {"url", "description", "organization", "slug", "license", "tags"}


def matches(columns: list[str]) -> bool:
    cols = set(columns)
    return {"id", "title"} <= cols and bool(cols & _CONTEXT) and not cols & {"dataset_id", "datasetid"}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _int(value: str) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


# metric columns of the export -> model.POPULARITY_SIGNALS
_METRICS = {
    "metric.views": "views", "metric.resources_downloads": "downloads", "metric.followers": "followers",
    "metric.reuses": "reuses", "metric.discussions": "discussions",
}


def read(src: Src, path: Path) -> Iterator[Item]:
    delimiter, _ = csvfile.header_of(csvfile.head_text(path))
    for row in csvfile.rows(src, path, delimiter):
        if not isinstance(row, csvfile.Row):
            yield row  # a Problem
            continue
        yield record(src, row.values, f"ligne {row.line}")


def record(src: Src, v: dict[str, str], position: str) -> Item:
    get = lambda key: (v.get(key) or "").strip()  # noqa: E731
    organization = get("organization")
    archived: list[tuple[str, str]] = []
    if "archived" in v:
        flag = get("archived")
        archived = [("archived", "non" if flag.lower() in ("", "false", "none", "0") else "oui")]
    has_temporal = "temporal_coverage.start" in v or "temporal_coverage.end" in v
    formats = _split(get("resources_formats"))
    return build(
        src,
        prefix="datagouv",
        ident=get("id"),
        title=get("title"),
        position=position,
        description=get("description") or get("description_short"),
        tags=_split(get("tags")),
        publisher=organization or get("owner"),
        licence=get("license"),
        formats=formats,
        resources=_int(get("resources_count")) if "resources_count" in v else len(formats),
        spatial=get("spatial.zones"),
        temporal=period(get("temporal_coverage.start"), get("temporal_coverage.end")) if has_temporal else "",
        created=get("created_at"),
        modified=get("last_modified"),
        url=get("url"),
        zones=_split(get("spatial.zones")),
        metrics=[(signal, v[column]) for column, signal in _METRICS.items() if column in v],
        featured=get("featured"),
        quality=v.get("quality_score"),
        extra=[
            ("organization", organization),
            ("owner", get("owner") if not organization else ""),
            ("slug", get("slug")),
            ("acronym", get("acronym")),
            ("frequency", get("frequency")),
            ("granularity", get("spatial.granularity")),
            *archived,
            ("harvest", get("harvest.backend")),
            ("harvest_domain", get("harvest.domain")),
        ],
    )
