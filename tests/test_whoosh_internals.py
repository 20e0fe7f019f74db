"""The Whoosh internals searchkit relies on still exist, in the version they were written for,
and still mean the same.

When one of these fails after an upgrade, read the matching item of
``searchkit/whoosh_internals.py``'s docstring before changing anything.
"""

from __future__ import annotations

import inspect
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest
from whoosh import query as Q
from whoosh.codec import base as codec_base
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb import structfile
from whoosh.index import TOC, FileIndex
from whoosh.matching import ListMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.query.spans import SpanNear2
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from searchkit import whoosh_internals as wi
from searchkit.index import update_index
from searchkit.query import Engine

REPO = Path(__file__).resolve().parents[1]


def test_index_side_whoosh_is_the_pinned_release():
    assert version("whoosh-reloaded") == "2.7.5"


def test_index_side_buffer_file_is_patched_only_when_installed():
    """Item 1: the patch is installed by the index, not by importing the module."""
    assert list(inspect.signature(structfile.BufferFile.__init__).parameters) == ["self", "buf", "name", "onclose"]
    wi.install_index_side()
    assert structfile.BufferFile.__init__ is wi._buffer_file_init
    methods = inspect.getsource(structfile.StructFile)  # what the patched __init__ must provide
    assert all(f"self.{name}" in methods for name in ("file", "is_real", "is_closed", "onclose"))


def test_index_side_file_index_reader_and_toc():
    """Item 2: ``FileIndex._reader(storage, schema, segments, generation)`` and the attributes
    ``OpenedIndex`` sets instead of calling ``FileIndex.__init__``."""
    assert list(inspect.signature(FileIndex._reader).parameters) == ["storage", "schema", "segments", "generation",
                                                                     "reuse"]
    init = inspect.getsource(FileIndex.__init__)
    assert all(f"self.{name} = " in init for name in ("storage", "_schema", "indexname"))
    assert "reuse" in inspect.signature(FileIndex.reader).parameters
    assert "segments" in inspect.signature(TOC.__init__).parameters and callable(TOC._filename)


def test_index_side_commit_toc_cleans_by_pattern_and_is_overridden():
    """Item 3: Whoosh's ``_commit_toc`` calls ``clean_files``; ours must not."""
    assert "clean_files" in inspect.getsource(SegmentWriter._commit_toc)
    assert "clean_files" not in inspect.getsource(wi._DurableCommit._commit_toc)
    assert wi.Writer._commit_toc is wi._DurableCommit._commit_toc
    assert wi.ParallelWriter._commit_toc is wi._DurableCommit._commit_toc
    source = inspect.getsource(SegmentWriter.__init__)
    assert all(f"self.{name} = " in source for name in ("segments", "schema", "generation", "storage", "_tempstorage",
                                                         "writelock", "newsegment"))


def test_index_side_segment_ids_are_drawn_by_random_id():
    """Item 5: every new segment's id comes from ``Segment._random_id``."""
    assert isinstance(codec_base.Segment.__dict__["_random_id"], classmethod)
    assert "self._random_id()" in inspect.getsource(codec_base.Segment.__init__)
    from whoosh.codec import whoosh3

    assert "self._random_id()" in inspect.getsource(whoosh3.W3Segment.__init__)
    with wi.drawn_segment_ids(["a" * 16]):
        assert codec_base.Segment._random_id() == "a" * 16
    assert codec_base.Segment._random_id() != "a" * 16
    assert codec_base.Segment.COMPOUND_EXT == ".seg"


def test_index_side_multiprocess_writer_internals():
    """Item 6: the parts of ``MpWriter`` that ``ParallelWriter`` overrides or calls."""
    for name in ("_commit", "_enqueue", "_new_task", "cancel"):
        assert name in MpWriter.__dict__
    for name in ("_merge_segments", "_close_segment", "_finish", "_commit_toc"):
        assert callable(getattr(SegmentWriter, name))
    init = inspect.getsource(MpWriter.__init__)
    assert all(f"self.{name} = " in init for name in ("procs", "tasks", "jobqueue", "resultqueue", "docbuffer",
                                                      "subargs", "_added_sub"))
    assert list(inspect.signature(SubWriterTask.__init__).parameters) == [
        "self", "storage", "indexname", "jobqueue", "resultqueue", "kwargs", "multisegment"]
    assert "_process_file" in SubWriterTask.__dict__


