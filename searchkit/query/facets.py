"""Facet counts, filters and labels of one index generation.

Each facet (type, tag, publisher...) is read once per index generation into one
tuple of value codes per record (a record may carry several values), from its
posting blocks; counting the records of a search is then one pass over their
codes.  A value's label (its most common spelling) is looked up only for the
values shown.  The date filters read numeric columns (days as ``yyyymmdd``,
``searchkit.dates``) the same way: once per generation, one array per segment.
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import chain

from searchkit.index import SEP
from searchkit.model import FacetValue
from searchkit.whoosh_internals import postings

LABEL_SAMPLE = 50  # records read to find a facet value's most common spelling
FEW_RECORDS = 1000  # fewer records than this are counted from their own values until the codes are read


class Facets:
    """The facet values of the records of one searcher (one index generation)."""

    def __init__(self, searcher, deleted: set[int]):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.segments = list(self.reader.leaf_readers())
        self.deleted = deleted
        self._codes: dict[str, tuple[list[str], list[tuple[int, ...]]]] = {}  # name -> (keys, codes of each record)
        self._docs: dict[tuple[str, str], frozenset] = {}
        self._labels: dict[tuple[str, str], str] = {}
        self._record_facets: dict[int, dict[str, list[tuple[str, str]]]] = {}
        self._column = None
        self._days: dict[str, list[tuple[int, array]]] = {}  # column -> (offset, values) per segment
        self._dated: dict[tuple, frozenset] = {}

    def docs(self, name: str, key: str) -> frozenset:
        """The records (deleted ones left out) whose facet ``name`` has value ``key``."""
        found = self._docs.get((name, key))
        if found is None:
            ids: list[int] = []
            btext = key.encode("utf-8")
            for reader, offset in self.segments:
                ids += (offset + d for d in postings(reader, name, btext)[0])
            found = self._docs[(name, key)] = frozenset(ids).difference(self.deleted)
        return found

    def matching(self, filters: dict[str, list[str]], skip: str | None = None) -> set | None:
        """The records that pass every filter but ``skip`` (None: no filter applies).
        Filter values are keys (see ``textnorm.facet_key``); kind and id as they are."""
        result: set | None = None
        for name, keys in filters.items():
            if name == skip or not keys:
                continue
            docs: set = set()
            for key in keys:
                docs |= self.docs(name, key)
            result = docs if result is None else result & docs
        return result

    def days(self, name: str) -> list[tuple[int, array]]:
        """The numeric column ``name`` of every record, as (offset, values) per segment."""
        found = self._days.get(name)
        if found is None:
            found = self._days[name] = [(offset, array("l", reader.column_reader(name)))
                                        for reader, offset in self.segments]
        return found

    def dated(self, since: tuple[int, int] | None, covers: tuple[int, int] | None) -> frozenset:
        """The records (deleted ones left out) modified within ``since`` = (first, last day),
        and whose temporal coverage overlaps ``covers``; None leaves that side unchecked."""
        cached = self._dated.get((since, covers))
        if cached is not None:
            return cached
        found: set[int] = set()
        modified = self.days("modified_day")
        starts, ends = self.days("cover_start"), self.days("cover_end")
        for (offset, days), (_, start), (_, end) in zip(modified, starts, ends):
            for d in range(len(days)):
                if since is not None and not (days[d] and since[0] <= days[d] <= since[1]):
                    continue
                if covers is not None and not (start[d] and start[d] <= covers[1] and end[d] >= covers[0]):
                    continue
                found.add(offset + d)
        kept = self._dated[(since, covers)] = frozenset(found - self.deleted)
        return kept

    def codes_of(self, name: str) -> tuple[list[str], list[tuple[int, ...]]]:
        """The keys of facet ``name`` and, per record number, the codes (indexes into the
        keys) of its values; read once per index generation."""
        built = self._codes.get(name)
        if built is None:
            keys: list[str] = []
            code_of: dict[bytes, int] = {}
            per_record: list[tuple[int, ...]] = [()] * self.reader.doc_count_all()
            for reader, offset in self.segments:
                for btext in reader.lexicon(name):
                    code = code_of.get(btext)
                    if code is None:
                        code = code_of[btext] = len(keys)
                        keys.append(btext.decode("utf-8"))
                    for d in postings(reader, name, btext)[0]:
                        per_record[offset + d] += (code,)
            built = self._codes[name] = (keys, per_record)
        return built

    def count(self, name: str, docs, top: int) -> tuple[FacetValue, ...]:
        """The values of facet ``name`` among ``docs``, most frequent first (``top`` of them, 0: all).

        Counted from the codes of every record (``codes_of``) once they are read; before,
        a few records (``FEW_RECORDS``) are counted from their own values (the ``facets``
        column): a search in a new process does not read every value's postings."""
        if not docs:
            return ()
        if name in self._codes or len(docs) > FEW_RECORDS:
            keys, per_record = self.codes_of(name)
            counts = Counter(chain.from_iterable(map(per_record.__getitem__, docs)))
            pairs = [(keys[code], n) for code, n in counts.items()]
        else:
            counts = Counter(chain.from_iterable({key for key, _ in self._facets_of(d, keep=False).get(name, ())}
                                                 for d in docs))
            pairs = list(counts.items())
        ranked = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
        if top:
            ranked = ranked[:top]
        return tuple(FacetValue(key, self.label(name, key), n) for key, n in ranked)

    def label(self, name: str, key: str) -> str:
        """The most common spelling of value ``key``, from the first ``LABEL_SAMPLE``
        records that carry it."""
        found = self._labels.get((name, key))
        if found is None:
            counts: Counter = Counter()
            for docnum in sorted(self.docs(name, key))[:LABEL_SAMPLE]:
                label = dict(self._facets_of(docnum).get(name, ())).get(key)
                if label is not None:
                    counts[label] += 1
            found = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0] if counts else key
            self._labels[(name, key)] = found
        return found

    def keys_of(self, docnum: int, name: str) -> list[str]:
        """The keys of facet ``name`` that record ``docnum`` carries (from its own values)."""
        return [key for key, _ in self.values_of(docnum, name)]

    def values_of(self, docnum: int, name: str) -> list[tuple[str, str]]:
        """The (key, spelling) pairs of facet ``name`` that record ``docnum`` carries."""
        return self._facets_of(docnum, keep=False).get(name, [])

    def spellings(self, name: str) -> dict[str, str]:
        """Every key of facet ``name`` -> a spelling of it (the first record's that carries
        it): one record read per value, where ``label`` reads up to ``LABEL_SAMPLE``."""
        found: dict[str, str] = {}
        for reader, offset in self.segments:
            for btext in reader.lexicon(name):
                key = btext.decode("utf-8")
                if key not in found:
                    first = offset + postings(reader, name, btext)[0][0]
                    found[key] = dict(self.values_of(first, name)).get(key, key)
        return found

    def _facets_of(self, docnum: int, keep: bool = True) -> dict[str, list[tuple[str, str]]]:
        """Facet name -> [(key, label)] of one record, from the ``facets`` column (kept for the
        next label lookup unless ``keep`` is False: counting reads many records once)."""
        found = self._record_facets.get(docnum)
        if found is None:
            if self._column is None:
                self._column = self.reader.column_reader("facets")
            raw = self._column[docnum]
            parts = raw.decode("utf-8").split(SEP) if raw else []
            found = {}
            for i in range(0, len(parts) - 2, 3):
                found.setdefault(parts[i], []).append((parts[i + 1], parts[i + 2]))
            if keep:
                self._record_facets[docnum] = found
        return found
