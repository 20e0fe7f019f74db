"""Plain data shared by every layer: what sources produce and what queries return.

Standard library only, so every module may import it.  Everything here is frozen:
records flow one way (sources -> index -> query -> interfaces) and are never
mutated on the way.

Example::

    >>> r = Record(id="20210101120000", kind="note", title="Etalab", path="/n/etalab.md")
    >>> r.with_changes(title="Etalab (mission)").title
    'Etalab (mission)'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# -- the vocabulary every layer shares, defined once

# facets counted and filtered on: notes and datasets, then datasets only
NOTE_FACETS = ("type", "tag")
DATASET_FACETS = ("publisher", "licence", "format", "zone", "granularity", "frequency")
FACETS = NOTE_FACETS + DATASET_FACETS
# other spellings a person may use for a facet name (``--facet tags=...``)
FACET_ALIASES = {"tags": "tag", "types": "type", "formats": "format", "license": "licence", "zones": "zone",
                 "frequence": "frequency", "granularite": "granularity"}
# filters on dates, kept with the facet filters (``{"since": ["2024-03"]}``), values as
# ``searchkit.dates.bounds`` reads them: since/until on the modified date, covers on
# a dataset's temporal coverage
DATE_FILTERS = ("since", "until", "covers")
SORTS = ("relevance", "title", "modified")  # the first is the default
# usage signals catalogues publish, the keys of ``Record.metrics``
POPULARITY_SIGNALS = ("views", "downloads", "followers", "reuses", "discussions")
MAX_LIMIT = 10_000  # hits one search returns at most
# zone ids of udata's API that name a whole country or group, with the name data.gouv.fr's
# CSV export gives the same zone: one value for both sources (``--zone France``)
ZONE_NAMES = {"country:fr": "France", "country-group:world": "Monde", "country-group:ue": "Union Européenne",
              "country-subset:fr:metro": "France métropolitaine", "country-subset:fr:dromcom": "DROM-COM"}
# those that cover the country or more: a dataset of such a zone is national (``query.coverage``)
NATIONAL_ZONES = ("France", "France métropolitaine", "Union Européenne", "Monde")


@dataclass(frozen=True, slots=True)
class Record:
    """One searchable thing: a note or a dataset description.

    ``types`` and ``tags`` keep the spelling found in the source (for display);
    the index derives their normalised facet keys with ``facet_key``.
    ``extra`` holds other scalar front-matter or catalogue fields (lower-cased
    keys) that can be searched as ``key:value``.
    """

    id: str
    kind: str  # "note" or "dataset"
    title: str
    path: str  # absolute path of the source file
    types: tuple[str, ...] = ()
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # raw ids from [[...]] wiki links
    url: str = ""
    mtime: float = 0.0  # of the source file, seconds since the epoch
    created: str = ""  # ISO 8601 date or datetime, "" when unknown
    modified: str = ""
    # dataset fields
    publisher: str = ""
    licence: str = ""  # short canonical label, e.g. "Licence Ouverte 2.0"
    licence_original: str = ""  # as written in the source
    formats: tuple[str, ...] = ()  # normalised: "csv", "geojson", "web page"...
    spatial: str = ""
    temporal: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    position: str = ""  # where in the file: "" for a note, "ligne 12" / "record 3"...
    richness: float = 0.0  # 0..1, how complete a dataset description is (ranking prior)
    # what catalogues say of a dataset beyond its text ("" / () / 0 when they say nothing)
    acronym: str = ""  # the ``acronym`` field, else "BAN" from a title "... (BAN)"
    zones: tuple[str, ...] = ()  # spatial coverage: "France" (``ZONE_NAMES``), "Isère", "fr:commune:41018@1943-01-01"...
    granularity: str = ""  # finest spatial unit described: "fr:commune", "country"...
    frequency: str = ""  # update frequency as given: "annual", "daily", "irregular"...
    # usage counts the portal publishes, as (signal, count) pairs; signal names are
    # POPULARITY_SIGNALS; a pair is present only when the source has that signal
    metrics: tuple[tuple[str, float], ...] = ()
    featured: bool = False  # put forward by the portal's editors
    quality: float = 0.0  # the portal's own metadata quality score, 0..1 (0: unknown)
    # 0..1 from ``metrics`` and ``featured`` (sources.catalogs.common.popularity);
    # 0 for a record without metrics: a neutral prior, never a penalty
    popularity: float = 0.0

    def coverage(self) -> tuple[str, str]:
        """Temporal coverage ``(start, end)`` as ISO dates, "" for an open or unknown side.

        >>> Record(id="x", kind="dataset", title="t", path="p", temporal="1999-01-01/..").coverage()
        ('1999-01-01', '')
        """
        start, sep, end = self.temporal.partition("/")
        if not sep:
            start = end = self.temporal if self.temporal[:4].isdigit() else ""
        return ("" if start == ".." else start, "" if end == ".." else end)

    def with_changes(self, **changes: Any) -> "Record":
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Problem:
    """A warning about one input: never fatal, always names the file.

    ``where`` is the line or record ("ligne 12", "enregistrement 3"), "" if
    the whole file is concerned.
    """

    path: str
    message: str
    where: str = ""

    def __str__(self) -> str:
        loc = f"{self.path}:{self.where}" if self.where else self.path
        return f"{loc}: {self.message}"


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str  # normalised key, what filters take
    label: str  # most common spelling, what people read
    count: int


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    kind: str
    types: tuple[str, ...]
    title: str
    tags: tuple[str, ...]
    path: str
    url: str
    score: float
    snippet: str
    # (start, end) character spans of matched words inside ``snippet``
    marks: tuple[tuple[int, int], ...] = ()
    summary: str = ""
    publisher: str = ""
    licence: str = ""
    formats: tuple[str, ...] = ()
    modified: str = ""
    mtime: float = 0.0
    explain: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The pinned JSON shape of one hit (see ``Results.to_json``)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "types": list(self.types),
            "title": self.title,
            "tags": list(self.tags),
            "path": self.path,
            "url": self.url,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


@dataclass(frozen=True, slots=True)
class Results:
    """What a search returns: data, never text."""

    query: str
    total: int
    took_ms: float
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    notice: str | None = None
    suggestions: tuple[str, ...] = ()  # "did you mean" spellings
    terms: tuple[str, ...] = ()  # analysed query terms, for highlighting elsewhere

    def to_json(self) -> dict[str, Any]:
        """The ``searchkit query --format json`` contract.

        ``{"query", "total", "took_ms", "hits": [...], "facets": {"type": [...],
        "tag": [...]}, "notice"}``; other tools rely on it, tests pin it.
        """
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": round(self.took_ms, 2),
            "hits": [h.to_json() for h in self.hits],
            "facets": {
                name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for name, values in self.facets.items()
            },
            "notice": self.notice,
        }


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What ``searchkit index`` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0
    unchanged: int = 0
    records: int = 0  # records written in this run
    duplicates: int = 0  # same id seen twice, older one dropped
    problems: tuple[Problem, ...] = ()
    rebuilt: bool = False
    seconds: float = 0.0
