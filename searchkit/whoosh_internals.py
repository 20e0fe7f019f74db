"""Every use of Whoosh's internals, in one place: what each works around and how to see it fail.

Pinned to ``whoosh-reloaded==2.7.5`` (tests/test_whoosh_internals.py checks the version and
every attribute used here).  Nothing is patched at import: ``install_index_side()`` installs
the one global patch, and the index calls it before it opens or writes anything.
Long, and one thing: the one boundary with Whoosh's internals the design asks for, so that
a Whoosh upgrade is checked here and nowhere else.

# ---- index side ----

1. **Opening an index copied it into memory.**  ``structfile.BufferFile.__init__`` wraps a
   mapped segment part in ``BytesIO(memoryview)``, which copies it: opening a 10k-note index
   read 125 MB before the first search.  Patched (``install_index_side``) to a read-only view
   that copies only what is read.  See it fail: ``tracemalloc`` around ``open_dir(...).searcher()``
   on a 5 MB index peaks above the index size.  Upstream reproduction::

       ix = create_in(d, Schema(t=TEXT)); w = ix.writer(); [w.add_document(t="x" * 10**6) for _ in range(20)]
       w.commit(); tracemalloc.start(); ix.searcher(); print(tracemalloc.get_traced_memory()[1])  # ~20 MB

2. **A refreshed searcher counted updated records twice** (a real bug).  ``FileIndex.reader(reuse=r)``
   hands the reused reader to ``FileIndex._reader``, which appends every segment of ``r`` to the
   new list, replaced ones included.  ``OpenedIndex`` bypasses ``FileIndex.__init__`` (the reader
   ``open_index`` checked is the first one served) and never passes ``reuse``.  Upstream::

       s = ix.searcher(); w = ix.writer(); w.update_document(id="1", t="b"); w.commit()
       s = s.refresh(); print(s.doc_count())  # 2, the old and the new document

3. **Committing deleted files by pattern.**  ``SegmentWriter._commit_toc`` calls ``clean_files``,
   which deletes every file of the folder whose name looks like a TOC or a segment of the index
   and is not in the new TOC (``sk3_notes.seg`` written by a user went with it).  ``_DurableCommit``
   writes the TOC only; the index deletes what it proves it wrote (``index.folder.sweep``).

4. **Segments were not on disk when their TOC was.**  Whoosh never fsyncs: after a power cut a TOC
   could name a segment whose data never reached the disk.  ``_DurableCommit._commit_toc`` fsyncs
   the new segment files and the folder, then writes the TOC and fsyncs it and the folder.

5. **A segment's file names are drawn inside the writer.**  ``Segment._random_id`` is replaced
   while a writer is made (``drawn_segment_ids``), and in each worker process, by ids drawn
   first, so that the journal names a segment's files before any of them exists.

6. **A worker that failed lost its records silently** (a real bug).  ``MpWriter._commit`` waits
   one second per worker for a result and commits without the missing ones: a worker killed or
   out of disk space left its share of the records out of a "successful" build.  ``ParallelWriter``
   overrides ``_commit`` (with ``_enqueue``, ``_merge_segments``, ``_close_segment``, ``_finish``)
   to fail the commit instead; ``Worker`` reports its error and dies with its parent.  Upstream:
   ``MpWriter(ix, procs=2)`` with ``SubWriterTask._process_file`` raising in one worker: ``commit()``
   returns and ``doc_count()`` is half.

7. **Cancelling on a full disk raised, keeping the lock.**  ``cancel_writer`` falls back on the
   writer's ``_tempstorage`` and ``writelock`` when ``cancel()`` itself fails.

9. **Writing a segment read a field length from disk for every posting.**
   ``SegmentWriter._flush_segment`` hands ``FieldWriter.add_postings`` the new segment's
   per-document reader, whose ``doc_field_length`` looks each length up in the column file
   (a quarter of a full build's time).  ``install_index_side`` wraps the reader returned by
   ``SegmentWriter.per_document_reader`` so that each length column is read once, into a list.
   See it: ``cProfile`` of a 2,000-note build, ``whoosh3.py:doc_field_length``.

10. **An update opened every segment twice.**  The index is opened (checked) before it is
   written; ``SegmentWriter.searcher()`` (the lookups of an update, ``update_document``'s
   deletions) opens a reader over every segment of the same TOC again.  ``Writer(reader=...)``
   serves them from the checked reader when it is of the generation the writer starts from
   (it is: both are opened under the index lock).  The writer's deletions are recorded on its
   own segment objects, as before; a deletion found twice is the same deletion.  See it:
   count ``SegmentReader.__init__`` calls in a one-note update (12 with 6 segments, now 6).

11. **Each worker copied its parent's memory.**  A worker is forked from the process that
   scanned the sources (100k files: 160 MB); Python's garbage collector, run in the worker,
   visits every inherited object and writes to its header, so the kernel copies each page
   (copy-on-write).  ``Worker.run`` calls ``gc.freeze()`` first: inherited objects are left
   out of every collection.  See it: a worker's Private_Dirty (/proc/PID/smaps_rollup) late in
   a 100k-note build, with and without the freeze.

8. **Whoosh's lock file was created executable** (``0777 & umask``): ``prepare_writelock`` creates
   it first, ``0666``.

# ---- query side ----

The ``Or`` pinned to Whoosh's binary union matchers, ``FuzzyTerm``'s words remembered per
segment (and the automaton walked over a list), the collector unwrapped, posting blocks and
field-length bytes and numeric columns read whole, deleted records, the phrase logic: each class and function of
the query side below says the Whoosh behaviour it relies on or works around and how to see
it fail; ``install_query_patches()`` is called by the engine, never on import.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import queue
import signal
import sys
import weakref
from array import array
from bisect import bisect_left
from contextlib import contextmanager
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from whoosh import query as Q
from whoosh.codec import base as codec_base
from whoosh.codec import whoosh3
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb import structfile
from whoosh.index import TOC, FileIndex
from whoosh.matching import ListMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.query.spans import Span, SpanNear2
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.support.levenshtein import distance as levenshtein_distance
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

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
_WITHIN: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # segment reader -> (field, text, ...) -> words


def _lexicon(reader: SegmentReader, field_name: str) -> list[str]:
    """The words of a field in one segment, in order (read once per segment and field)."""
    lexicons = _LEXICONS.setdefault(reader, {})
    words = lexicons.get(field_name)
    if words is None:
        from_bytes = reader.schema[field_name].from_bytes
        words = lexicons[field_name] = [from_bytes(b) for b in reader.lexicon(field_name)]
    return words


def _terms_within(reader, field_name: str, text: str, maxdist: int, prefix: int) -> list[str]:
    """``SegmentReader.terms_within`` (the same automaton, the same walk) over a list; the
    words found are remembered for the segment (the same typo comes back keystroke after keystroke)."""
    if not isinstance(reader, SegmentReader):
        return list(reader.terms_within(field_name, text, maxdist, prefix=prefix))
    spelling = reader.schema[field_name].spelling_fieldname(field_name)
    found = _WITHIN.setdefault(reader, {})
    key = (spelling, text, maxdist, prefix)
    if key not in found:
        if len(found) > 4096:
            found.clear()
        cursor = _ListCursor(_lexicon(reader, spelling))
        found[key] = list(Automata.find_matches(Automata.levenshtein_dfa(text, maxdist, prefix), cursor))
    return found[key]


def words_within(reader, field_name: str, text: str, maxdist: int) -> list[str]:
    """What ``reader.terms_within(field_name, text, maxdist)`` yields (the candidates of
    Whoosh's spelling corrector), without its cost.

    One segment: Whoosh walks an automaton (Levenshtein distance), done here over a list
    (``_terms_within``).  Several segments (``MultiReader``): Whoosh merges the segments'
    words and computes the Damerau-Levenshtein distance of every one (120 ms on 10,000
    notes); done here over the words of each segment held in lists, skipping the words
    that cannot be close: a length that differs by more than ``maxdist``, or more than
    ``2 * maxdist`` letters that only one of the two words has (an edit changes that set by
    two letters at most)."""
    if isinstance(reader, SegmentReader):
        return _terms_within(reader, field_name, text, maxdist, 0)
    size, letters = len(text), set(text)
    return sorted({w for leaf, _ in reader.leaf_readers() for w in _lexicon(leaf, field_name)
                   if abs(len(w) - size) <= maxdist and len(letters.symmetric_difference(w)) <= 2 * maxdist
                   and levenshtein_distance(w, text, limit=maxdist) <= maxdist})


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


def postings(segment_reader, field_name: str, btext: bytes, within: list[int] | None = None) -> tuple[list[int], list, list]:
    """(ids, weights, values) of one term in one segment, deleted records included,
    read a whole block at a time; a value is the posting's encoded positions (None
    in a field without them).  With ``within`` (record numbers of the segment, in
    order), only the blocks that may hold one of them are read (each block's header
    says its last id, ``_maxid``): a phrase reads the positions of a few candidates.

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
    first = 0  # the smallest id the current block may hold
    while True:
        if within is not None:
            i = bisect_left(within, first)
            if i == len(within):
                return ids, weights, values
            first = matcher._maxid + 1
            if within[i] > matcher._maxid:
                if matcher._lastblock:
                    return ids, weights, values
                matcher._goto(matcher._nextoffset)
                continue
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


