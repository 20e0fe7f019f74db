"""Every Whoosh internal searchkit relies on is still there and still means the same.

An upgrade of Whoosh that changes one of them fails here, by name.
"""

from __future__ import annotations

import shutil
from importlib.metadata import version
from pathlib import Path

import pytest
from whoosh import query as Q
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import ListMatcher
from whoosh.query.spans import SpanNear2
from whoosh.reading import SegmentReader

from searchkit import whoosh_internals as wi
from searchkit.index import update_index
from searchkit.query import Engine

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    root = tmp_path_factory.mktemp("internals")
    shutil.copytree(REPO / "notes", root / "notes")
    update_index(root / "idx", [root / "notes"])
    engine = Engine(root / "idx")
    yield engine.searcher()
    engine.close()


def _segment(searcher) -> SegmentReader:
    reader = searcher.reader()
    leaf = reader if isinstance(reader, SegmentReader) else next(iter(reader.leaf_readers()))[0]
    assert isinstance(leaf, SegmentReader)
    return leaf


def test_query_side_the_installed_whoosh_is_the_pinned_one():
    assert version("whoosh-reloaded") == "2.7.5"


def test_query_side_attributes_relied_on_exist(searcher):
    segment = _segment(searcher)
    for name in ("_read_data", "_goto"):
        assert callable(getattr(W3LeafMatcher, name)), name
    assert hasattr(segment, "_terms") and hasattr(segment._terms, "matcher")
    assert hasattr(segment, "_perdoc") and hasattr(segment._perdoc, "_cached_reader")
    assert isinstance(segment.deleted_docs_set, frozenset)
    matcher = segment._terms.matcher("body", "donne".encode(), segment.schema["body"].format)
    assert isinstance(matcher, (W3LeafMatcher, ListMatcher))
    if isinstance(matcher, W3LeafMatcher):
        matcher._read_data()
        assert isinstance(matcher._data, tuple) and len(matcher._data) >= 3
        assert isinstance(matcher._lastblock, bool) and isinstance(matcher._nextoffset, int)
    for name in ("_ids", "_weights", "_all_weights", "_values"):
        assert name in ListMatcher([1], [1.0]).__dict__, name
    assert callable(Automata.find_matches) and callable(Automata.levenshtein_dfa)
    assert callable(SpanNear2.SpanNear2Matcher._get_spans)
    assert Q.Or.DEFAULT_MATCHER == 1 and hasattr(Q.Or, "matcher_type")
    assert callable(Q.FuzzyTerm._btexts)
    assert hasattr(searcher.collector(limit=10, terms=True), "child")


def test_query_side_posting_blocks_are_the_matchers_postings(searcher):
    segment = _segment(searcher)
    checked = 0
    for field_name in ("title", "body", "tags"):
        for btext in list(segment.lexicon(field_name))[::7]:
            ids, weights, values = wi.postings(segment, field_name, btext)
            matcher = segment._terms.matcher(field_name, btext, segment.schema[field_name].format)
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            assert list(zip(ids, weights, values)) == expected, (field_name, btext)
            checked += 1
    assert checked > 100
    assert wi.postings(segment, "body", b"no-such-word-here") == ([], [], [])


def test_query_side_length_bytes_are_whooshs_field_lengths(searcher):
    segment = _segment(searcher)
    lengths = wi.length_bytes(segment, "body")
    assert len(lengths) == segment.doc_count_all()
    for d in range(segment.doc_count_all()):
        assert (wi.BYTE_TO_LENGTH[lengths[d]] or None) == segment.doc_field_length(d, "body")


def test_query_side_words_within_a_distance_are_whooshs(searcher):
    segment = _segment(searcher)
    for word in ("donnes", "licnce", "plateform", "ouvertes"):
        for maxdist in (1, 2):
            ours = list(wi._terms_within(segment, "body", word, maxdist, 1))
            assert sorted(ours) == sorted(segment.terms_within("body", word, maxdist, prefix=1))


def test_query_side_phrase_logic():
    import random

    assert wi.phrase_found([[3, 10], [4]], slop=1)
    assert not wi.phrase_found([[4], [3]], slop=1)  # in order only
    assert wi.phrase_found([[1], [3]], slop=2) and not wi.phrase_found([[1], [4]], slop=2)
    rng = random.Random(7)
    for _ in range(3000):  # the direct decision for slop=1 is Whoosh's span logic
        positions = [sorted(rng.sample(range(12), rng.randint(1, 4))) for _ in range(rng.randint(2, 3))]
        near = wi._Near([wi._Positions([wi.Span(p) for p in ps]) for ps in positions], 1)
        assert wi.phrase_found(positions, 1) == bool(SpanNear2.SpanNear2Matcher._get_spans(near)), positions


def test_query_side_patches_are_explicit_and_idempotent():
    wi.install_query_patches()
    first = Automata.levenshtein_dfa
    wi.install_query_patches()
    assert Automata.levenshtein_dfa is first
    assert Automata.levenshtein_dfa("abc", 1, 1) is Automata.levenshtein_dfa("abc", 1, 1)
