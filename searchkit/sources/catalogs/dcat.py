"""DCAT catalogues: DCAT-US ``data.json`` and DCAT / GeoDCAT-AP RDF.

- **DCAT-US** (``{"dataset": [...]}``, Project Open Data 1.1, what ArcGIS Hub
  publishes): plain JSON, no RDF library.  ArcGIS leaves template placeholders
  such as ``{{extent:computeSpatialProperty}}`` in empty fields: they are dropped.
- **RDF** in RDF/XML, Turtle (N-Triples and most N3 too) or JSON-LD, parsed by
  rdflib: every node typed ``dcat:Dataset`` or ``dcat:DatasetSeries`` (once,
  even when it has both types) becomes a record.  Nodes that are only
  referenced (``dcat:dataset rdf:resource="..."`` with nothing about them) are
  not datasets.  GeoNetwork's CSW ``GetRecordsResponse`` wrapping several
  ``rdf:RDF`` blocks and OpenDataSoft's ``catalog/exports/dcat`` are read the
  same way.

Records get the id ``dcat:<dct:identifier>``, else ``dcat:<node URI>``.

Long, and one thing: both readers map the one DCAT vocabulary (the ``dcat:`` and
``dct:`` terms, under JSON names in DCAT-US) onto the same fields and ids.

Safety: RDF/XML goes through defusedxml first, which refuses entity
declarations and external references (XXE, billion laughs) with a Problem;
rdflib's own SAX parser does not resolve external entities either (checked with
rdflib 7: an entity pointing at a local file is dropped, not read).  JSON-LD
remote ``@context`` URLs (and ``@import``) are never fetched: they are replaced
by a built-in context with the usual DCAT terms.  The graph is built in memory:
files are read whole, up to ``MAX_WHOLE_FILE``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .common import (
    Item, Src, as_list, bbox_text, build, period, record_position, text_of, xml_problem,
)
from .wording import say, where_of

FORMAT_US = "dcat-us-json"
FORMAT_RDFXML = "dcat-rdfxml"
FORMAT_TURTLE = "dcat-turtle"
FORMAT_JSONLD = "dcat-jsonld"

DCAT_NS = "http://www.w3.org/ns/dcat#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PLACEHOLDER = re.compile(r"^\{\{.*\}\}$")


# --- DCAT-US -------------------------------------------------------------------------


def looks_like_us(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("dataset"), list)
        and (not obj["dataset"] or any(isinstance(d, dict) and "title" in d for d in obj["dataset"][:5]))
    )


def _us_text(value: Any) -> str:
    text = text_of(value).strip()
    return "" if _PLACEHOLDER.match(text) else text


def read_us(src: Src, obj: dict[str, Any]) -> Iterator[Item]:
    for index, d in enumerate(obj["dataset"], 1):
        where = record_position(index)
        if not isinstance(d, dict):
            yield src.problem(say("record.not_object", kind="DCAT-US"), where_of(where))
            continue
        publisher = d.get("publisher")
        contact = d.get("contactPoint") if isinstance(d.get("contactPoint"), dict) else {}
        distributions = [x for x in as_list(d.get("distribution")) if isinstance(x, dict)]
        yield build(
            src,
            prefix="dcat",
            ident=_us_text(d.get("identifier")) or _us_text(d.get("landingPage")),
            title=_us_text(d.get("title")),
            position=where,
            description=_us_text(d.get("description")),
            tags=as_list(d.get("keyword")),
            publisher=text_of(publisher.get("name")) if isinstance(publisher, dict) else _us_text(publisher),
            licence=_us_text(d.get("license")),
            formats=[_us_text(x.get("format")) or _us_text(x.get("mediaType")) for x in distributions],
            resources=len(distributions),
            spatial=_us_text(d.get("spatial")),
            temporal=period(_us_text(d.get("temporal"))),
            created=d.get("issued"),
            modified=d.get("modified"),
            url=_us_text(d.get("landingPage")),
            extra=[
                ("frequency", _us_text(d.get("accrualPeriodicity"))),
                ("themes", text_of(as_list(d.get("theme")))),
                ("access_level", _us_text(d.get("accessLevel"))),
                ("contact", _us_text(contact.get("fn"))),
            ],
        )


# --- RDF -----------------------------------------------------------------------------

# Used instead of any remote JSON-LD context: the usual DCAT-AP / DCAT-US terms.
_DEFAULT_CONTEXT: dict[str, Any] = {
    "dcat": DCAT_NS, "dct": "http://purl.org/dc/terms/", "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "locn": "http://www.w3.org/ns/locn#", "adms": "http://www.w3.org/ns/adms#",
    "schema": "http://schema.org/", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "Catalog": "dcat:Catalog", "Dataset": "dcat:Dataset", "DatasetSeries": "dcat:DatasetSeries",
    "Distribution": "dcat:Distribution", "dataset": "dcat:dataset", "distribution": "dcat:distribution",
    "title": "dct:title", "description": "dct:description", "identifier": "dct:identifier",
    "keyword": "dcat:keyword", "keywords": "dcat:keyword", "theme": "dcat:theme",
    "issued": "dct:issued", "created": "dct:created", "modified": "dct:modified",
    "publisher": "dct:publisher", "license": "dct:license", "rights": "dct:rights",
    "spatial": "dct:spatial", "temporal": "dct:temporal", "startDate": "dcat:startDate",
    "endDate": "dcat:endDate", "accrualPeriodicity": "dct:accrualPeriodicity",
    "landingPage": "dcat:landingPage", "accessURL": "dcat:accessURL", "downloadURL": "dcat:downloadURL",
    "format": "dct:format", "mediaType": "dcat:mediaType", "contactPoint": "dcat:contactPoint",
    "name": "foaf:name", "fn": "vcard:fn", "label": "rdfs:label", "prefLabel": "skos:prefLabel",
}


def _safe_context(value: Any) -> Any:
    """A JSON-LD context with every remote reference replaced by ``_DEFAULT_CONTEXT``."""
    if isinstance(value, str):
        return dict(_DEFAULT_CONTEXT)
    if isinstance(value, list):
        return [_safe_context(v) for v in value]
    if isinstance(value, dict):
        return {k: (_safe_context(v) if k == "@context" else v) for k, v in value.items() if k != "@import"}
    return value


def _offline_jsonld(value: Any) -> Any:
    if isinstance(value, list):
        return [_offline_jsonld(v) for v in value]
    if isinstance(value, dict):
        return {
            k: (_safe_context(v) if k == "@context" else _offline_jsonld(v)) for k, v in value.items()
        }
    return value


def looks_like_jsonld(obj: Any) -> bool:
    first = obj[0] if isinstance(obj, list) and obj else obj
    return isinstance(first, dict) and bool({"@context", "@graph", "@type", "@id"} & first.keys())


@contextlib.contextmanager
def _quiet():
    """rdflib logs a traceback for every malformed literal (``dct:issued ""^^xsd:date``)
    and warns about its own deprecated classes: keep both out of the user's terminal."""
    logger = logging.getLogger("rdflib")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own JSON-LD parser
            yield
    finally:
        logger.setLevel(level)