def numeric_column(segment_reader, field_name: str) -> list | None:
    """The values of a sortable NUMERIC field, one per record of the segment (None for a
    field without such a column), as ``column_reader(field_name)`` gives them.

    Whoosh reads a column one value at a time (a struct unpack and a translation per
    record: 28 ms for 10,000 records).  The column file holds the sortable form of each
    value, big-endian and fixed-size, and records past the last one written have the
    column's default (``NumericColumn.Reader``: ``_dbfile``, ``_basepos``, ``_count``,
    ``_typecode``, ``_fixedlen``, ``_default``); this reads them as one array and
    translates each distinct value once (``NUMERIC.from_column_value``)."""
    if not segment_reader.has_column(field_name):
        return None
    column = segment_reader.column_reader(field_name, translate=False)
    count = segment_reader.doc_count_all()
    typecode = getattr(column, "_typecode", "")
    if typecode not in ("B", "H", "I", "L", "Q") or array(typecode).itemsize != column._fixedlen:
        return list(segment_reader.column_reader(field_name))
    raw = array(typecode)
    if column._count:
        raw.frombytes(bytes(column._dbfile.get(column._basepos, column._count * column._fixedlen)))
        if sys.byteorder == "little":
            raw.byteswap()
    translate, seen = segment_reader.schema[field_name].from_column_value, {}
    out = [seen[v] if v in seen else seen.setdefault(v, translate(v)) for v in raw]
    out.extend([translate(column._default)] * max(0, count - len(out)))
    return out


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


