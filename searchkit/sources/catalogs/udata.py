"""udata API JSON (data.gouv.fr and every udata portal): ``/api/1/datasets/...``.

Three shapes: one dataset object (``/api/1/datasets/<id>/``), a list of them,
or a page ``{"data": [...], "page": 1, "next_page": "...", "total": n}``.
Records get the id ``datagouv:<id>`` like the CSV export of the same portal,
and ``position`` "enregistrement N" (N counts from 1 in the file).

Fields: ``description`` is Markdown; ``tags`` are slugs; the publisher is the
organization's name, else the owner's first and last name; ``license`` is an
id (``lov2``, ``fr-lo``, ``notspecified``...); ``spatial.zones`` are zone ids
(``fr:commune:41018@1943-01-01``) kept as given, but a whole country's or group's
(``country:fr``), named as the CSV export names it (``model.ZONE_NAMES``: "France");
``temporal_coverage`` is ``{"start", "end"}``; resources give the formats (their
``format``, else their ``mime``).  ``metrics`` (``views``, ``followers``,
``reuses``, ``discussions``, and ``resources_downloads`` in recent versions),
``featured`` and ``quality.score`` feed the popularity prior.  API v2 pages resources (``{"href", "total"}``):
then only their number is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .common import Item, Src, as_list, build, period, record_position, text_of
from .wording import say, where_of

FORMAT = "udata-json"
# udata metric names that are not ours (``model.POPULARITY_SIGNALS``)
_SIGNALS = {"resources_downloads": "downloads"}
_MARKERS = {"page", "slug", "uri", "badges", "organization", "resources", "last_modified"}


def looks_like(obj: Any) -> bool:
    """A udata dataset object, a list of them or a page of them."""
    if isinstance(obj, dict) and isinstance(obj.get("data"), list):
        if not obj["data"]:  # an empty page
            return bool({"page", "next_page", "page_size", "total"} & obj.keys())
        return any(_is_dataset(d) for d in obj["data"][:5])
    if isinstance(obj, list):
        return any(_is_dataset(d) for d in obj[:5])
    return _is_dataset(obj)


def _is_dataset(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and "id" in obj
        and "title" in obj
        and len(_MARKERS & obj.keys()) >= 2
        and "notes" not in obj  # CKAN
    )


def read_json(src: Src, obj: Any) -> Iterator[Item]:
    items = obj["data"] if isinstance(obj, dict) and isinstance(obj.get("data"), list) else obj
    for index, item in enumerate(as_list(items), 1):
        where = record_position(index)
        if not isinstance(item, dict):
            yield src.problem(say("record.not_object", kind="udata"), where_of(where))
            continue
        yield record(src, item, where)


def _name(person: Any) -> str:
    if not isinstance(person, dict):
        return text_of(person)
    full = " ".join(text_of(person.get(k)) for k in ("first_name", "last_name")).strip()
    return full or text_of(person.get("name")) or text_of(person.get("slug"))


def record(src: Src, d: dict[str, Any], position: str) -> Item:
    org = d.get("organization") if isinstance(d.get("organization"), dict) else {}
    spatial = d.get("spatial") if isinstance(d.get("spatial"), dict) else {}
    coverage = d.get("temporal_coverage") if isinstance(d.get("temporal_coverage"), dict) else {}
    harvest = d.get("harvest") if isinstance(d.get("harvest"), dict) else {}
    raw_resources = d.get("resources")
    resources = [r for r in as_list(raw_resources) if isinstance(r, dict)]
    if isinstance(raw_resources, dict):  # API v2: a link to the paginated resources
        count = int(raw_resources.get("total") or 0) if str(raw_resources.get("total", "")).isdigit() else 0
    else:
        count = len(resources)
    formats = [text_of(r.get("format")) or text_of(r.get("mime")) for r in resources]
    archived = d.get("archived")
    usage = d.get("metrics") if isinstance(d.get("metrics"), dict) else {}
    quality = d.get("quality") if isinstance(d.get("quality"), dict) else {}
    return build(
        src,
        prefix="datagouv",
        ident=d.get("id"),
        title=d.get("title"),
        position=position,
        description=d.get("description"),
        tags=as_list(d.get("tags")),
        publisher=text_of(org.get("name")) or _name(d.get("owner")),
        licence=text_of(d.get("license")),
        formats=formats,
        resources=count,
        spatial=text_of(as_list(spatial.get("zones"))),
        temporal=period(coverage.get("start"), coverage.get("end")) if coverage else "",
        created=d.get("created_at"),
        modified=d.get("last_modified") or d.get("last_update"),
        url=d.get("page"),
        zones=as_list(spatial.get("zones")),
        metrics=[(_SIGNALS.get(name, name), value) for name, value in usage.items()],
        featured=d.get("featured"),
        quality=quality.get("score"),
        extra=[
            ("organization", org.get("name")),
            ("slug", d.get("slug")),
            ("acronym", d.get("acronym")),
            ("frequency", d.get("frequency")),
            ("granularity", spatial.get("granularity")),
            ("archived", "oui" if archived else "non"),
            ("harvest", harvest.get("backend")),
            ("harvest_domain", harvest.get("domain")),
        ],
    )
