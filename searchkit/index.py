"""The index: schema, the only writer, incremental updates, lock, atomic commits.

Layout of the index folder::

    index/
      _sk<version>_<gen>.toc, sk<version>_*.seg   Whoosh's files
      manifest.json     what each indexed file was (size, mtime, hash, ids)
      .lock             held (flock) by the process writing, with its pid

``update_index`` re-reads only files whose size, mtime and content hash
changed, removes the records of deleted files and moves renamed ones.  Whoosh
commits atomically (segments first, then a renamed TOC), the manifest is
written after the commit, so an interrupted run leaves the previous index
readable and the next run finishes the job.  ``--rebuild`` writes the new
segments and drops the old ones in the same commit (``mergetype=CLEAR``).

Crash safety, step by step (a SIGKILL can land anywhere):

1. the lock: ``flock`` on ``.lock``, released by the kernel if the holder dies;
2. leftovers of a killed run are removed (temporary files, unreferenced segments);
3. new segments are written next to the current ones: readers do not see them;
4. the manifest is saved with a *journal* (``pending``: the paths this commit
   changes), atomically (temporary file, fsync, rename);
5. Whoosh renames the new TOC into place: readers now see the new records;
6. the manifest is saved again with the new generation and record count.

Killed before 5, the previous index answers and the journal makes the next run
read those paths again; killed between 5 and 6, the new index answers and the
journal again says which entries of the (older) manifest not to trust.
``open_index`` compares the manifest with the index it opens (generation,
record count, indexed paths) and reports a mismatch as IndexDamaged; the next
``update_index`` rebuilds a damaged index and says so.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask

from searchkit import config
from searchkit.analysis import ANALYSIS_VERSION, EXACT, FRENCH
from searchkit.errors import (
    IndexDamaged, IndexLocked, IndexMissing, IndexOutdated, IndexUnreadable, IndexWriteError, SearchkitError,
)
from searchkit.messages import t
from searchkit.model import FACETS, IndexReport, Problem, Record
from searchkit.sources.notes import read_note
from searchkit.sources.scan import SourceFile, open_regular, scan, shown
from searchkit.textnorm import facet_key, fold

INDEX_NAME = f"sk{ANALYSIS_VERSION}"


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


structfile.BufferFile.__init__ = _buffer_file_init
# a note's meta (file name, types, titles of its [[id]] targets) says less about it than a
# dataset's (publisher, place): measured with evaluation/run.py (issue 5)
NOTE_META_BOOST = 0.45
# a full rebuild of this many bytes of sources or more is written by several processes
# (when the caller allows it: the command line does, the app does not)
PARALLEL_BYTES = 4_000_000  # about 2,000 notes
WORKER_MB = 128  # the posting pool of each (Whoosh's estimate; 256 is 25 % faster at 10k notes, +140 MB)
MANIFEST = "manifest.json"
LOCKFILE = ".lock"
SEP = "\x1f"  # between values inside one stored facet string


def build_schema() -> Schema:
    """Text fields are searched with per-field boosts set by the query layer
    (title and tags first, then summary, then body); ``*_exact`` fields hold
    unstemmed, unfolded copies so that exact forms rank first.  Facet fields
    hold normalised keys (``facet_key``)."""
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        path=ID(stored=True),
        title=TEXT(analyzer=FRENCH, stored=True),
        title_exact=TEXT(analyzer=EXACT, phrase=False),
        tags=TEXT(analyzer=FRENCH),
        tags_exact=TEXT(analyzer=EXACT, phrase=False),
        summary=TEXT(analyzer=FRENCH),
        body=TEXT(analyzer=FRENCH),
        # publisher, spatial, other front-matter values, the file name, and the
        # titles of the notes this one links to with [[id]]
        meta=TEXT(analyzer=FRENCH),
        type=KEYWORD(commas=True),
        tag=KEYWORD(commas=True),
        publisher=KEYWORD(commas=True),
        licence=KEYWORD(commas=True),
        format=KEYWORD(commas=True),
        links=KEYWORD(commas=True),
        title_sort=ID(sortable=True),
        # whoosh-reloaded 2.7.5 cannot write float columns: integers instead
        mtime=NUMERIC(int, bits=64, sortable=True, default=0),  # seconds
        richness=NUMERIC(int, sortable=True, default=0),  # per mille
        # "field<SEP>key<SEP>label<SEP>..." per record, as a column: counting the
        # facets of a few hundred hits reads this, not the stored documents
        facets=COLUMN(columns.VarBytesColumn()),
        data=STORED(),  # the rest of the Record, for display
    )


def facet_values(record: Record) -> dict[str, list[tuple[str, str]]]:
    """Facet name -> [(key, label)] for one record, keys de-duplicated."""
    raw = {
        "type": record.types,
        "tag": record.tags,
        "publisher": (record.publisher,) if record.publisher else (),
        "licence": (record.licence,) if record.licence else (),
        "format": record.formats,
    }
    out: dict[str, list[tuple[str, str]]] = {}
    for name, values in raw.items():
        seen: dict[str, str] = {}
        for value in values:
            key = facet_key(value).replace(",", " ")
            if key and key not in seen:
                seen[key] = value.strip()
        out[name] = list(seen.items())
    return out


def to_document(record: Record, linked: str = "") -> dict:
    """The Whoosh document of ``record``; ``linked`` is the titles of its [[id]] targets."""
    facets = facet_values(record)
    extra_text = " ".join(v for _, v in record.extra)
    data = {
        "types": list(record.types), "tags": list(record.tags), "summary": record.summary,
        "body": record.body, "links": list(record.links), "url": record.url, "title": record.title,
        "created": record.created, "modified": record.modified, "publisher": record.publisher,
        "licence": record.licence, "licence_original": record.licence_original,
        "formats": list(record.formats), "spatial": record.spatial, "temporal": record.temporal,
        "extra": [list(p) for p in record.extra], "position": record.position, "mtime": record.mtime,
    }
    return {
        "id": record.id,
        "kind": record.kind,
        "path": record.path,
        "title": record.title,
        "title_exact": record.title,
        "tags": " ; ".join(record.tags),
        "tags_exact": " ; ".join(record.tags),
        "summary": record.summary,
        "body": record.body,
        "meta": " ; ".join(filter(None, (record.publisher, record.spatial, " ".join(record.types), extra_text, record.url,
                                         Path(record.path).stem if record.kind == "note" else "", linked))),
        "type": ",".join(k for k, _ in facets["type"]),
        "tag": ",".join(k for k, _ in facets["tag"]),
        "publisher": ",".join(k for k, _ in facets["publisher"]),
        "licence": ",".join(k for k, _ in facets["licence"]),
        "format": ",".join(k for k, _ in facets["format"]),
        "links": ",".join(record.links),
        "title_sort": fold(record.title).casefold()[:200],
        "mtime": int(record.mtime),
        "richness": int(round(max(0.0, min(1.0, record.richness)) * 1000)),
        "facets": SEP.join(f"{name}{SEP}{key}{SEP}{label}" for name, pairs in facets.items() for key, label in pairs).encode("utf-8"),
        "data": data,
        "_meta_boost": NOTE_META_BOOST if record.kind == "note" else 1.0,
    }


def record_from_stored(fields: dict) -> Record:
    """Rebuild the Record from what the index stored."""
    d = fields.get("data") or {}
    return Record(
        id=fields["id"], kind=fields.get("kind", "note"), title=fields.get("title", ""), path=fields.get("path", ""),
        types=tuple(d.get("types", ())), summary=d.get("summary", ""), body=d.get("body", ""),
        tags=tuple(d.get("tags", ())), links=tuple(d.get("links", ())), url=d.get("url", ""),
        mtime=d.get("mtime", 0.0), created=d.get("created", ""), modified=d.get("modified", ""),
        publisher=d.get("publisher", ""), licence=d.get("licence", ""), licence_original=d.get("licence_original", ""),
        formats=tuple(d.get("formats", ())), spatial=d.get("spatial", ""), temporal=d.get("temporal", ""),
        extra=tuple(tuple(p) for p in d.get("extra", ())), position=d.get("position", ""),
    )


# ---------------------------------------------------------------- reading side

_OPEN_ATTEMPTS = 50  # a writer committing replaces the files a reader was about to open: try again


def _toc_pattern() -> re.Pattern:
    return re.compile(rf"^_{re.escape(INDEX_NAME)}_([0-9]+)\.toc$")


def _latest_generation(index_dir: Path) -> tuple[int, bool]:
    """(latest TOC generation of this index version or -1, whether TOCs of another version exist)."""
    try:
        names = os.listdir(index_dir)
    except OSError as exc:
        raise IndexUnreadable(t("index.unreadable", path=index_dir, reason=_os_reason(exc))) from exc
    pattern = _toc_pattern()
    latest, other = -1, False
    for name in names:
        m = pattern.match(name)
        if m:
            latest = max(latest, int(m.group(1)))
        elif name.endswith(".toc"):
            other = True
    return latest, other


class _OpenedIndex(FileIndex):
    """A Whoosh FileIndex whose first reader is the one ``open_index`` opened and checked,
    so that a searcher works on exactly the generation that was verified."""

    def __init__(self, storage, indexname: str, reader):
        self.storage = storage
        self._schema = None
        self.indexname = indexname
        self._ready = reader

    def reader(self, reuse=None):
        """The checked reader first, then fresh readers.

        ``reuse`` (passed by ``Searcher.refresh``) is ignored on purpose:
        whoosh-reloaded 2.7.5's ``FileIndex._reader`` appends every segment of
        the reused reader to the new segment list, so a refreshed searcher kept
        the replaced segments and counted updated records twice.  The old
        reader is left to its searcher (closing it could break a search still
        running in another thread); it is freed with it."""
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


_READ = object()


def open_index(index_dir: Path, *, check_manifest: bool = True, manifest=_READ):
    """The Whoosh index in ``index_dir``, opened and checked, or a domain error saying what to do.

    Every segment file is opened (a truncated or missing one raises IndexDamaged
    here, not in the middle of a search) and the manifest is compared with the
    index it describes: garbage JSON, a record count or indexed files that do not
    match raise IndexDamaged.  A manifest one commit behind is normal (a run was
    interrupted between the commit and the manifest, or is committing now).  A
    writer committing while this opens is not an error: the newer generation is
    opened instead.  ``manifest``: the one the caller read, holding the write lock
    (the manifest cannot change under it).
    """
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise IndexMissing(t("index.missing", path=index_dir))
    last: BaseException | None = None
    for _ in range(_OPEN_ATTEMPTS):
        known, manifest_error = (None if manifest is _READ else manifest), None
        if check_manifest and manifest is _READ:  # read before the TOC: then it is never newer than the index
            try:
                known = Manifest.read(index_dir)
            except ManifestError as exc:
                manifest_error = str(exc)
        gen, other = _latest_generation(index_dir)
        if gen < 0:
            if other:
                raise IndexOutdated(t("index.outdated", path=index_dir))
            raise IndexMissing(t("index.missing", path=index_dir))
        storage = FileStorage(str(index_dir))
        try:
            toc = TOC.read(storage, INDEX_NAME, gen)
            reader = FileIndex._reader(storage, toc.schema, list(toc.segments), toc.generation)
        except Exception as exc:  # Whoosh raises many kinds on damaged files
            last = exc
            if _latest_generation(index_dir)[0] != gen:
                time.sleep(0.005)
                continue
            raise _damaged(index_dir, _reason(exc)) from exc
        try:
            if gen == 0 and not toc.segments:
                raise IndexMissing(t("index.incomplete", path=index_dir))
            if check_manifest:
                _check_manifest(index_dir, known, manifest_error, reader, gen)
        except SearchkitError:
            reader.close()
            raise
        except Exception as exc:  # the lexicon read for the check met damaged data
            reader.close()
            raise _damaged(index_dir, _reason(exc)) from exc
        except BaseException:
            reader.close()
            raise
        return _OpenedIndex(storage, INDEX_NAME, reader)
    raise _damaged(index_dir, _reason(last) if last else "?")


def _damaged(index_dir: Path, reason: str) -> IndexDamaged:
    err = IndexDamaged(t("index.damaged", path=index_dir, reason=reason))
    err.reason = reason  # what ``searchkit index`` repeats when it rebuilds
    return err


def as_damaged(index_dir: Path, exc: BaseException) -> IndexDamaged:
    """IndexDamaged for an exception Whoosh raised while reading ``index_dir``
    (zlib.error, struct.error, EOFError, UnpicklingError, OSError...): what a
    search that meets damaged data should raise instead, ``from exc``."""
    return _damaged(Path(index_dir), _reason(exc))


def _damage_reason(exc: IndexDamaged) -> str:
    return getattr(exc, "reason", None) or _reason(exc.__cause__ or exc)


def _check_manifest(index_dir: Path, manifest: "Manifest | None", error: str | None, reader, gen: int) -> None:
    def damaged(reason: str) -> IndexDamaged:
        return _damaged(index_dir, reason)

    if error is not None:
        raise damaged(t("index.reason.manifest_garbage", detail=error))
    if manifest is None or manifest.version != ANALYSIS_VERSION or manifest.generation < 0:
        return  # first build interrupted, or a manifest from before generations were recorded
    if manifest.generation > gen:
        raise damaged(t("index.reason.manifest_ahead", manifest=manifest.generation, index=gen))
    if manifest.generation < gen:
        return  # interrupted between commit and manifest, or committing right now
    count = reader.doc_count()
    if manifest.documents >= 0 and manifest.documents != count:
        raise damaged(t("index.reason.count", manifest=manifest.documents, index=count))
    indexed = set(reader.lexicon("path"))
    missing = [p for p, e in manifest.files.items()
               if e.get("records", 0) > 0 and p.encode("utf-8", "surrogateescape") not in indexed]
    if missing:
        raise damaged(t("index.reason.files_missing", n=len(missing), first=shown(missing[0])))


def _reason(exc: BaseException) -> str:
    """One short line saying what went wrong, for a message."""
    first = (str(exc).splitlines() or [""])[0].strip()
    if isinstance(exc, OSError):
        text = f"{_os_reason(exc)}: {Path(exc.filename).name}" if exc.filename else _os_reason(exc)
    else:
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return shown(text)[:200]


_ERRNO_REASONS = {
    errno.ENOSPC: "reason.no_space", errno.EDQUOT: "reason.quota", errno.EROFS: "reason.read_only",
    errno.EACCES: "reason.denied", errno.EPERM: "reason.denied", errno.EFBIG: "reason.too_big",
    errno.ENOENT: "reason.not_found",
}


def _os_reason(exc: BaseException) -> str:
    """A short reason for an OSError, in the user's language when it is a common one."""
    key = _ERRNO_REASONS.get(getattr(exc, "errno", None))
    if key:
        return t(key)
    return shown(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


@dataclass(frozen=True)
class IndexedRecord:
    """What ``searchkit check`` needs of one stored record."""

    id: str
    kind: str
    path: str
    title: str
    links: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexContents:
    generation: int
    records: tuple[IndexedRecord, ...]
    manifest: "Manifest | None"
    manifest_state: str  # "ok", "missing" (none), "behind" (an interrupted run: run searchkit index)


def inspect_index(index_dir: Path) -> IndexContents:
    """Read the whole index: every stored record, term, posting list and column.

    Slower than ``open_index`` (which only opens the files), so that damage
    anywhere in a segment is found here, as IndexDamaged, and not by a search.
    """
    index_dir = Path(index_dir)
    ix = open_index(index_dir)
    reader = ix.reader()
    records: list[IndexedRecord] = []
    try:
        gen = reader.generation()
        for _, stored in reader.iter_docs():
            d = stored.get("data") or {}
            records.append(IndexedRecord(
                id=stored["id"], kind=stored.get("kind", "note"), path=stored.get("path", ""),
                title=stored.get("title", ""), links=tuple(d.get("links", ())), tags=tuple(d.get("tags", ())),
                types=tuple(d.get("types", ())),
            ))
        for fieldname in reader.indexed_field_names():
            for term in reader.lexicon(fieldname):
                for _ in reader.postings(fieldname, term).all_ids():
                    pass
        for name in ("title_sort", "mtime", "richness"):
            if reader.has_column(name):
                for _ in reader.column_reader(name):
                    pass
    except SearchkitError:
        raise
    except Exception as exc:  # Whoosh raises many kinds on damaged files
        raise _damaged(index_dir, _reason(exc)) from exc
    finally:
        reader.close()
    if gen is None:
        gen = _latest_generation(index_dir)[0]
    manifest = Manifest.load(index_dir)
    if manifest is None:
        state = "missing"
    elif manifest.pending or manifest.generation < gen:
        state = "behind"
    else:
        state = "ok"
    return IndexContents(gen, tuple(records), manifest, state)


# ---------------------------------------------------------------- manifest


class ManifestError(ValueError):
    """The manifest exists but cannot be used (not JSON, wrong shape)."""


def _entry_ok(entry) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("size"), int) and isinstance(entry.get("mtime_ns"), int)
            and isinstance(entry.get("hash"), str) and isinstance(entry.get("records", 0), int)
            and isinstance(entry.get("shadowed", {}), dict) and isinstance(entry.get("duplicates", {}), dict)
            and isinstance(entry.get("problems", []), list))