def _xml_blocks(src: Src, data: bytes) -> list[bytes] | Item:
    """The RDF/XML to give rdflib: the file itself, or the ``rdf:RDF`` blocks of a CSW response."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except SafeET.ParseError as exc:
        return xml_problem(src, exc)
    except DefusedXmlException as exc:  # EntitiesForbidden, ExternalReferenceForbidden...
        return src.problem(say("xml.refused", kind=type(exc).__name__))
    if root.tag == f"{{{RDF_NS}}}RDF":
        return [data]
    return [SafeET.tostring(block) for block in root.iter(f"{{{RDF_NS}}}RDF")]


def read_rdf(src: Src, data: bytes, fmt: str) -> Iterator[Item]:
    import rdflib  # only when needed: most catalogues are not RDF

    graph = rdflib.Graph(bind_namespaces="none")
    try:
        with _quiet():
            if fmt == FORMAT_RDFXML:
                blocks = _xml_blocks(src, data)
                if not isinstance(blocks, list):
                    yield blocks
                    return
                for block in blocks:
                    graph.parse(data=block, format="xml", publicID=_base(src))
            elif fmt == FORMAT_JSONLD:
                doc = json.loads(data)
                graph.parse(data=json.dumps(_offline_jsonld(doc)), format="json-ld", publicID=_base(src))
            else:
                try:
                    graph.parse(data=data, format="turtle", publicID=_base(src))
                except Exception:
                    graph = rdflib.Graph(bind_namespaces="none")
                    graph.parse(data=data, format="n3", publicID=_base(src))
    except Exception as exc:  # rdflib raises many exception types for bad input
        line = getattr(exc, "getLineNumber", lambda: 0)() or getattr(exc, "lines", 0) or 0
        where = say("where.line", line=line) if isinstance(line, int) and line > 0 else ""
        yield src.problem(say("rdf.invalid", kind=type(exc).__name__), where)
        return
    with _quiet():
        yield from _datasets(src, graph)


def _base(src: Src) -> str:
    return "file://" + src.path.replace("\\", "/")


def _datasets(src: Src, graph: Any) -> Iterator[Item]:
    from rdflib import RDF, URIRef

    seen: dict[Any, None] = {}
    for cls in ("Dataset", "DatasetSeries"):
        for node in graph.subjects(RDF.type, URIRef(DCAT_NS + cls)):
            seen.setdefault(node, None)
    reader = _Reader(graph)
    for index, node in enumerate(seen, 1):
        yield reader.record(src, node, record_position(index))


class _Reader:
    """Reads the fields of DCAT nodes from one rdflib graph."""

    def __init__(self, graph: Any) -> None:
        from rdflib import RDF, Namespace, URIRef
        from rdflib.namespace import DCTERMS, FOAF, RDFS, SKOS

        self.g = graph
        self.RDF = RDF
        self.WKT = URIRef("http://www.opengis.net/ont/geosparql#asWKT")
        self.UPDATED = URIRef("http://purl.org/dc/terms/updated")  # not DCAT, but GeoNetwork writes it
        self.DCAT = Namespace(DCAT_NS)
        self.DCT = DCTERMS
        self.FOAF = FOAF
        self.VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
        self.LOCN = Namespace("http://www.w3.org/ns/locn#")
        self.SCHEMA = Namespace("http://schema.org/")
        self.label_preds = [
            SKOS.prefLabel, RDFS.label, DCTERMS.title, FOAF.name,
            self.VCARD["organization-name"], self.VCARD["organisation-name"], self.VCARD.fn,
            self.LOCN.geographicName, RDF.value,
        ]

    # -- generic helpers
    def objects(self, node: Any, *preds: Any) -> list[Any]:
        out: list[Any] = []
        for pred in preds:
            out.extend(self.g.objects(node, pred))
        return out

    def texts(self, node: Any, *preds: Any) -> list[str]:
        """Literal values, French first, then untagged, then the others; empty ones dropped."""
        from rdflib import Literal

        ranked: list[tuple[int, int, str]] = []
        for i, obj in enumerate(self.objects(node, *preds)):
            if isinstance(obj, Literal) and str(obj).strip():
                lang = (obj.language or "").lower()
                rank = 0 if lang.startswith("fr") else 1 if not lang else 2
                ranked.append((rank, i, str(obj)))
        return [t for _, _, t in sorted(ranked)]

    def first(self, node: Any, *preds: Any) -> str:
        values = self.texts(node, *preds)
        return values[0] if values else ""

    def label(self, term: Any) -> str:
        from rdflib import Literal

        if isinstance(term, Literal):
            return str(term).strip()
        return self.first(term, *self.label_preds)

    def labels(self, node: Any, pred: Any) -> list[str]:
        return [t for t in (self.label(o) for o in self.objects(node, pred)) if t]

    def uri_or_label(self, term: Any) -> tuple[str, str]:
        from rdflib import URIRef

        return self.label(term), str(term) if isinstance(term, URIRef) else ""

    # -- fields
    def publisher(self, node: Any) -> str:
        from rdflib import URIRef

        for term in self.objects(node, self.DCT.publisher):
            name = self.label(term)
            if name:
                return name
            if isinstance(term, URIRef) and "/organizations/" in str(term):  # GeoNetwork
                return unquote(str(term).rstrip("/").rsplit("/", 1)[-1])
        holders = self.objects(node, self.DCT.rightsHolder)
        orgs = [h for h in holders if (h, self.RDF.type, self.FOAF.Organization) in self.g]
        for term in orgs + holders:
            if self.label(term):
                return self.label(term)
        for contact in self.objects(node, self.DCAT.contactPoint):
            org = self.first(contact, self.VCARD["organization-name"], self.VCARD["organisation-name"])
            for sub in self.objects(contact, self.VCARD.org, self.VCARD.hasOrganizationName):
                org = org or self.label(sub)
            if org:
                return org
        for term in self.objects(node, self.DCT.creator) + self.objects(node, self.DCAT.contactPoint):
            if self.label(term):
                return self.label(term)
        return ""

    def licence(self, node: Any, distributions: list[Any]) -> tuple[str, str]:
        for holder in [node, *distributions]:
            for term in self.objects(holder, self.DCT.license):
                text, uri = self.uri_or_label(term)
                if text or uri:
                    return text or uri, uri
        return "", ""

    def formats(self, distributions: list[Any]) -> list[str]:
        out: list[str] = []
        for dist in distributions:
            found = []
            for term in self.objects(dist, self.DCT.format, self.DCAT.mediaType):
                text, uri = self.uri_or_label(term)
                found.append(text or uri)
            if not any(found):
                for service in self.objects(dist, self.DCAT.accessService):
                    for std in self.objects(service, self.DCT.conformsTo):
                        tail = str(std).rstrip("/").rsplit("/", 1)[-1].lower()
                        if tail in ("wms", "wfs", "wmts", "wcs"):
                            found.append(tail)
            out.extend(f for f in found if f)
        return out

    def spatial(self, node: Any) -> str:
        for term in self.objects(node, self.DCT.spatial):
            name = self.label(term)
            if name and not bbox_text(name):
                return name
            for geom in self.texts(term, self.LOCN.geometry, self.DCAT.bbox, self.DCAT.centroid, self.WKT) + (
                [name] if name else []
            ):
                box = bbox_text(geom)
                if box:
                    return box
            for sub in self.objects(term, self.LOCN.geometry, self.DCAT.bbox):
                box = bbox_text(self.first(sub, self.WKT))
                if box:
                    return box
        return ""

    def temporal(self, node: Any) -> str:
        for term in self.objects(node, self.DCT.temporal):
            start = self.first(term, self.DCAT.startDate, self.SCHEMA.startDate)
            end = self.first(term, self.DCAT.endDate, self.SCHEMA.endDate)
            if start or end:
                return period(start, end)
            text = self.label(term)
            if text:
                return period(text)
        return ""

    def record(self, src: Src, node: Any, position: str) -> Item:
        from rdflib import URIRef

        d = self.DCT
        distributions = self.objects(node, self.DCAT.distribution)
        licence, licence_url = self.licence(node, distributions)
        landing = [self.uri_or_label(t) for t in self.objects(node, self.DCAT.landingPage)]
        url = next((u or t for t, u in landing if u or t), "")
        if not url and isinstance(node, URIRef) and str(node).startswith(("http://", "https://")):
            url = str(node)
        modified = sorted(self.texts(node, d.modified), reverse=True) or self.texts(node, self.UPDATED)
        frequency = [self.uri_or_label(t) for t in self.objects(node, d.accrualPeriodicity)]
        freq = next((t or u for t, u in frequency if t or u), "")
        if freq.startswith(("http://", "https://")):
            freq = freq.rstrip("/").rsplit("/", 1)[-1]
        ident = self.first(node, d.identifier) or (str(node) if isinstance(node, URIRef) else "")
        return build(
            src,
            prefix="dcat",
            ident=ident,
            title=self.first(node, d.title),
            position=position,
            description=self.first(node, d.description) or self.first(node, d.abstract),
            tags=self.texts(node, self.DCAT.keyword),
            publisher=self.publisher(node),
            licence=licence,
            licence_url=licence_url,
            formats=self.formats(distributions),
            resources=len(distributions),
            spatial=self.spatial(node),
            temporal=self.temporal(node),
            created=self.first(node, d.issued) or self.first(node, d.created),
            modified=modified[0] if modified else "",
            url=url,
            extra=[
                ("frequency", freq),
                ("themes", ", ".join(dict.fromkeys(self.labels(node, self.DCAT.theme)))),
            ],
        )
