"""Which datasets cover one place, and which queries name one (issue 13).

A catalogue holds, for most topics, one national reference and many local datasets
(a commune's addresses, a department's flood plans).  For one broad word that names
no place ("adresses", "monuments"), usage says which record is the reference among
the many about the word; but a local record's usage measures its place's interest,
not the country's, and the person named no place.  ``Engine._lifts`` keeps such a
record at its text score (``local``); this module says which records are local.

A record's coverage, from what it says of itself first:

1. its spatial zones (``Record.zones``): one that covers the country or more
   (``NATIONAL_ZONES``) makes it national, only smaller ones make it local;
2. else its publisher's name: a local authority (``LOCAL_WORDS``: commune, ville,
   département, région, métropole...) is local, a national body (``NATIONAL_WORDS``:
   ministère, national, France...) national;
3. else the zones of the publisher's other datasets, by majority;
4. else unknown, and left as it is.

    >>> reach_of(("Sixt-sur-Aff",), "Commune de Sixt-sur-Aff")
    -1
    >>> reach_of(("France", "DROM-COM"), "Premier ministre")
    1
    >>> reach_of((), "Ministère de la Culture"), reach_of((), "Région Hauts-de-France")
    (1, -1)
    >>> reach_of((), "NosDonnées.fr") is None
    True
"""

from __future__ import annotations

import re

from searchkit import model
from searchkit.analysis import FRENCH, terms
from searchkit.textnorm import fold

NATIONAL_ZONES = frozenset(fold(zone).casefold() for zone in model.NATIONAL_ZONES)
# words of a publisher's name (folded) that say it acts for one place, or for the country;
# a name holding both ("Région Hauts-de-France") is local
LOCAL_WORDS = frozenset(
    "commune communes ville mairie departement departemental departementale departementaux region regional "
    "regionale regionaux metropole eurometropole agglomeration agglo communaute intercommunal intercommunale "
    "collectivite syndicat prefecture ddt ddtm dreal".split())
NATIONAL_WORDS = frozenset(
    "ministere ministeres ministre national nationale nationaux nationales gouvernement republique etat france "
    "francais francaise interministeriel interministerielle autorite".split())
_WORD = re.compile(r"[a-z0-9]+")
LOCAL, UNKNOWN, NATIONAL = -1, None, 1


def zone_reach(zones) -> int | None:
    """1 when a zone covers the country or more, -1 when every zone is smaller, None without zones."""
    folded = [fold(z).casefold() for z in zones]
    if not folded:
        return UNKNOWN
    return NATIONAL if any(z in NATIONAL_ZONES for z in folded) else LOCAL


def publisher_reach(name: str) -> int | None:
    """-1 for a local authority's name, 1 for a national body's, None when the name does not say."""
    words = set(_WORD.findall(fold(name).casefold()))
    if words & LOCAL_WORDS:
        return LOCAL
    return NATIONAL if words & NATIONAL_WORDS else UNKNOWN


def reach_of(zones, publisher: str, others=()) -> int | None:
    """A dataset's coverage: 1 national, -1 local, None unknown (rules 1 to 3 above;
    ``others``: the zones of each other dataset of its publisher)."""
    found = zone_reach(zones)
    if found is None and publisher:
        found = publisher_reach(publisher)
        if found is None:
            votes = [zone_reach(z) for z in others]
            national, local = votes.count(NATIONAL), votes.count(LOCAL)
            found = NATIONAL if national > local else LOCAL if local > national else UNKNOWN
    return found


class Coverage:
    """The coverage of the datasets of one index generation, read for the records a
    search finds (their zones and publisher from their own facet values, a publisher's
    other datasets once), and the words of the places the catalogue's zones name."""

    def __init__(self, facets):
        self.facets = facets
        self.datasets = facets.docs("kind", "dataset")
        self._reach: dict[int, int | None] = {}
        self._publishers: dict[str, int | None] = {}
        self._places: frozenset | None = None

    def local(self, docs) -> set[int]:
        """The datasets of ``docs`` that cover one place."""
        return {d for d in docs if d in self.datasets and self.reach(d) == LOCAL}

    def reach(self, docnum: int) -> int | None:
        if docnum not in self._reach:
            found = zone_reach(label for _, label in self.facets.values_of(docnum, "zone"))
            publisher = self.facets.values_of(docnum, "publisher")
            if found is None and publisher:
                key, name = publisher[0]
                if key not in self._publishers:
                    found = publisher_reach(name)  # before reading the other datasets' zones
                    if found is None:
                        others = [[label for _, label in self.facets.values_of(d, "zone")]
                                  for d in self.facets.docs("publisher", key)]
                        found = reach_of((), name, others)
                    self._publishers[key] = found
                found = self._publishers[key]
            self._reach[docnum] = found
        return self._reach[docnum]

    def names_place(self, words: list[str]) -> bool:
        """Whether a word of the query is a word of a place the catalogue's zones name
        ("lyon", "gers"); the words of administrative levels and numbers are not places."""
        if self._places is None:
            levels = set(terms(FRENCH, " ".join(LOCAL_WORDS)))
            stems: set[str] = set()
            for label in self.facets.spellings("zone").values():
                if fold(label).casefold() not in NATIONAL_ZONES:
                    stems.update(s for s in terms(FRENCH, label) if not s.isdigit() and s not in levels)
            self._places = frozenset(stems)
        return any(stem in self._places for word in words for stem in terms(FRENCH, word))
