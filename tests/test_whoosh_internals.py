"""The Whoosh internals searchkit relies on still exist, in the version they were written for.

When one of these fails after an upgrade, read the numbered item of
``searchkit/whoosh_internals.py``'s docstring before changing anything.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from whoosh.codec import base as codec_base
from whoosh.filedb import structfile
from whoosh.index import TOC, FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from searchkit import whoosh_internals


def test_index_side_whoosh_is_the_pinned_release():
    assert version("whoosh-reloaded") == "2.7.5"


def test_index_side_buffer_file_is_patched_only_when_installed():
    """Item 1: the patch is installed by the index, not by importing the module."""
    assert list(inspect.signature(structfile.BufferFile.__init__).parameters) == ["self", "buf", "name", "onclose"]
    whoosh_internals.install_index_side()
    assert structfile.BufferFile.__init__ is whoosh_internals._buffer_file_init
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
    assert "clean_files" not in inspect.getsource(whoosh_internals._DurableCommit._commit_toc)
    assert whoosh_internals.Writer._commit_toc is whoosh_internals._DurableCommit._commit_toc
    assert whoosh_internals.ParallelWriter._commit_toc is whoosh_internals._DurableCommit._commit_toc
    source = inspect.getsource(SegmentWriter.__init__)
    assert all(f"self.{name} = " in source for name in ("segments", "schema", "generation", "storage", "_tempstorage",
                                                         "writelock", "newsegment"))


def test_index_side_segment_ids_are_drawn_by_random_id():
    """Item 5: every new segment's id comes from ``Segment._random_id``."""
    assert isinstance(codec_base.Segment.__dict__["_random_id"], classmethod)
    assert "self._random_id()" in inspect.getsource(codec_base.Segment.__init__)
    from whoosh.codec import whoosh3

    assert "self._random_id()" in inspect.getsource(whoosh3.W3Segment.__init__)
    with whoosh_internals.drawn_segment_ids(["a" * 16]):
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
