"""Posting blocks -> scores: BM25F of a planned query for every record it matches.

Whoosh scores a query through a tree of matchers, a few Python calls per posting
per field per word, and needs one more call per posting for the field length.
This reads each term's postings a whole block at a time (``whoosh_internals.
postings``), takes the field lengths from one byte array per segment and
field, read once per index generation, and computes BM25F exactly as Whoosh does
(same formula, same ``byte_to_length`` quantisation, same global statistics), so
the scores are Whoosh's within float rounding.  Records are accumulated in dicts
(record number -> score): union, intersection, "and maybe" and "and not" are dict
and key-set operations.  A phrase reads positions only for the records that have
all its words (and, for the re-ranking, only for the best candidates), and decides
with Whoosh's own phrase logic (``whoosh_internals.phrase_found``).

What Whoosh does and this reproduces: a compound query (``Or``, ``And``) of one
sub-query is that sub-query, its own boost ignored; ``Or(minmatch=...)`` is a plain
union (Whoosh 2.7 never implemented ``minmatch``); a fuzzy term that expands to one
word in a segment is that word unboosted there, and one that expands to three
words or more in a segment of at most 5,000 records scores 1 there.  A construct it does not know
(``Every``, used by a query made only of exclusions) raises ``Unsupported`` and the
engine lets Whoosh score it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from math import log

from whoosh import query as Q

from searchkit.whoosh_internals import BYTE_TO_LENGTH, decode_positions, deleted_records, fuzzy_words, length_bytes, phrase_found, postings


POSTINGS_KEPT = 2_000_000  # decoded postings kept between searches: 12 bytes each, 24 MB at most
FUZZY_ARRAY_LIMIT = 5000  # Whoosh's Or preloads an array up to this many records in a segment


class Unsupported(Exception):
    """A query construct this scorer does not reproduce."""


class Scorer:
    """Scores queries on one searcher (one index generation); keeps the field
    length arrays and the deleted records of that generation."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.doc_count = self.reader.doc_count_all()
        self.B, self.K1 = searcher.weighting.B, searcher.weighting.K1
        self.segments = [(leaf.reader(), offset, leaf) for leaf, offset in searcher.leaf_searchers()]
        self.deleted = {offset + d for r, offset, _ in self.segments for d in deleted_records(r)}
        self._lengths: dict[tuple[int, str], bytes | None] = {}
        self._norms: dict[str, list[float]] = {}
        self._doc_norm_lists: dict[tuple[int, str], list[float]] = {}
        self._decoded: OrderedDict[tuple[int, str, bytes], tuple[array, array]] = OrderedDict()
        self._kept = 0  # postings in ``_decoded``
        self._context = None

    # -- statistics, as Whoosh's BM25F computes them
    def _norm(self, field_name: str) -> list[float]:
        """``K1 * ((1 - B) + B * length / average length)`` for each length byte."""
        norm = self._norms.get(field_name)
        if norm is None:
            avgfl = (self.reader.field_length(field_name) / (self.doc_count or 1)) or 1
            B, K1 = self.B, self.K1
            norm = self._norms[field_name] = [K1 * ((1 - B) + B * fl / avgfl) for fl in BYTE_TO_LENGTH]
        return norm

    def _length_bytes(self, k: int, field_name: str) -> bytes | None:
        key = (k, field_name)
        if key not in self._lengths:
            self._lengths[key] = length_bytes(self.segments[k][0], field_name)
        return self._lengths[key]

    def _postings(self, k: int, field_name: str, btext: bytes) -> tuple[array, array]:
        """(ids, weights) of one term in segment ``k``, decoded once for this index generation
        (kept while they fit in ``POSTINGS_KEPT``: the words a person searches for come back,
        one keystroke after another)."""
        key = (k, field_name, btext)
        found = self._decoded.get(key)
        if found is not None:
            self._decoded.move_to_end(key)
            return found
        ids, weights, _ = postings(self.segments[k][0], field_name, btext)
        found = self._decoded[key] = (array("I", ids), array("d", weights))
        self._kept += len(ids)
        while self._kept > POSTINGS_KEPT and len(self._decoded) > 1:
            self._kept -= len(self._decoded.popitem(last=False)[1][0])
        return found

    def _values(self, k: int, field_name: str, btext: bytes, within: list[int]) -> dict[int, object]:
        """Record number in segment ``k`` -> the encoded positions of one term, read only
        from the blocks that may hold the records ``within`` (in order; not kept)."""
        ids, _, values = postings(self.segments[k][0], field_name, btext, within)
        return dict(zip(ids, values))

    def _segment_term(self, k: int, field_name: str, btext: bytes, idf: float | None, boost: float = 1.0) -> dict[int, float]:
        """BM25F of one term in segment ``k``, times ``boost`` (``idf`` None: an unscored
        field, the weight), computed as Whoosh does: the score, then the boost."""
        offset = self.segments[k][1]
        ids, weights = self._postings(k, field_name, btext)
        if not ids:
            return {}
        if idf is None:
            if boost == 1.0:
                return {offset + d: float(w) for d, w in zip(ids, weights)}
            return {offset + d: float(w) * boost for d, w in zip(ids, weights)}
        norm = self._doc_norms(k, field_name)
        k1p1 = self.K1 + 1
        if boost == 1.0:
            return {offset + d: idf * ((w * k1p1) / (w + norm[d])) for d, w in zip(ids, weights)}
        return {offset + d: idf * ((w * k1p1) / (w + norm[d])) * boost for d, w in zip(ids, weights)}

    def _doc_norms(self, k: int, field_name: str) -> list[float]:
        """The BM25F length normalisation (``_norm``) of each record of segment ``k``."""
        key = (k, field_name)
        found = self._doc_norm_lists.get(key)
        if found is None:
            norm, lengths = self._norm(field_name), self._length_bytes(k, field_name)
            found = self._doc_norm_lists[key] = [norm[b] for b in lengths] if lengths is not None else [norm[0]] * self.segments[k][0].doc_count_all()
        return found

    def _idf(self, field_name: str, btext: bytes) -> float | None:
        if not self.schema[field_name].scorable:
            return None
        return log(self.doc_count / (self.reader.doc_frequency(field_name, btext) + 1)) + 1

    def _btext(self, field_name: str, text) -> bytes | None:
        if field_name not in self.schema:
            return None
        try:
            return self.schema[field_name].to_bytes(text)
        except ValueError:
            return None

    def term(self, field_name: str, text, memo: dict | None = None, boost: float = 1.0, only=None) -> dict[int, float]:
        """Scores of one term times ``boost`` in every segment (deleted records included);
        with ``only`` (record numbers in order), of those records only."""
        if only is not None:
            return self._term_within(field_name, text, boost, only)
        memo = {} if memo is None else memo
        key = ("term", field_name, text, boost)
        if key in memo:
            return memo[key]
        out: dict[int, float] = {}
        btext = self._btext(field_name, text)
        if btext is not None and (field_name, btext) in self.reader:
            idf = self._idf(field_name, btext)
            for k in range(len(self.segments)):
                out.update(self._segment_term(k, field_name, btext, idf, boost))
        memo[key] = out
        return out

    def holders(self, field_name: str, text) -> set[int]:
        """The records (deleted ones included, as ``term``) holding ``text`` in ``field_name``."""
        btext = self._btext(field_name, text)
        if btext is None or (field_name, btext) not in self.reader:
            return set()
        found: set[int] = set()
        for k, (_, offset, _) in enumerate(self.segments):
            ids = self._postings(k, field_name, btext)[0]
            found.update(ids if not offset else (offset + d for d in ids))
        return found

    def _term_within(self, field_name: str, text, boost: float, only: list[int]) -> dict[int, float]:
        """``term`` for the records ``only`` (in order): each looked up in the term's ids."""
        btext = self._btext(field_name, text)
        if btext is None or (field_name, btext) not in self.reader:
            return {}
        idf = self._idf(field_name, btext)
        k1p1 = self.K1 + 1
        out: dict[int, float] = {}
        for k, (reader, offset, _) in enumerate(self.segments):
            ids, weights = self._postings(k, field_name, btext)
            if not ids:
                continue
            norm = self._doc_norms(k, field_name) if idf is not None else None
            end = offset + reader.doc_count_all()
            for d in only[bisect_left(only, offset):bisect_left(only, end)]:
                local = d - offset
                i = bisect_left(ids, local)
                if i < len(ids) and ids[i] == local:
                    w = weights[i]
                    score = float(w) if idf is None else idf * ((w * k1p1) / (w + norm[local]))
                    out[d] = score if boost == 1.0 else score * boost
        return out

    # -- queries
    def scores(self, query: Q.Query, memo: dict | None = None, only=None) -> dict[int, float]:
        """Record number -> score of every record ``query`` matches, deleted ones left
        out; with ``only``, of those records only (phrases are checked only there).
        ``memo`` (one per search) keeps the postings read for the next query."""
        if only is not None:
            only = sorted(only)
        out = self._eval(query, {} if memo is None else memo, only)
        if only is not None:
            out = {d: out[d] for d in only if d in out}
        if self.deleted:
            out = {d: s for d, s in out.items() if d not in self.deleted}
        return out

    def _eval(self, q: Q.Query, memo: dict, only) -> dict[int, float]:
        if isinstance(q, Q.FuzzyTerm):
            return self._fuzzy(q, memo)
        if type(q) is Q.Term:
            return self.term(q.fieldname, q.text, memo, q.boost, only)
        if isinstance(q, Q.Phrase):
            return self._phrase(q, memo, only)
        if isinstance(q, (Q.Or, Q.And)):
            subs = q.subqueries
            if not subs:
                return {}
            if len(subs) == 1:  # Whoosh: the sub-query's matcher, this query's boost ignored
                return self._eval(subs[0], memo, only)
            parts = [self._eval(s, memo, only) for s in subs]
            return _boosted(_union(parts) if isinstance(q, Q.Or) else _intersection(parts), q.boost)
        if isinstance(q, Q.AndMaybe):
            a, b = self._eval(q.a, memo, only), self._eval(q.b, memo, only)
            out = dict(a)
            for d in a.keys() & b.keys():
                out[d] = a[d] + b[d]
            return out
        if isinstance(q, Q.AndNot):
            a, b = self._eval(q.a, memo, only), self._eval(q.b, memo, only)
            return {d: s for d, s in a.items() if d not in b} if b else a
        raise Unsupported(type(q).__name__)

    def _fuzzy(self, q: Q.FuzzyTerm, memo: dict) -> dict[int, float]:
        """Whoosh, per segment: one word is a plain unboosted term; two words, or
        more in a segment of over 5,000 records, are a boosted union; more words
        in a smaller segment score 1 each (``FuzzyTerm`` is "constant score" and
        its ``Or`` then preloads an unscored array)."""
        out: dict[int, float] = {}
        for k, (reader, offset, _) in enumerate(self.segments):
            words = fuzzy_words(q, reader)
            if len(words) > 2 and reader.doc_count_all() <= FUZZY_ARRAY_LIMIT:
                for btext in words:
                    ids = self._postings(k, q.fieldname, btext)[0]
                    out.update(dict.fromkeys((offset + d for d in ids), 1.0))
                continue
            parts = []
            for btext in words:
                key = ("fuzzy", k, q.fieldname, btext)
                if key not in memo:
                    memo[key] = self._segment_term(k, q.fieldname, btext, self._idf(q.fieldname, btext))
                parts.append(memo[key])
            out.update(_boosted(_union(parts), q.boost) if len(parts) > 1 else (parts[0] if parts else {}))
        return out

    def _phrase(self, q: Q.Phrase, memo: dict, only) -> dict[int, float]:
        """Whoosh's ``Phrase``: the records where the words occur in order within
        ``slop``, scored as the sum of the words' scores in that field (summed as
        Whoosh's binary tree of intersections does), times the phrase's boost."""
        field_name = q.fieldname
        if field_name not in self.schema:
            return {}
        if not self.schema[field_name].format.supports("positions"):
            raise Unsupported(f"phrase in {field_name}")  # Whoosh raises its own error
        words = list(q.words)
        btexts = [self._btext(field_name, w) for w in words]
        if not btexts or any(b is None for b in btexts):
            return {}
        scores = [self.term(field_name, w, memo, only=only) for w in words]
        out: dict[int, float] = {}
        for k, (reader, offset, _) in enumerate(self.segments):
            if any((field_name, b) not in reader for b in btexts):
                continue  # Whoosh: a word missing from the segment, no match there
            end = offset + reader.doc_count_all()
            candidates = [d for d in (only if only is not None else scores[0]) if offset <= d < end]
            candidates = [d for d in candidates if all(d in s for s in scores)]
            if not candidates:
                continue
            wanted = sorted(d - offset for d in candidates)
            values = [self._values(k, field_name, b, wanted) for b in btexts]
            slop = q.slop
            for d in candidates:
                local = d - offset
                positions = [decode_positions(reader, field_name, v[local]) for v in values]
                if phrase_found(positions, slop):
                    out[d] = _tree_sum([s[d] for s in scores])
        return _boosted(out, q.boost)


def _tree_sum(values: list[float]) -> float:
    """``a + b`` summed as Whoosh's ``make_binary_tree`` nests its matchers."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    return scores if boost == 1.0 else {d: s * boost for d, s in scores.items()}


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    parts = [p for p in parts if p]
    if not parts:
        return {}
    if len(parts) == 1:
        return parts[0]
    parts.sort(key=len, reverse=True)
    out = dict(parts[0])
    get = out.get
    for part in parts[1:]:
        for d, s in part.items():
            v = get(d)
            out[d] = s if v is None else v + s
    return out


def _intersection(parts: list[dict[int, float]]) -> dict[int, float]:
    if not all(parts):
        return {}
    smallest = min(parts, key=len)
    common = smallest.keys()
    for part in parts:
        if part is not smallest:
            common = common & part.keys()
    out = {d: parts[0][d] for d in common}
    for part in parts[1:]:
        for d in common:
            out[d] += part[d]
    return out
