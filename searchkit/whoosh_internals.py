"""Every use of Whoosh's internals, in one place: what each works around and how to see it fail.

Pinned to ``whoosh-reloaded==2.7.5`` (tests/test_whoosh_internals.py checks the version and
every attribute used here).  Nothing is patched at import: ``install_index_side()`` installs
the one global patch, and the index calls it before it opens or writes anything.

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

8. **Whoosh's lock file was created executable** (``0777 & umask``): ``prepare_writelock`` creates
   it first, ``0666``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import queue
import signal
from contextlib import contextmanager
from pathlib import Path

from whoosh.codec import base as codec_base
from whoosh.codec import whoosh3
from whoosh.filedb import structfile
from whoosh.index import TOC, FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

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
    """Whoosh's one-process writer, committing durably."""


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


