"""What a record becomes in the index, and back: the fields, the stored document, its decoding.

``record_from_stored`` is the one place that knows how a stored document becomes a Record.
"""

from __future__ import annotations

import time
from pathlib import Path

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from searchkit import acronyms
from searchkit.analysis import ANALYSIS_VERSION, EXACT, FRENCH
from searchkit.dates import NO_DAY, OPEN_END, OPEN_START, day_number
from searchkit.model import Record
from searchkit.textnorm import facet_key, fold

INDEX_NAME = f"sk{ANALYSIS_VERSION}"  # the prefix of Whoosh's files: an analysis change makes a new index
SEP = "\x1f"  # between values inside one stored facet string
# a note's meta (file name, types, titles of its [[id]] targets) says less about it than a
# dataset's (publisher, place): measured with evaluation/run.py (issue 5)
NOTE_META_BOOST = 0.45
MIN_INITIALS = 3


def build_schema() -> Schema:
    """Text fields are searched with per-field boosts set by the query layer
    (title and tags first, then summary, then body); ``*_exact`` fields hold
    unstemmed, unfolded copies so that exact forms rank first.  Facet fields
    hold normalised keys (``facet_key``)."""
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        path=ID(stored=True),
        title=TEXT(analyzer=FRENCH, stored=True),
        title_exact=TEXT(analyzer=EXACT, phrase=False),
        tags=TEXT(analyzer=FRENCH),
        tags_exact=TEXT(analyzer=EXACT, phrase=False),
        summary=TEXT(analyzer=FRENCH),
        body=TEXT(analyzer=FRENCH),
        # publisher, spatial, other front-matter values, the file name, and the
        # titles of the notes this one links to with [[id]]
        meta=TEXT(analyzer=FRENCH),
        type=KEYWORD(commas=True),
        tag=KEYWORD(commas=True),
        publisher=KEYWORD(commas=True),
        licence=KEYWORD(commas=True),
        format=KEYWORD(commas=True),
        zone=KEYWORD(commas=True),
        granularity=KEYWORD(commas=True),
        frequency=KEYWORD(commas=True),
        links=KEYWORD(commas=True),
        title_sort=ID(sortable=True),
        # whoosh-reloaded 2.7.5 cannot write float columns: integers instead
        mtime=NUMERIC(int, bits=64, sortable=True, default=0),  # seconds
        richness=NUMERIC(int, sortable=True, default=0),  # per mille
        popularity=NUMERIC(int, sortable=True, default=0),  # per mille: the first-stage prior
        acronym=TEXT(analyzer=EXACT, phrase=False),  # the record's acronyms (acronym_terms)
        # days as yyyymmdd (searchkit.dates), 0 when unknown: the last modification
        # (a note without a ``modified`` date: its file's), the temporal coverage
        modified_day=NUMERIC(int, sortable=True, default=NO_DAY),
        cover_start=NUMERIC(int, sortable=True, default=NO_DAY),
        cover_end=NUMERIC(int, sortable=True, default=NO_DAY),
        # "field<SEP>key<SEP>label<SEP>..." per record, as a column: counting the
        # facets of a few hundred hits reads this, not the stored documents
        facets=COLUMN(columns.VarBytesColumn()),
        data=STORED(),  # the rest of the Record, for display
    )


def acronym_terms(record: Record) -> list[str]:
    """The acronyms a record answers to, lower case: its ``acronym`` field (or the one its
    title gives in parentheses), and the initials of its title's significant words from
    each word on ("Périmètre de la Zone à Trafic Limité": ``pztl``, ``ztl``...), which a
    typed acronym matches exactly or as their beginning: ``ZTL`` names consecutive words
    anywhere in the title.  Runs of fewer than ``MIN_INITIALS`` letters are left out: two
    letters start too many titles."""
    initials = acronyms.acronym_of_title(record.title).lower()
    runs = [initials[k:] for k in range(len(initials) - MIN_INITIALS + 1)]
    found = [acronyms.key(record.acronym).lower()] + runs
    return list(dict.fromkeys(k for k in found if len(k) >= 2))


def facet_values(record: Record) -> dict[str, list[tuple[str, str]]]:
    """Facet name -> [(key, label)] for one record, keys de-duplicated."""
    raw = {
        "type": record.types,
        "tag": record.tags,
        "publisher": (record.publisher,) if record.publisher else (),
        "licence": (record.licence,) if record.licence else (),
        "format": record.formats,
        "zone": record.zones,
        "granularity": (record.granularity,) if record.granularity else (),
        # "unknown" says nothing a filter could use
        "frequency": (record.frequency,) if facet_key(record.frequency) not in ("", "unknown") else (),
    }
    out: dict[str, list[tuple[str, str]]] = {}
    for name, values in raw.items():
        seen: dict[str, str] = {}
        for value in values:
            key = facet_key(value).replace(",", " ")
            if key and key not in seen:
                seen[key] = value.strip()
        out[name] = list(seen.items())
    return out