def test_index_side_cancel_fallbacks():
    """Item 7: what ``cancel_writer`` releases when ``cancel()`` fails."""
    source = inspect.getsource(SegmentWriter.__init__)
    assert "self._tempstorage = " in source and "self.writelock = " in source
    assert "WRITELOCK" in source  # item 8: the lock file's name


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


def test_query_side_postings_within_some_records_read_only_their_blocks(tmp_path):
    from whoosh.fields import TEXT, Schema
    from whoosh.index import create_in

    ix = create_in(tmp_path, Schema(body=TEXT(phrase=True)))
    writer = ix.writer()
    for n in range(1000):  # "commun" in every record: 8 blocks of 128 postings
        writer.add_document(body=f"mot commun {'rare' if n % 97 == 0 else ''} fin {n}")
    writer.commit()
    with ix.searcher() as searcher:
        segment = _segment(searcher)
        ids, weights, values = wi.postings(segment, "body", b"commun")
        assert len(ids) == 1000
        everything = dict(zip(ids, zip(weights, values)))
        read = []
        original = W3LeafMatcher._read_data
        W3LeafMatcher._read_data = lambda self: (read.append(self._maxid), original(self))[1]
        try:
            for within in ([5], [130, 131, 900], [0, 999], list(range(0, 1000, 97)), []):
                read.clear()
                got_ids, got_weights, got_values = wi.postings(segment, "body", b"commun", within)
                assert set(within) <= set(got_ids)
                assert all(everything[d] == (w, v) for d, w, v in zip(got_ids, got_weights, got_values))
                assert len(read) == len({d // 128 for d in within})  # the blocks holding them, no other
        finally:
            W3LeafMatcher._read_data = original


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


def test_query_side_numeric_columns_are_whooshs_column_values(tmp_path):
    from whoosh.fields import ID, NUMERIC, Schema
    from whoosh.index import create_in

    schema = Schema(id=ID(stored=True), small=NUMERIC(int, sortable=True, default=0),
                    big=NUMERIC(int, bits=64, sortable=True, default=7))
    ix = create_in(tmp_path, schema)
    for batch in (range(0, 40), range(40, 75)):  # two segments
        writer = ix.writer()
        for n in batch:
            values = {"small": n * 13 % 1001} if n % 3 else {}
            if n % 4:
                values["big"] = n * 10**10
            writer.add_document(id=str(n), **values)
        writer.commit(merge=False)
    with ix.searcher() as searcher:
        leaves = [leaf.reader() for leaf, _ in searcher.leaf_searchers()]
        assert len(leaves) == 2
        for segment in leaves:
            for name in ("small", "big"):
                column = segment.column_reader(name)
                expected = [column[d] for d in range(segment.doc_count_all())]
                assert list(wi.numeric_column(segment, name)) == expected, name
            assert wi.numeric_column(segment, "id") is None


def test_query_side_words_within_are_whooshs_terms_within(tmp_path):
    from whoosh.fields import ID, Schema
    from whoosh.index import create_in

    words = ["accessibilité", "consacré", "consacrés", "électeurs", "electeurs", "utiles", "utilise", "utiliser",
             "données", "donnée", "santé", "sante", "commune", "communes", "budget", "ab", "ba", "abc"]
    ix = create_in(tmp_path, Schema(w=ID))
    for batch in (words[::2], words[1::2]):  # two segments: Whoosh's MultiReader compares every word
        writer = ix.writer()
        for word in batch:
            writer.add_document(w=word)
        writer.commit(merge=False)
    with ix.searcher() as searcher:
        multi = searcher.reader()
        segment = _segment(searcher)
        assert len(list(multi.leaf_readers())) == 2
        for typed in ("ccessibiltié", "cnosacré", "électerus", "utiilse", "donnes", "snaté", "ba", "abcd", "zzzz"):
            for maxdist in (1, 2):
                for reader in (multi, segment):
                    expected = sorted(set(reader.terms_within("w", typed, maxdist)))
                    assert wi.words_within(reader, "w", typed, maxdist) == expected, (typed, maxdist, reader)