# ---- index side ----


class _View:
    """A read-only file over a memoryview that copies only what is read.

    whoosh-reloaded 2.7.5 maps each segment file (mmap) and then opens every part of
    it as ``BytesIO(memoryview)``, which copies the part: opening an index read the
    whole of it into memory (125 MB for 10k notes before the first search)."""

    __slots__ = ("_view", "_pos")

    def __init__(self, view):
        self._view = memoryview(view)
        self._pos = 0

    def read(self, n: int | None = -1) -> bytes:
        start, size = self._pos, len(self._view)
        self._pos = size if n is None or n < 0 else min(size, start + n)
        return bytes(self._view[start:self._pos])

    def readline(self, limit: int | None = -1) -> bytes:
        start, size = self._pos, len(self._view)
        stop = size if limit is None or limit < 0 else min(size, start + limit)
        end = start
        while end < stop:
            chunk = bytes(self._view[end:min(stop, end + 256)])
            found = chunk.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(chunk)
        self._pos = end
        return bytes(self._view[start:end])

    def __iter__(self):
        return iter(self.readline, b"")

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = max(0, pos + (self._pos if whence == 1 else len(self._view) if whence == 2 else 0))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._view.release()


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf, self._name, self.onclose = buf, name, onclose
    self.file = _View(buf)
    self.is_real = self.is_closed = False