@dataclass
class Manifest:
    """What each indexed file was, and which commit of the index it describes.

    ``generation`` and ``documents`` are the Whoosh TOC generation and the number
    of records right after the commit this manifest was written for (-1: unknown).
    ``pending`` is a journal written just before a commit: the paths that commit
    changes; if a run dies between its commit and the final manifest, the next
    run reads those files again instead of trusting their old entries.
    """

    version: int = ANALYSIS_VERSION
    files: dict[str, dict] = field(default_factory=dict)
    generation: int = -1
    documents: int = -1
    pending: dict | None = None

    @classmethod
    def read(cls, index_dir: Path) -> "Manifest | None":
        """The manifest, None when there is none; raises ManifestError when it is unusable."""
        try:
            data = (Path(index_dir) / MANIFEST).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ManifestError(_os_reason(exc)) from exc
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise ManifestError(t("index.reason.not_json")) from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("version"), int) or not isinstance(raw.get("files"), dict):
            raise ManifestError(t("index.reason.bad_shape"))
        files = raw["files"]
        bad = next((p for p, e in files.items() if not _entry_ok(e)), None)
        if bad is not None:
            raise ManifestError(t("index.reason.bad_entry", path=shown(bad)))
        pending = raw.get("pending")
        generation, documents = raw.get("generation", -1), raw.get("documents", -1)
        if not isinstance(generation, int) or not isinstance(documents, int) or not isinstance(pending, (dict, type(None))):
            raise ManifestError(t("index.reason.bad_shape"))
        if pending is not None and not isinstance(pending.get("paths", []), list):
            raise ManifestError(t("index.reason.bad_shape"))
        return cls(version=raw["version"], files=dict(files), generation=generation, documents=documents, pending=pending)

    @classmethod
    def load(cls, index_dir: Path) -> "Manifest | None":
        """The manifest, or None when it is missing or unusable."""
        try:
            return cls.read(index_dir)
        except ManifestError:
            return None

    def save(self, index_dir: Path) -> None:
        """Atomically: a temporary file in the index folder, flushed, then renamed."""
        tmp = Path(index_dir) / f".{MANIFEST}.{os.getpid()}.tmp"
        payload = {"version": self.version, "generation": self.generation, "documents": self.documents,
                   "pending": self.pending, "files": self.files}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, Path(index_dir) / MANIFEST)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(open_regular(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def index_lock(index_dir: Path, timeout: float = config.LOCK_TIMEOUT) -> Iterator[None]:
    """Exclusive writer lock on ``index_dir/.lock``, waiting at most ``timeout`` seconds.

    ``flock`` is released by the kernel when its holder dies, even by SIGKILL:
    a lock left by a killed run never blocks the next one (the dead pid still
    written in the file is simply overwritten).  The holder's pid is written in
    the file so that a second writer can name it.
    """
    path = Path(index_dir) / LOCKFILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
    locked = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    except OSError:
                        pid = ""
                    if not pid.isdigit() or not _pid_alive(int(pid)):
                        pid = ""
                    raise IndexLocked(
                        t("index.locked", path=index_dir, pid=t("index.locked_pid", pid=pid) if pid else "")
                    ) from None
                time.sleep(0.05)
        locked = True
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # a full disk: the pid is only informative
        yield
    finally:
        if locked:  # never erase the pid of the process that holds the lock
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
        os.close(fd)


# ---------------------------------------------------------------- writing side

Progress = Callable[[int, int, str], None]


def read_source(source: SourceFile) -> tuple[list[Record], list[Problem]]:
    """Records and problems of one file (notes here, catalogues in sources.catalogs).

    Never raises for a bad file: whatever goes wrong becomes a Problem naming
    it, and the run goes on with the other files."""
    if source.kind == "note":
        try:
            record, problems = read_note(source.path, source.root, source.rel or None)
        except Exception as exc:  # a bug in the reader must not stop the run
            return [], [Problem(shown(source.path), t("file.unexpected", error=_reason(exc)))]
        return ([record] if record else []), problems

    records: list[Record] = []
    problems: list[Problem] = []
    try:
        from searchkit.sources.catalogs import iter_catalog  # heavy: only when indexing catalogues

        for item in iter_catalog(source.path):
            (records if isinstance(item, Record) else problems).append(item)
    except OSError as exc:
        problems.append(Problem(shown(source.path), t("file.unreadable", reason=_os_reason(exc))))
    except SearchkitError as exc:
        problems.append(Problem(shown(source.path), exc.message))
    except Exception as exc:  # a bug in a reader must not stop the run
        problems.append(Problem(shown(source.path), t("file.unexpected", error=_reason(exc))))
    return records, problems


def _relative_id(record: Record, source: SourceFile) -> str:
    if source.rel:
        return source.rel
    try:
        return Path(record.path).relative_to(source.root).as_posix()
    except ValueError:
        return Path(record.path).name


def _clean_leftovers(index_dir: Path) -> None:
    """Remove what a killed or failed run left behind: temporary manifest and TOC
    files, segment files no TOC refers to, Whoosh's temporary folder.

    Called only by the lock holder, so no other writer can be using them; readers
    only open the segments of the latest TOC, which are kept."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    toc_temp = re.compile(rf"^_{re.escape(INDEX_NAME)}_[0-9]+\.toc\.")
    for name in names:
        if (name.startswith(f".{MANIFEST}.") and name.endswith(".tmp")) or toc_temp.match(name):
            try:
                os.unlink(index_dir / name)
            except OSError:
                pass
    shutil.rmtree(index_dir / f"{INDEX_NAME}.tmp", ignore_errors=True)
    gen, _ = _latest_generation(index_dir)
    if gen >= 0:
        _remove_other_versions(index_dir)
        storage = FileStorage(str(index_dir))
        try:
            toc = TOC.read(storage, INDEX_NAME, gen)
            clean_files(storage, INDEX_NAME, gen, toc.segments)
        except Exception:
            pass  # a damaged TOC: the rebuild that follows cleans up


def _remove_other_versions(index_dir: Path) -> None:
    """Remove the files of an index built by another version of the analysis,
    once an index of this version exists to replace it."""
    other_version = re.compile(r"^_?(sk[0-9]+)[_.]")
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    for name in names:
        m = other_version.match(name)
        if m and m.group(1) != INDEX_NAME:
            path = index_dir / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    path.unlink()
                except OSError:
                    pass


def _writable_index(index_dir: Path):
    """The index to rebuild into: the current one when its TOC can be read (the
    rebuild replaces its segments in one commit), else a new empty one."""
    try:
        return FileIndex(FileStorage(str(index_dir)), indexname=INDEX_NAME)
    except Exception:
        # the old TOC is unusable: say so in the manifest before replacing it, so
        # that readers see an index being rebuilt rather than a damaged one
        Manifest(pending={"rebuild": True, "paths": []}).save(index_dir)
        return whoosh_index.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME)


def _committed_state(index_dir: Path) -> tuple[int, int]:
    """(generation, number of records) of the latest commit, from its TOC alone."""
    gen, _ = _latest_generation(index_dir)
    toc = TOC.read(FileStorage(str(index_dir)), INDEX_NAME, gen)
    return gen, sum(seg.doc_count() for seg in toc.segments)


class _Worker(SubWriterTask):
    """One of Whoosh's writing processes: it dies with the process that started it
    (Linux), and reports a failure to it instead of printing a traceback."""

    def run(self):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphan holds the lock
        except Exception:
            pass
        try:
            super().run()
        except BaseException as exc:  # the parent turns this into the error it raises
            code = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO
            self.resultqueue.put(("failed", code, str(exc)), timeout=5)


class _ParallelWriter(MpWriter):
    """Whoosh's multi-process writer (one segment per process), for full rebuilds.

    Unlike ``MpWriter`` as it stands, a worker that fails or disappears fails the
    commit (the previous index stays) instead of leaving its records out, and
    cancelling stops the workers."""

    batch = 100  # records sent to a worker at a time

    def __init__(self, ix, **kwargs):
        super().__init__(ix, batchsize=self.batch, **kwargs)
        for _ in range(self.procs):
            self._new_task()
        self._added_sub = True  # commit through the workers, even with nothing to write

    def _new_task(self):
        task = _Worker(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
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


def _cancel(writer) -> None:
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


def _newer(a: Record, b_modified: str, b_mtime: float) -> bool:
    """Is record ``a`` more recent than (b_modified, b_mtime)?"""
    return (a.modified or "", a.mtime) >= (b_modified or "", b_mtime)


def update_index(
    index_dir: Path,
    sources,
    *,
    rebuild: bool = False,
    follow_links: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = config.LOCK_TIMEOUT,
    workers: int = 1,
) -> IndexReport:
    """Bring the index in ``index_dir`` up to date with ``sources``.

    ``progress(done, total, path)`` is called for each record written. A full rebuild
    of ``PARALLEL_BYTES`` of sources or more is written by ``workers`` processes: the
    command line gives one per core, the app none (its process must stay responsive).

    Returns what was done; every unreadable input is a Problem in the report.
    Raises IndexLocked, IndexWriteError (nothing is lost: the previous index stays).
    A damaged index (or manifest) is rebuilt, and a Problem says so.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
    with index_lock(index_dir, lock_timeout):
        try:
            return _update_locked(index_dir, sources, rebuild, follow_links, progress, started, workers)
        except OSError as exc:
            try:
                _clean_leftovers(index_dir)  # give back the space a failed run took
            except Exception:
                pass
            raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
        except LockError as exc:  # Whoosh's own lock, held by a process not using ours
            raise IndexLocked(t("index.locked", path=index_dir, pid="")) from exc


def _update_locked(index_dir, sources, rebuild, follow_links, progress, started, workers) -> IndexReport:
    problems: list[Problem] = []
    notes: list[Problem] = []  # messages about the index itself, shown as warnings
    where = shown(index_dir)
    _clean_leftovers(index_dir)
    lockname = index_dir / f"{INDEX_NAME}_WRITELOCK"
    if not lockname.exists():  # Whoosh would create it executable (0777 & umask)
        os.close(os.open(lockname, os.O_WRONLY | os.O_CREAT, 0o666))
    try:
        manifest = Manifest.read(index_dir)
    except ManifestError as exc:
        manifest = None
        if not rebuild:
            notes.append(Problem(where, t("index.damaged_rebuild", reason=t("index.reason.manifest_garbage", detail=exc))))
            rebuild = True
    ix = None
    if not rebuild:
        try:
            ix = open_index(index_dir, manifest=manifest)
            ix.close()  # only its reader: the writer opens what it needs
        except IndexMissing:
            rebuild = True
        except IndexOutdated:
            rebuild = True
            notes.append(Problem(where, t("index.auto_rebuild")))
        except IndexDamaged as exc:
            rebuild = True
            notes.append(Problem(where, t("index.damaged_rebuild", reason=_damage_reason(exc))))
    if not rebuild and (manifest is None or manifest.version != ANALYSIS_VERSION):
        rebuild = True
        if manifest is None:
            notes.append(Problem(where, t("index.no_manifest")))
    pending = manifest.pending if manifest is not None and not rebuild else None
    if pending and pending.get("rebuild"):
        rebuild = True
        notes.append(Problem(where, t("index.resume_rebuild")))
        pending = None
    if rebuild:
        if ix is not None:
            ix.close()
        manifest = Manifest()
        ix = _writable_index(index_dir)
    assert manifest is not None and ix is not None

    files, scan_problems = scan(sources, follow_links=follow_links)
    problems.extend(scan_problems)
    present = {f.real: f for f in files}
    old = manifest.files
    # paths a run killed between its commit and its manifest was changing: read them again
    forced = {p for p in (pending or {}).get("paths", ()) if isinstance(p, str)}
    if forced:
        notes.append(Problem(where, t("index.resumed", n=len(forced))))

    # what changed
    changed: list[tuple[SourceFile, str, os.stat_result]] = []
    unchanged = 0
    new_files: dict[str, dict] = {}
    removed_paths = [p for p in old if p not in present]
    purge = [p for p in forced if p not in old and p not in present]  # may be in the index, nowhere else
    for path, source in present.items():
        entry = old.get(path)
        try:
            st = source.stat or source.path.stat()
            if entry and path not in forced and entry["size"] == st.st_size and entry["mtime_ns"] == st.st_mtime_ns:
                unchanged += 1
                new_files[path] = dict(entry)
                continue
            digest = file_hash(source.path)
        except FileNotFoundError:
            problems.append(Problem(shown(path), t("scan.vanished")))
            if entry:
                removed_paths.append(path)
            continue
        except OSError as exc:
            problems.append(Problem(shown(path), t("file.unreadable", reason=_os_reason(exc))))
            if entry:  # keep what the index has of it until it can be read again
                new_files[path] = dict(entry)
            continue
        if entry and path not in forced and entry["hash"] == digest:
            unchanged += 1
            new_files[path] = dict(entry, size=st.st_size, mtime_ns=st.st_mtime_ns)
            continue
        changed.append((source, digest, st))
    # files whose shadowed duplicates belonged to a file that changes or goes
    touched = set(removed_paths) | {s.real for s, _, _ in changed} | forced
    for path, entry in list(new_files.items()):
        owners = list(entry.get("shadowed", {}).values()) + list(entry.get("duplicates", {}).values())
        if any(owner in touched for owner in owners):
            source = present[path]
            try:
                st = source.path.stat()
            except OSError:
                continue
            changed.append((source, entry["hash"], st))
            del new_files[path]
            unchanged -= 1

    old_hashes = {entry["hash"]: p for p, entry in old.items() if p in removed_paths}
    added = updated = moved = 0
    records_written = duplicates = 0
    if not changed and not removed_paths and not purge and not rebuild:
        return IndexReport(unchanged=unchanged, problems=tuple(notes + problems), seconds=time.perf_counter() - started)

    if workers > 1 and rebuild and sum(st.st_size for _, _, st in changed) >= PARALLEL_BYTES:
        # the workers start now, while this process is small: they are forked from it
        writer = _ParallelWriter(ix, procs=workers, multisegment=True, timeout=config.LOCK_TIMEOUT,
                                 limitmb=WORKER_MB)
    else:
        writer = ix.writer(timeout=config.LOCK_TIMEOUT)
    committed = False
    try:
        searcher = writer.searcher() if not rebuild else None
        written_now: dict[str, tuple[str, float, str]] = {}  # id -> (modified, mtime, path) this run
        # what this run writes, by id: a record read again later in the run replaces the
        # earlier one (it is read first, then written, so that a rebuild can be written
        # by several processes)
        documents: dict[str, tuple[Record, str]] = {}  # id -> (record, titles of its links)
        # notes are read first, so that every [[id]] can be given its title
        read_first = {s.real: read_source(s) for s, _, _ in changed if s.kind == "note"}
        titles_now = {r.id: r.title for records, _ in read_first.values() for r in records}

        def linked_titles(record: Record) -> str:
            out = []
            for target in record.links:
                title = titles_now.get(target)
                if title is None and searcher is not None:
                    stored = searcher.document(id=target)
                    title = stored.get("title") if stored else None
                if title:
                    out.append(title)
            return " ; ".join(out)

        for source, digest, st in changed:
            path = source.real
            entry_old = old.get(path)
            if entry_old is None and digest in old_hashes:
                moved += 1
            elif entry_old is None:
                added += 1
            else:
                updated += 1
            records, file_problems = read_first.pop(path, None) or read_source(source)
            shadowed: dict[str, str] = {}
            dupes: dict[str, str] = {}  # id this note declares -> the note that has it
            dup_problems: set[Problem] = set()
            ids: list[str] = []
            for record in records:
                seen = written_now.get(record.id)
                if seen is None and searcher is not None:
                    stored = searcher.document(id=record.id)
                    if stored and stored.get("path") != path and stored.get("path") not in touched:
                        d = stored.get("data") or {}
                        seen = (d.get("modified", ""), d.get("mtime", 0.0), stored["path"])
                if seen is not None and record.kind == "note":
                    # two notes never hide each other: the later one is indexed under its path
                    fallback = _relative_id(record, source)
                    taken = searcher.document(id=fallback) if searcher is not None else None
                    if fallback in written_now or (taken and taken.get("path") != path and taken.get("path") not in touched):
                        fallback = record.path  # its relative path is some other note's id
                    dup_problem = Problem(path, t("index.duplicate_note_id", id=record.id, other=seen[2], new=fallback))
                    file_problems.append(dup_problem)
                    dup_problems.add(dup_problem)
                    dupes[record.id] = seen[2]
                    record = record.with_changes(id=fallback)
                    seen = None
                if seen is not None:
                    duplicates += 1
                    if not _newer(record, seen[0], seen[1]):
                        if seen[2] != path:
                            shadowed[record.id] = seen[2]
                        continue
                    if seen[2] != path:
                        # the other file keeps a shadowed copy
                        other = new_files.get(seen[2])
                        if other is not None:
                            other.setdefault("shadowed", {})[record.id] = path
                            other["records"] = max(0, other.get("records", 0) - 1)
                documents.pop(record.id, None)
                documents[record.id] = (record, linked_titles(record) if record.links else "")
                written_now[record.id] = (record.modified, record.mtime, path)
                ids.append(record.id)
                records_written += 1
            problems.extend(file_problems)
            entry = new_files[path] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "hash": digest,
                                       "records": len(dict.fromkeys(ids))}
            # empty ones are left out: the manifest of 10k notes is read and written on every update
            if shadowed:
                entry["shadowed"] = shadowed
            if dupes:
                entry["duplicates"] = dupes
            if file_problems:
                entry["problems"] = [{"path": p.path, "message": p.message, "where": p.where,
                                      **({"kind": "duplicate_id"} if p in dup_problems else {})} for p in file_problems]
        if searcher is not None:
            searcher.close()
        for path in removed_paths + purge:
            writer.delete_by_term("path", path)
        if not rebuild:
            for source, _, _ in changed:
                writer.delete_by_term("path", source.real)
        total = len(documents)
        for n, key in enumerate(list(documents), 1):
            document = to_document(*documents.pop(key))  # this process keeps no more than it must
            if progress:
                progress(n, total, document["path"])
            if rebuild:  # nothing to replace: the old segments are dropped (and may be damaged)
                writer.add_document(**document)
            else:
                writer.update_document(**document)
        # journal: if this process dies between the commit and the final manifest,
        # the next run reads these paths again (see Manifest.pending)
        Manifest(files=old, generation=manifest.generation, documents=manifest.documents,
                 pending={"rebuild": rebuild, "generation": writer.generation,
                          "paths": sorted(touched | set(purge))}).save(index_dir)
        writer.commit(mergetype=writing.CLEAR if rebuild else writing.MERGE_SMALL)
        committed = True
    except BaseException:
        if not committed:
            _cancel(writer)
        raise
    manifest.files = new_files
    manifest.version = ANALYSIS_VERSION
    manifest.generation, manifest.documents = _committed_state(index_dir)
    manifest.pending = None
    try:
        manifest.save(index_dir)
    except OSError as exc:
        raise IndexWriteError(t("index.manifest_write_error", path=index_dir, reason=_os_reason(exc))) from exc
    if rebuild:
        _remove_other_versions(index_dir)
    return IndexReport(
        added=added, updated=updated, removed=len(removed_paths) - moved, moved=moved, unchanged=unchanged,
        records=records_written, duplicates=duplicates, problems=tuple(notes + problems), rebuilt=rebuild,
        seconds=time.perf_counter() - started,
    )
