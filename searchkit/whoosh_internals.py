"""Every use of Whoosh's internals, in one place (whoosh-reloaded 2.7.5).

searchkit relies on a few private attributes, codec details and behaviours of
Whoosh that its public API does not promise.  Each one is here, with the Whoosh
behaviour it works around and how to see it fail; ``tests/test_whoosh_internals.py``
pins the installed version and checks every attribute named here, so that an
upgrade fails in one place with a clear message.  Nothing is patched on import.
"""

from __future__ import annotations

from itertools import accumulate

from whoosh import query as Q
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

# ---- query side ----


class Or(Q.Or):
    """Whoosh's Or, always with the binary tree of union matchers.

    Under 5,000 documents Whoosh's ``Or`` switches to a "preloaded array" matcher
    (``Or.matcher_type`` AUTO -> ARRAY_MATCHER) that mis-scores phrase sub-queries
    under a top-N collector: a record ranked 2nd without a limit vanished from the
    top 10.  Large indexes already use this one.  To see it fail: give ``Or`` back
    Whoosh's ``AUTO_MATCHER`` and search a phrase OR a word with ``limit=10`` on an
    index of a few hundred records; compare with ``limit=None``.
    """

    matcher_type = Q.Or.DEFAULT_MATCHER


class FuzzyTerm(Q.FuzzyTerm):
    """Whoosh's FuzzyTerm, its words remembered per segment for the life of the query.

    Whoosh asks for them (``FuzzyTerm._btexts``) several times in one search (to
    estimate sizes, for the matcher, for the full match set), and each time walks
    the segment's lexicon with an automaton: 250 walks for one typo query on 5
    fields.  To see it: count the calls of ``reader.terms_within`` in one search."""

    def _btexts(self, ixreader):
        memo = self.__dict__.setdefault("_words", {})  # id of the segment reader -> its words
        words = memo.get(id(ixreader))
        if words is None:
            words = memo[id(ixreader)] = list(super()._btexts(ixreader))
        return words


def fuzzy_words(query: Q.FuzzyTerm, segment_reader) -> list:
    """The words (bytes) of one segment a fuzzy term expands to (``FuzzyTerm._btexts``,
    which gives them as text)."""
    return [w if isinstance(w, bytes) else w.encode("utf-8") for w in query._btexts(segment_reader) if w]


def unwrap_collector(collector):
    """The innermost of Whoosh's nested collectors (``collector.child``): the
    top-N collector whose ``replace`` interval searchkit turns off."""
    inner = collector
    while hasattr(inner, "child"):
        inner = inner.child
    return inner


def posting_arrays(segment_reader, field_name: str, btext: bytes) -> tuple[list[int], object]:
    """(ids, weights) of one term in one segment, deleted records included, read a
    whole block at a time.

    Whoosh only offers postings one at a time through a matcher (``id``, ``weight``,
    ``next``: a few Python calls per posting).  The whoosh3 codec stores a term's
    postings in blocks of up to 128 whose data is one pickled tuple (delta-encoded
    ids, weights as an ``array('f')``, a single float when they are all equal, or
    None for 1.0); this reads those tuples (``W3LeafMatcher._read_data``, ``_data``,
    ``_lastblock``, ``_goto``, ``_nextoffset``) and a short list stored inline in
    the term info (``ListMatcher._ids``/``_weights``/``_all_weights``).  The
    segment's terms reader is ``SegmentReader._terms``: its ``postings`` would wrap
    the matcher to skip deleted records, which the caller does once per segment.
    """
    try:
        matcher = segment_reader._terms.matcher(field_name, btext, segment_reader.schema[field_name].format)
    except (TermNotFound, KeyError):
        return [], []
    if isinstance(matcher, ListMatcher):
        ids = list(matcher._ids)
        if matcher._all_weights:
            return ids, [matcher._all_weights] * len(ids)
        return ids, (list(matcher._weights) if matcher._weights else [1.0] * len(ids))
    ids: list[int] = []
    weights: list = []
    while True:
        matcher._read_data()
        block_ids, block_weights = matcher._data[0], matcher._data[1]
        start = len(ids)
        ids.extend(accumulate(block_ids))  # each block's ids are deltas from 0
        count = len(ids) - start
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if matcher._lastblock:
            return ids, weights
        matcher._goto(matcher._nextoffset)


def length_bytes(segment_reader, field_name: str) -> bytes | None:
    """One byte per record of the segment: its quantised length of ``field_name``
    (``byte_to_length`` gives the length BM25F uses), None for a field without lengths.

    Whoosh reads it one record at a time (``doc_field_length``); this reads the
    column's bytes at once (``SegmentReader._perdoc._cached_reader``, the column
    reader's ``_dbfile``, ``_basepos``, ``_count``; records past ``_count`` have
    the default, 0)."""
    perdoc = segment_reader._perdoc
    column = perdoc._cached_reader(_lenfield(field_name), LENGTHS_COLUMN)
    if column is None:
        return None
    raw = bytes(column._dbfile.get(column._basepos, column._count)) if column._count else b""
    return raw + bytes(max(0, segment_reader.doc_count_all() - len(raw)))


BYTE_TO_LENGTH = tuple(byte_to_length(b) for b in range(256))