class _Lengths:
    """Item 9: a segment's per-document reader whose field lengths are read once per field."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths: dict[str, list | None] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._lengths.get(fieldname, self)
        if lengths is self:
            column = self._reader._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            # as W3PerDocReader.doc_field_length: a zero byte gives None
            lengths = None if column is None else [byte_to_length(b) if b else None for b in column]
            self._lengths[fieldname] = lengths
        return default if lengths is None else lengths[docnum]

    def __getattr__(self, name):
        return getattr(self._reader, name)


_per_document_reader = SegmentWriter.per_document_reader


def _fast_lengths_reader(self):
    return _Lengths(_per_document_reader(self))


def install_index_side() -> None:
    """Install the index side's global patches (items 1 and 9); calling it again does nothing."""
    structfile.BufferFile.__init__ = _buffer_file_init
    SegmentWriter.per_document_reader = _fast_lengths_reader


class OpenedIndex(FileIndex):
    """A Whoosh FileIndex whose first reader is the one ``open_index`` opened and checked,
    so that a searcher works on exactly the generation that was verified (item 2)."""

    def __init__(self, storage, indexname: str, reader):  # FileIndex.__init__ would read the TOC again
        self.storage = storage
        self._schema = None
        self.indexname = indexname
        self._ready = reader

    def reader(self, reuse=None):
        """The checked reader first, then fresh readers; ``reuse`` is ignored on purpose (item 2).
        The old reader is left to its searcher (closing it could break a search still running
        in another thread); it is freed with it."""
        ready, self._ready = self._ready, None
        if ready is not None:
            if reuse is None:
                return ready
            ready.close()
        return super().reader()

    def close(self):
        if self._ready is not None:
            self._ready.close()
            self._ready = None


def open_reader(storage, toc):
    """A reader over exactly the segments of ``toc`` (``FileIndex._reader``)."""
    return FileIndex._reader(storage, toc.schema, list(toc.segments), toc.generation)


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _DurableCommit:
    """Items 3 and 4: the TOC is written after the new segments and the folder reached the
    disk, and no file is deleted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the segments of the TOC this writer started from (Whoosh appends the new one to the list)
        self._before = {segment.segment_id() for segment in self.segments}

    def _commit_toc(self, segments):
        folder = Path(self.storage.folder)
        for segment in segments:
            if segment.segment_id() not in self._before:
                fsync_path(folder / segment.make_filename(segment.COMPOUND_EXT))
        fsync_path(folder)
        toc = TOC(self.schema, segments, self.generation)
        toc.write(self.storage, self.indexname)
        fsync_path(folder / TOC._filename(self.indexname, self.generation))
        fsync_path(folder)


class Writer(_DurableCommit, SegmentWriter):
    """Whoosh's one-process writer, committing durably; its searches are served by ``reader``
    when given (item 10)."""

    def __init__(self, ix, *, reader=None, **kwargs):
        super().__init__(ix, **kwargs)
        self._given = reader

    def reader(self, reuse=None):
        given, self._given = self._given, None
        if given is not None and reuse is None and given.generation() == self.generation - 1:
            return given
        if given is not None:
            given.close()
        return super().reader(reuse)

    def _finish(self):
        if self._given is not None:  # never asked for
            self._given.close()
            self._given = None
        super()._finish()


@contextmanager
def drawn_segment_ids(ids: list[str]):
    """Item 5: the writers made inside get these segment ids, in order."""
    drawn = iter(ids)
    original = codec_base.Segment.__dict__["_random_id"]
    codec_base.Segment._random_id = classmethod(lambda cls, size=16: next(drawn))
    try:
        yield
    finally:
        codec_base.Segment._random_id = original


def prepare_writelock(index_dir: Path, indexname: str) -> None:
    """Item 8: Whoosh's lock file, created ``0666`` before Whoosh creates it ``0777``."""
    lockname = Path(index_dir) / f"{indexname}_WRITELOCK"
    if not lockname.exists():
        os.close(os.open(lockname, os.O_WRONLY | os.O_CREAT, 0o666))


