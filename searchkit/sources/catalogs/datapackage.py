"""Frictionless Data Package descriptors (``datapackage.json``), v1 and v2.

One descriptor is one record, id ``datapackage:<name>``; without a ``name``,
the name of the folder holding ``datapackage.json`` (else the file's stem).
Title, description (Markdown), ``keywords`` as tags, the first of
``licenses`` (``name`` such as ``ODC-PDDL-1.0`` or ``etalab-2.0``, ``path`` as
the URL), the publisher (a ``publisher`` / ``organization`` key, else the
contributor whose role is ``publisher``), ``homepage`` as the landing page.
Each resource's name, title and description and each schema field's name,
title and description are appended to the body, so a search for a column name
finds the package; resource formats come from ``format``, ``mediatype`` or the
path's extension.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from .common import Item, Src, as_list, build, one_line, period, record_position, text_of

FORMAT = "datapackage"


def looks_like(obj: Any) -> bool:
    if not isinstance(obj, dict) or not isinstance(obj.get("resources"), list):
        return False
    profile = text_of(obj.get("profile")) + text_of(obj.get("$schema"))
    if "package" in profile:
        return True
    if obj.keys() & {"page", "slug", "notes", "uri", "num_resources", "organization_id"}:
        return False
    return any(
        isinstance(r, dict) and ("path" in r or "data" in r or "schema" in r) for r in obj["resources"][:5]
    )


def _name(value: Any) -> str:
    if isinstance(value, dict):
        return text_of(value.get("title")) or text_of(value.get("name"))
    return text_of(value)


def _publisher(d: dict[str, Any]) -> str:
    for key in ("publisher", "organization", "organisation"):
        if _name(d.get(key)):
            return _name(d.get(key))
    for contributor in as_list(d.get("contributors")):
        if isinstance(contributor, dict):
            roles = as_list(contributor.get("roles")) + as_list(contributor.get("role"))
            if "publisher" in [text_of(r).lower() for r in roles]:
                return _name(contributor)
    return ""


def _resource_text(resources: list[dict[str, Any]]) -> str:
    blocks: list[str] = []
    for resource in resources:
        head = " ".join(
            p for p in (
                text_of(resource.get("name")),
                f"({one_line(text_of(resource.get('title')))})" if resource.get("title") else "",
            ) if p
        )
        description = one_line(text_of(resource.get("description")))
        lines = [f"Ressource {head}" + (f" : {description}" if description else "")]
        schema = resource.get("schema") if isinstance(resource.get("schema"), dict) else {}
        for field in as_list(schema.get("fields")):
            if not isinstance(field, dict):
                continue
            label = text_of(field.get("name"))
            if field.get("title"):
                label += f" ({one_line(text_of(field['title']))})"
            if field.get("description"):
                label += f" : {one_line(text_of(field['description']))}"
            if label:
                lines.append(f"- {label}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _format(resource: dict[str, Any]) -> str:
    fmt = text_of(resource.get("format")) or text_of(resource.get("mediatype"))
    if fmt:
        return fmt
    path = text_of(as_list(resource.get("path"))[0] if as_list(resource.get("path")) else "")
    suffix = PurePath(path.split("?")[0]).suffix.lstrip(".")
    return suffix


def read_json(src: Src, obj: dict[str, Any]) -> Iterator[Item]:
    path = PurePath(src.path)
    fallback = path.parent.name if path.name.lower() == "datapackage.json" else path.stem
    resources = [r for r in obj["resources"] if isinstance(r, dict)]
    licences = [x for x in as_list(obj.get("licenses")) if isinstance(x, dict)]
    first = licences[0] if licences else {}
    temporal = obj.get("temporal") if isinstance(obj.get("temporal"), dict) else {}
    yield build(
        src,
        prefix="datapackage",
        ident=text_of(obj.get("name")) or fallback,
        title=obj.get("title") or obj.get("name"),
        position=record_position(1),
        description=obj.get("description"),
        tags=as_list(obj.get("keywords")),
        publisher=_publisher(obj),
        licence=text_of(first.get("name")) or text_of(first.get("title")),
        licence_url=text_of(first.get("path")),
        licence_original=text_of(first.get("title")) or text_of(first.get("name")) or text_of(first.get("path")),
        formats=[_format(r) for r in resources],
        resources=len(resources),
        spatial=text_of(obj.get("spatial")) if not isinstance(obj.get("spatial"), dict) else "",
        temporal=period(temporal.get("start"), temporal.get("end")) if temporal else "",
        created=obj.get("created"),
        modified=obj.get("modified") or obj.get("updated"),
        url=obj.get("homepage"),
        extra=[("name", obj.get("name")), ("version", obj.get("version")), ("profile", obj.get("profile"))],
        body_extra=_resource_text(resources),
    )
