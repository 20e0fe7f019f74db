"""Every use of Whoosh's internals, in one place (whoosh-reloaded 2.7.5).

searchkit relies on a few private attributes, codec details and behaviours of
Whoosh that its public API does not promise.  Each one is here, with the Whoosh
behaviour it works around and how to see it fail; ``tests/test_whoosh_internals.py``
pins the installed version and checks every attribute named here, so that an
upgrade fails in one place with a clear message.  Nothing is patched on import.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate

from whoosh import query as Q
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import ListMatcher
from whoosh.query.spans import Span, SpanNear2
from whoosh.reading import SegmentReader, TermNotFound
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
    """Whoosh's FuzzyTerm, its words remembered per segment for the life of the
    query, and looked up in a sorted list of the segment's words.

    Whoosh asks for them (``FuzzyTerm._btexts``) several times in one search (to
    estimate sizes, for the matcher, for the full match set), and each time walks
    the segment's lexicon with an automaton: 250 walks for one typo query on 5
    fields.  To see it: count the calls of ``reader.terms_within`` in one search.
    The walk itself (``Automata.find_matches``) jumps through the on-disk term
    index with ``cursor.find``, a binary search of about 150 us in Python per jump,
    a few thousand jumps per typo; the same walk over the words of the field held
    in a list (read once per segment and field, ``SegmentReader.lexicon``) jumps
    with ``bisect``: a typo query went from about 270 ms to a few ms on 10,000
    notes, once the words of its fields are read."""

    def _btexts(self, ixreader):
        memo = self.__dict__.setdefault("_words", {})  # id of the segment reader -> its words
        words = memo.get(id(ixreader))
        if words is None:
            words = memo[id(ixreader)] = list(_terms_within(ixreader, self.fieldname, self.text, self.maxdist,
                                                            self.prefixlength))
        return words


_LEXICONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # segment reader -> field -> sorted words


def _terms_within(reader, field_name: str, text: str, maxdist: int, prefix: int):
    """``SegmentReader.terms_within`` (the same automaton, the same walk) over a list."""
    if not isinstance(reader, SegmentReader):
        return reader.terms_within(field_name, text, maxdist, prefix=prefix)
    spelling = reader.schema[field_name].spelling_fieldname(field_name)
    lexicons = _LEXICONS.setdefault(reader, {})
    words = lexicons.get(spelling)
    if words is None:
        from_bytes = reader.schema[spelling].from_bytes
        words = lexicons[spelling] = [from_bytes(b) for b in reader.lexicon(spelling)]
    return Automata.find_matches(Automata.levenshtein_dfa(text, maxdist, prefix), _ListCursor(words))


class _ListCursor:
    """What ``Automata.find_matches`` uses of a field cursor (``find``, ``text``), over a sorted list."""

    __slots__ = ("_words", "_text")

    def __init__(self, words: list[str]):
        self._words = words
        self._text = words[0] if words else None

    def text(self):
        return self._text

    def find(self, term: str):
        i = bisect_left(self._words, term)
        self._text = self._words[i] if i < len(self._words) else None
        return self._text


def decode_positions(segment_reader, field_name: str, value) -> list[int]:
    """The positions in one posting's value (``Format.decode_positions``)."""
    return segment_reader.schema[field_name].format.decode_positions(value)


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