class Worker(SubWriterTask):
    """One of Whoosh's writing processes: it dies with the process that started it
    (Linux), and reports a failure to it instead of printing a traceback."""

    segid: str | None = None  # drawn by the parent and journaled before this process starts

    parent: int | None = None  # the pid of the process that started this one

    def run(self):
        gc.freeze()  # item 11: what this process inherited is never visited, so never copied
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphan holds the lock
        except Exception:
            pass
        if self.parent is not None and os.getppid() != self.parent:
            os._exit(1)  # the parent died before the line above: nothing would kill this process
        if self.segid is not None:  # this process makes one segment: its id is the drawn one
            codec_base.Segment._random_id = classmethod(lambda cls, size=16, segid=self.segid: segid)
        try:
            super().run()
        except BaseException as exc:  # the parent turns this into the error it raises
            code = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO
            self.resultqueue.put(("failed", code, str(exc)), timeout=5)


class ParallelWriter(_DurableCommit, MpWriter):
    """Whoosh's multi-process writer (one segment per process), for full rebuilds.

    Unlike ``MpWriter`` as it stands, a worker that fails or disappears fails the
    commit (the previous index stays) instead of leaving its records out, and
    cancelling stops the workers."""

    batch = 100  # records sent to a worker at a time

    def __init__(self, ix, segids: list[str], **kwargs):
        self._segids = list(segids)  # one per worker, journaled
        super().__init__(ix, batchsize=self.batch, **kwargs)
        for _ in range(self.procs):
            self._new_task()
        self._added_sub = True  # commit through the workers, even with nothing to write

    def _new_task(self):
        task = Worker(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        task.segid = self._segids.pop() if self._segids else None
        task.parent = os.getpid()
        task.daemon = True
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        for task in self.tasks:
            task.kill()
            task.join()
        self.tasks = []
        super().cancel()

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        segments = self._merge_segments(mergetype, optimize, merge)
        results = []
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=1))
            except queue.Empty:
                if not any(task.is_alive() for task in self.tasks):
                    try:  # what a worker put just before it ended
                        results.append(self.resultqueue.get(timeout=1))
                    except queue.Empty:
                        break
        for task in self.tasks:
            task.join()
        failed = [r for r in results if r[0] == "failed"]
        if failed or len(results) != len(self.tasks) or any(task.exitcode for task in self.tasks):
            code, reason = (failed[0][1], failed[0][2]) if failed else (errno.EIO, "")
            raise OSError(code, reason or os.strerror(code))
        segments += [segment for _, _, segment in results if segment.doc_count_all()]  # the next run removes empty ones
        self._close_segment()
        self._commit_toc(segments)
        self._finish()


def cancel_writer(writer) -> None:
    """Cancel a Whoosh writer, releasing its lock and temporary files even when
    the disk that makes cancelling necessary also makes it fail."""
    try:
        writer.cancel()
        return
    except Exception:
        pass
    for release in (lambda: writer._tempstorage.destroy(), lambda: writer.writelock.release()):
        try:
            release()
        except Exception:
            pass
    writer.is_closed = True


