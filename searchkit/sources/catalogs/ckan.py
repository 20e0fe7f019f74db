"""CKAN (and DKAN) action API responses.

- ``package_search``: ``{"help", "success", "result": {"count", "results": [...]}}``;
- ``package_show``: ``{"result": {...}}``; DKAN answers with a list,
  ``{"result": [{...}]}`` (``current_package_list_with_resources`` even nests
  lists, flattened here);
- a bare package object or a list of packages (a saved ``result``);
- ``{"success": false, "error": {...}}`` and ``package_list`` (names only)
  give one Problem.

Records get the id ``ckan:<id>``.  Tags are display names (with spaces and
accents); the publisher is the organization's title, else the author, the
maintainer or the first group (DKAN has groups where CKAN has organizations).
The licence is read from ``license_id`` when it is a known id, else from
``license_title`` (DKAN puts a URL there), with ``license_url`` as a second
opinion.  DKAN dates such as ``mar, 10/12/2019 - 09:23`` become ISO.  When a
package has no ``url``, its landing page is ``<portal>/dataset/<name>``,
the portal being taken from the ``help`` URL (or, in a recorded session, from
the request URL).  A portal that tracks page views gives ``tracking_summary``
(``{"total", "recent"}``): its ``total`` is the ``views`` popularity signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from searchkit.model import Problem

from .wording import say, where_of

from .common import (
    Item, Src, as_list, bbox_text, build, normalise_licence, period, record_position, text_of,
)

FORMAT = "ckan-json"
_PACKAGE_KEYS = {"notes", "license_id", "license_title", "num_resources", "maintainer", "author"}


def looks_like(obj: Any) -> bool:
    if isinstance(obj, dict):
        if "result" in obj and ("help" in obj or "success" in obj):
            return True
        if obj.get("success") is False and "error" in obj:
            return True
        return _is_package(obj)
    if isinstance(obj, list):
        return any(_is_package(p) for p in obj[:5])
    return False


def _is_package(obj: Any) -> bool:
    return isinstance(obj, dict) and "name" in obj and len(_PACKAGE_KEYS & obj.keys()) >= 1 and (
        "resources" in obj or "notes" in obj
    )


def portal_of(api_url: str) -> str:
    """``https://host/prefix`` of an action API URL (``.../api/3/action/...``)."""
    match = re.match(r"^(https?://[^?#]+?)/api/(?:\d/)?(?:action|util)/", api_url or "")
    return match.group(1) if match else ""


def _packages(src: Src, obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict) and ("result" in obj or "success" in obj):
        if obj.get("success") is False or obj.get("result") is None:
            error = obj.get("error") if isinstance(obj.get("error"), dict) else {}
            message = text_of(error.get("message")) or text_of(error.get("__type")) or say("ckan.no_detail")
            yield src.problem(say("ckan.error", message=message))
            return
        obj = obj["result"]
    if isinstance(obj, dict) and isinstance(obj.get("results"), list):
        obj = obj["results"]
    stack = [obj] if isinstance(obj, dict) else list(as_list(obj))
    names_only = 0
    for item in _flatten(stack):
        if isinstance(item, str):
            names_only += 1
            continue
        yield item
    if names_only:
        yield src.problem(say("ckan.names_only", n=names_only))