def postings(segment_reader, field_name: str, btext: bytes) -> tuple[list[int], list, list]:
    """(ids, weights, values) of one term in one segment, deleted records included,
    read a whole block at a time; a value is the posting's encoded positions (None
    in a field without them).

    Whoosh only offers postings one at a time through a matcher (``id``, ``weight``,
    ``next``: a few Python calls per posting).  The whoosh3 codec stores a term's
    postings in blocks of up to 128 whose data is one pickled tuple (ids as deltas
    from 0, weights as an ``array('f')``, a single float when they are all equal, or
    None for 1.0, then the values); this reads those tuples (``W3LeafMatcher.
    _read_data``, ``_data``, ``_lastblock``, ``_goto``, ``_nextoffset``) and a
    short list stored inline in the term info (``ListMatcher._ids``, ``_weights``,
    ``_all_weights``, ``_values``).  The segment's terms reader is
    ``SegmentReader._terms``: ``SegmentReader.postings`` would wrap the matcher to
    skip deleted records, which the caller does once per segment instead.
    """
    field = segment_reader.schema[field_name] if field_name in segment_reader.schema else None
    if field is None:
        return [], [], []
    try:
        matcher = segment_reader._terms.matcher(field_name, btext, field.format)
    except TermNotFound:
        return [], [], []
    if isinstance(matcher, ListMatcher):
        ids = list(matcher._ids)
        if matcher._all_weights:
            weights = [matcher._all_weights] * len(ids)
        else:
            weights = list(matcher._weights) if matcher._weights else [1.0] * len(ids)
        return ids, weights, list(matcher._values) if matcher._values else [None] * len(ids)
    variable = field.format.fixed_value_size() is None  # positions: one encoded value per posting
    ids: list[int] = []
    weights: list = []
    values: list = []
    while True:
        matcher._read_data()
        block_ids, block_weights, block_values = matcher._data[0], matcher._data[1], matcher._data[2]
        start = len(ids)
        ids.extend(accumulate(block_ids))
        count = len(ids) - start
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        values.extend(block_values if variable and block_values is not None else [None] * count)
        if matcher._lastblock:
            return ids, weights, values
        matcher._goto(matcher._nextoffset)


def phrase_found(positions: list[list[int]], slop: int) -> bool:
    """Whether the words (their positions in one record, in the phrase's order)
    occur in order within ``slop`` of each other, decided by Whoosh's own phrase
    logic (``SpanNear2.SpanNear2Matcher._get_spans`` with ``ordered=True``,
    ``mindist=1``, as ``Phrase`` uses it), fed with the positions instead of
    matchers.  ``slop=1`` (a quoted phrase) is decided directly: the words at
    consecutive positions, what that logic comes to (``test_query_side_phrase_logic``)."""
    if slop == 1:  # what that logic comes to for a plain phrase: the words at consecutive positions
        following = [set(ps) for ps in positions[1:]]
        return any(all(p + i in ps for i, ps in enumerate(following, 1)) for p in positions[0])
    near = _Near([_Positions([Span(p) for p in ps]) for ps in positions], slop)
    return bool(SpanNear2.SpanNear2Matcher._get_spans(near))


class _Positions:
    __slots__ = ("_spans",)

    def __init__(self, spans):
        self._spans = spans

    def spans(self):
        return self._spans


class _Near:
    __slots__ = ("ms", "slop", "ordered", "mindist")

    def __init__(self, ms, slop):
        self.ms, self.slop, self.ordered, self.mindist = ms, slop, True, 1


def deleted_records(segment_reader) -> frozenset:
    """The deleted record numbers of one segment (``SegmentReader.deleted_docs_set``,
    what ``SegmentReader.postings`` filters with; the reader has no public list)."""
    return segment_reader.deleted_docs_set if segment_reader.has_deletions() else frozenset()


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


def install_query_patches() -> None:
    """Patches the query side needs; called by the engine, idempotent.

    - ``Automata.levenshtein_dfa`` remembers its last 256 automata.  Whoosh builds
      the Levenshtein automaton of a word again for every field and every segment
      it looks a typo up in (``SegmentReader.terms_within`` -> ``Automata.
      terms_within``), and again for the spelling suggestions: one typo searched in
      5 fields of 2 segments built the same automaton 10 times, about 15 ms each
      in pure Python.  An automaton is read-only once built (its ``outlabels`` is a
      memo), so one per (word, distance, prefix) serves every lookup.  To see it:
      count the calls of ``levenshtein_automaton`` in one typo search.
    """
    current = Automata.__dict__["levenshtein_dfa"]
    if not getattr(current.__func__, "searchkit_cached", False):
        cached = lru_cache(maxsize=256)(current.__func__)
        cached.searchkit_cached = True
        Automata.levenshtein_dfa = staticmethod(cached)