def modified_day(record: Record) -> int:
    """The day ``record`` was last modified: its ``modified`` date, else for a note its file's."""
    day = day_number(record.modified)
    if not day and record.kind == "note" and record.mtime:
        day = int(time.strftime("%Y%m%d", time.localtime(record.mtime)))
    return day


def coverage_days(record: Record) -> tuple[int, int]:
    """The first and last days of the temporal coverage, (0, 0) without one."""
    start, end = record.coverage()
    first, last = day_number(start), day_number(end, last=True)
    if not (first or last):
        return NO_DAY, NO_DAY
    return first or OPEN_START, last or OPEN_END


def to_document(record: Record, linked: str = "") -> dict:
    """The Whoosh document of ``record``; ``linked`` is the titles of its [[id]] targets."""
    facets = facet_values(record)
    extra_text = " ".join(v for _, v in record.extra)
    data = {
        "types": list(record.types), "tags": list(record.tags), "summary": record.summary,
        "body": record.body, "links": list(record.links), "url": record.url, "title": record.title,
        "created": record.created, "modified": record.modified, "publisher": record.publisher,
        "licence": record.licence, "licence_original": record.licence_original,
        "formats": list(record.formats), "spatial": record.spatial, "temporal": record.temporal,
        "extra": [list(p) for p in record.extra], "position": record.position, "mtime": record.mtime,
        "acronym": record.acronym, "zones": list(record.zones), "granularity": record.granularity,
        "frequency": record.frequency, "metrics": [list(p) for p in record.metrics], "featured": record.featured,
        "quality": record.quality, "popularity": record.popularity, "richness": record.richness,
    }
    cover_start, cover_end = coverage_days(record)
    return {
        "id": record.id,
        "kind": record.kind,
        "path": record.path,
        "title": record.title,
        "title_exact": record.title,
        "tags": " ; ".join(record.tags),
        "tags_exact": " ; ".join(record.tags),
        "summary": record.summary,
        "body": record.body,
        "meta": " ; ".join(filter(None, (record.publisher, record.spatial, " ".join(record.types), extra_text, record.url,
                                         record.frequency, record.granularity,
                                         Path(record.path).stem if record.kind == "note" else "", linked))),
        "type": ",".join(k for k, _ in facets["type"]),
        "tag": ",".join(k for k, _ in facets["tag"]),
        "publisher": ",".join(k for k, _ in facets["publisher"]),
        "licence": ",".join(k for k, _ in facets["licence"]),
        "format": ",".join(k for k, _ in facets["format"]),
        "zone": ",".join(k for k, _ in facets["zone"]),
        "granularity": ",".join(k for k, _ in facets["granularity"]),
        "frequency": ",".join(k for k, _ in facets["frequency"]),
        "links": ",".join(record.links),
        "title_sort": fold(record.title).casefold()[:200],
        "mtime": int(record.mtime),
        "richness": int(round(max(0.0, min(1.0, record.richness)) * 1000)),
        "popularity": int(round(max(0.0, min(1.0, record.popularity)) * 1000)),
        "acronym": " ".join(acronym_terms(record)),
        "modified_day": modified_day(record),
        "cover_start": cover_start,
        "cover_end": cover_end,
        "facets": SEP.join(f"{name}{SEP}{key}{SEP}{label}" for name, pairs in facets.items() for key, label in pairs).encode("utf-8"),
        "data": data,
        "_meta_boost": NOTE_META_BOOST if record.kind == "note" else 1.0,
    }


def record_from_stored(fields: dict) -> Record:
    """Rebuild the Record from what the index stored."""
    d = fields.get("data") or {}
    return Record(
        id=fields["id"], kind=fields.get("kind", "note"), title=fields.get("title", ""), path=fields.get("path", ""),
        types=tuple(d.get("types", ())), summary=d.get("summary", ""), body=d.get("body", ""),
        tags=tuple(d.get("tags", ())), links=tuple(d.get("links", ())), url=d.get("url", ""),
        mtime=d.get("mtime", 0.0), created=d.get("created", ""), modified=d.get("modified", ""),
        publisher=d.get("publisher", ""), licence=d.get("licence", ""), licence_original=d.get("licence_original", ""),
        formats=tuple(d.get("formats", ())), spatial=d.get("spatial", ""), temporal=d.get("temporal", ""),
        extra=tuple(tuple(p) for p in d.get("extra", ())), position=d.get("position", ""),
        acronym=d.get("acronym", ""), zones=tuple(d.get("zones", ())), granularity=d.get("granularity", ""),
        frequency=d.get("frequency", ""), metrics=tuple((name, count) for name, count in d.get("metrics", ())),
        featured=d.get("featured", False), quality=d.get("quality", 0.0), popularity=d.get("popularity", 0.0),
        richness=d.get("richness", 0.0),
    )


