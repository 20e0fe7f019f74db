"""ISO 19139 metadata (INSPIRE, GeoNetwork, geo-ide), alone or in a CSW response.

A CSW ``GetRecordsResponse`` / ``GetRecordByIdResponse`` with ``gmd:MD_Metadata``
records, or a bare ``gmd:MD_Metadata`` / ``gmi:MI_Metadata`` file.  The file
is streamed with defusedxml's ``iterparse`` (one metadata record in memory at a
time), which refuses entity declarations and external references.  Elements
are matched by local name, so ISO 19115-3 records (``mdb:MD_Metadata``) are
read too.

Mapping: id ``dcat:<citation identifier code>`` (what GeoDCAT-AP puts in
``dct:identifier``), else ``dcat:<fileIdentifier>``; title, abstract, keywords
of every thesaurus; the publisher is the organisation of the resource's point
of contact (publisher, owner, originator, custodian, point of contact, in that
order), else the metadata contact; the licence is the first
``otherConstraints`` / ``useLimitation`` that names a known licence (the text
and the anchor's href are both tried: "Pas de restriction d'accès public
selon INSPIRE" is an access rule, not a licence); formats are the distribution
format names and the OGC protocols of the online resources; spatial is the
extent description, else a bounding box ``W,S,E,N``; temporal the time period.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .common import Item, Src, build, normalise_licence, period, record_position, xml_problem
from .wording import say

FORMAT = "iso19139"
_METADATA = {"MD_Metadata", "MI_Metadata"}
_ROLES = ["publisher", "owner", "originator", "custodian", "pointOfContact", "distributor", "author"]


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if _local(c.tag) == name]


def _path(elem: Element | None, *names: str) -> list[Element]:
    """Descendants along a path of local names ('*' matches any element)."""
    level = [elem] if elem is not None else []
    for name in names:
        level = [c for e in level for c in e if name == "*" or _local(c.tag) == name]
    return level


def _value(elem: Element) -> str:
    """The text of a gco:CharacterString / gmx:Anchor / gco:Date... wrapper, or its own text."""
    for child in elem:
        if _local(child.tag) in ("CharacterString", "Anchor", "Date", "DateTime", "Decimal",
                                 "LocalisedCharacterString", "URL", "MimeFileType", "Integer"):
            return " ".join((child.text or "").split())
    text = " ".join((elem.text or "").split())
    if text or elem.get("codeListValue"):
        return text or elem.get("codeListValue", "")
    for child in elem:  # a code element: <gmd:topicCategory><gmd:MD_TopicCategoryCode>farming</...>
        text = " ".join((child.text or "").split()) or child.get("codeListValue", "")
        if text:
            return text
    return ""


def _values(elem: Element | None, *names: str) -> list[str]:
    return [v for v in (_value(e) for e in _path(elem, *names)) if v]


def _first(elem: Element | None, *names: str) -> str:
    values = _values(elem, *names)
    return values[0] if values else ""


def _code(elem: Element | None, *names: str) -> str:
    for e in _path(elem, *names):
        for c in [e, *list(e)]:
            if c.get("codeListValue"):
                return c.get("codeListValue", "")
            if (c.text or "").strip():
                return c.text.strip()
    return ""


def _href(elem: Element) -> str:
    for child in [elem, *list(elem)]:
        for key, value in child.attrib.items():
            if key.endswith("}href") or key == "href":
                return value
    return ""


def _organisation(party: Element) -> str:
    return _first(party, "organisationName") or _first(party, "party", "CI_Organisation", "name")


def _publisher(ident: Element | None, md: Element) -> str:
    parties = _path(ident, "pointOfContact", "*")
    for role in _ROLES:
        for party in parties:
            if _code(party, "role", "*") == role and _organisation(party):
                return _organisation(party)
    for party in parties + _path(md, "contact", "*"):
        if _organisation(party):
            return _organisation(party)
    return ""


def _licence(ident: Element | None) -> tuple[str, str]:
    candidates: list[tuple[str, str]] = []
    for constraints in _path(ident, "resourceConstraints", "*"):
        for name in ("otherConstraints", "useLimitation"):
            for e in _kids(constraints, name):
                text = _value(e)
                if text or _href(e):
                    candidates.append((text, _href(e)))
    for text, href in candidates:
        if normalise_licence(text, href) not in ("", "Autre", "Non spécifiée"):
            return text, href
    for text, href in candidates:
        if "licen" in text.lower():
            return text, href
    return "", ""


def _spatial(ident: Element | None) -> str:
    names: list[str] = []
    boxes: list[list[float]] = []
    for extent in _path(ident, "extent", "EX_Extent"):
        geographic = _path(extent, "geographicElement", "*")
        if not geographic:
            continue
        names.extend(_values(extent, "description"))
        for box in _path(extent, "geographicElement", "EX_GeographicBoundingBox"):
            try:
                boxes.append([float(_first(box, side)) for side in (
                    "westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")])
            except ValueError:
                continue
    if names:
        return ", ".join(dict.fromkeys(names))
    if boxes:
        w, s, e, n = boxes[0]
        return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in (w, s, e, n))
    return ""


def _temporal(ident: Element | None) -> str:
    for extent in _path(ident, "extent", "EX_Extent", "temporalElement", "*", "extent"):
        for period_elem in list(extent):
            begin = _first(period_elem, "beginPosition") or (period_elem.findtext("*") or "")
            end = _first(period_elem, "endPosition")
            if begin or end:
                return period(begin, end)
    return ""


def record(src: Src, md: Element, position: str) -> Item:
    ident = next(iter(_path(md, "identificationInfo", "*")), None)
    citation = next(iter(_path(ident, "citation", "CI_Citation")), None)
    file_id = _first(md, "fileIdentifier") or _first(md, "metadataIdentifier", "MD_Identifier", "code")
    code = _first(citation, "identifier", "*", "code")
    dates: dict[str, str] = {}
    for date in _path(citation, "date", "CI_Date"):
        dates.setdefault(_code(date, "dateType", "*"), _first(date, "date"))
    licence, href = _licence(ident)
    online = _path(md, "distributionInfo", "MD_Distribution", "transferOptions", "MD_DigitalTransferOptions",
                   "onLine", "CI_OnlineResource")
    protocols = [_first(o, "protocol") for o in online]
    formats = _values(md, "distributionInfo", "MD_Distribution", "distributionFormat", "MD_Format", "name")
    formats += [p for p in protocols if p.upper().startswith("OGC:")]
    url = code if code.startswith(("http://", "https://")) else ""
    if not url:
        url = next((_first(o, "linkage") for o, p in zip(online, protocols) if p.upper().startswith("WWW:LINK")), "")
    keywords = _values(ident, "descriptiveKeywords", "MD_Keywords", "keyword")
    return build(
        src,
        prefix="dcat",
        ident=code or file_id,
        title=_first(citation, "title"),
        position=position,
        description=_first(ident, "abstract"),
        tags=keywords,
        publisher=_publisher(ident, md),
        licence=licence,
        licence_url=href,
        licence_original=licence or href,
        formats=formats,
        resources=len(online),
        spatial=_spatial(ident),
        temporal=_temporal(ident),
        created=dates.get("creation") or dates.get("publication", ""),
        modified=dates.get("revision") or _first(md, "dateStamp") or dates.get("publication", ""),
        url=url,
        extra=[
            ("metadata_id", file_id),
            ("frequency", _code(ident, "resourceMaintenance", "MD_MaintenanceInformation",
                                "maintenanceAndUpdateFrequency", "*")),
            ("topic", ", ".join(_values(ident, "topicCategory"))),
            ("hierarchy", _code(md, "hierarchyLevel", "*")),
        ],
    )


def read(src: Src, data: bytes) -> Iterator[Item]:
    events = SafeET.iterparse(
        io.BytesIO(data), events=("end",), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    index = 0
    while True:
        try:
            _event, elem = next(events)
        except StopIteration:
            return
        except SafeET.ParseError as exc:
            yield xml_problem(src, exc)
            return
        except DefusedXmlException as exc:
            yield src.problem(say("xml.refused", kind=type(exc).__name__))
            return
        if _local(elem.tag) in _METADATA:
            index += 1
            yield record(src, elem, record_position(index))
            elem.clear()