def _flatten(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def read_json(src: Src, obj: Any, portal: str = "") -> Iterator[Item]:
    if not portal and isinstance(obj, dict):
        portal = portal_of(text_of(obj.get("help")))
    index = 0
    for item in _packages(src, obj):
        if isinstance(item, Problem):
            yield item
            continue
        if not isinstance(item, dict):
            index += 1
            yield src.problem(say("record.not_object", kind="CKAN"), where_of(record_position(index)))
            continue
        index += 1
        yield record(src, item, record_position(index), portal)


def _extras(pkg: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for extra in as_list(pkg.get("extras")):
        if isinstance(extra, dict) and "key" in extra:
            out[text_of(extra.get("key")).lower()] = text_of(extra.get("value"))
    if isinstance(pkg.get("extras"), dict):  # some portals flatten them
        out.update({str(k).lower(): text_of(v) for k, v in pkg["extras"].items()})
    return out


def _title(obj: Any) -> str:
    if isinstance(obj, dict):
        return text_of(obj.get("title")) or text_of(obj.get("display_name")) or text_of(obj.get("name"))
    return text_of(obj)


def _person(value: Any) -> str:
    text = text_of(value).strip()
    return "" if "@" in text else text


def _spatial(pkg: dict[str, Any], extras: dict[str, str]) -> str:
    for key in ("spatial-text", "spatial_text", "spatial-label"):
        if extras.get(key):
            return extras[key]
    for value in (pkg.get("spatial"), extras.get("spatial")):
        box = bbox_text(value) if value else ""
        if box:
            return box
    sides = [extras.get(f"bbox-{k}") for k in ("west-long", "south-lat", "east-long", "north-lat")]
    if all(sides):
        return ",".join(s.strip() for s in sides)
    return ""


def _temporal(pkg: dict[str, Any], extras: dict[str, str]) -> str:
    for start, end in (
        ("temporal_start", "temporal_end"),
        ("temporal_coverage_from", "temporal_coverage_to"),
        ("temporal-extent-begin", "temporal-extent-end"),
    ):
        s = pkg.get(start) or extras.get(start)
        e = pkg.get(end) or extras.get(end)
        if s or e:
            return period(s, e)
    return ""


def record(src: Src, pkg: dict[str, Any], position: str, portal: str = "") -> Item:
    extras = _extras(pkg)
    org = pkg.get("organization") if isinstance(pkg.get("organization"), dict) else {}
    groups = [_title(g) for g in as_list(pkg.get("groups"))]
    publisher = (
        _title(org) or _person(pkg.get("author")) or _person(pkg.get("maintainer")) or (groups[0] if groups else "")
    )
    licence_id = text_of(pkg.get("license_id"))
    licence_title = text_of(pkg.get("license_title"))
    licence = licence_id if normalise_licence(licence_id) not in ("", "Autre") else (licence_title or licence_id)
    resources = [r for r in as_list(pkg.get("resources")) if isinstance(r, dict)]
    name = text_of(pkg.get("name"))
    url = text_of(pkg.get("url")).strip()
    if not url.startswith(("http://", "https://")):
        url = f"{portal}/dataset/{name}" if portal and name else ""
    tracking = pkg.get("tracking_summary") if isinstance(pkg.get("tracking_summary"), dict) else {}
    tags = [t.get("display_name") or t.get("name") if isinstance(t, dict) else t for t in as_list(pkg.get("tags"))]
    return build(
        src,
        prefix="ckan",
        ident=pkg.get("id") or name,
        title=pkg.get("title") or name,
        position=position,
        description=pkg.get("notes"),
        tags=tags,
        publisher=publisher,
        licence=licence,
        licence_url=text_of(pkg.get("license_url")),
        licence_original=licence_title or licence_id,
        formats=[text_of(r.get("format")) or text_of(r.get("mimetype")) for r in resources],
        resources=len(resources),
        spatial=_spatial(pkg, extras),
        temporal=_temporal(pkg, extras),
        created=pkg.get("metadata_created"),
        modified=pkg.get("metadata_modified"),
        url=url,
        metrics=[("views", tracking.get("total"))] if tracking else [],
        extra=[
            ("organization", _title(org)),
            ("name", name),
            ("frequency", pkg.get("frequency") or extras.get("frequency") or extras.get("frequency-of-update")),
            ("groups", ", ".join(g for g in groups if g)),
            ("author", _person(pkg.get("author"))),
            ("maintainer", _person(pkg.get("maintainer"))),
        ],
    )
