"""The index: schema, the only writer, incremental updates, lock, atomic commits.

Layout of the index folder::

    index/
      .searchkit-index  written first: says the folder is an index, and its format
      _sk<version>_<gen>.toc, sk<version>_*.seg   Whoosh's files
      manifest.json     what each indexed file was (size, mtime, hash, ids), the segments
      journal.json      the write in progress (or killed): its segments, the paths it changes
      .lock             held (flock) by the process writing, with its pid

A folder that holds files and has no marker is refused (``claim_folder``), unless
it is an index of the release before the marker (adopted).  searchkit deletes only
what it can prove it wrote (``sweep``): TOCs of ours, the segments they, the
manifest and the journal name, the temporary folder of a journaled writer.

``update_index`` re-reads only files whose size, mtime and content hash
changed, removes the records of deleted files and moves renamed ones.
``--rebuild`` writes the new segments and drops the old ones in the same commit
(``mergetype=CLEAR``).

Crash safety, step by step (a SIGKILL can land anywhere):

1. the lock: ``flock`` on ``.lock``, released by the kernel if the holder dies;
2. leftovers of a killed run are removed (``sweep``, from its journal);
3. the journal names the segments about to be written; they are written next to
   the current ones: readers do not see them;
4. the journal is saved again with the paths this commit changes;
5. the new TOC is written and renamed into place: readers now see the new records;
6. the manifest is saved with the new generation, record count and segments; the
   replaced files are deleted, then the journal.

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

from whoosh import writing
from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.codec import base as codec_base
from whoosh.index import TOC, FileIndex, LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from searchkit import config
from searchkit.analysis import ANALYSIS_VERSION, EXACT, FRENCH
from searchkit.errors import (
    IndexDamaged, IndexForeign, IndexLocked, IndexMissing, IndexOutdated, IndexUnreadable, IndexWriteError, SearchkitError,
)
from searchkit.display import escaped
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
JOURNAL = "journal.json"
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


def _is_int(value) -> bool:
    return type(value) is int  # not a bool


def _str_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _str_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _problem_ok(problem) -> bool:
    return (isinstance(problem, dict) and isinstance(problem.get("message"), str)
            and all(isinstance(problem.get(k, ""), str) for k in ("path", "where", "kind")))


def _entry_ok(entry) -> bool:
    return (isinstance(entry, dict) and _is_int(entry.get("size")) and _is_int(entry.get("mtime_ns"))
            and isinstance(entry.get("hash"), str) and _is_int(entry.get("records", 0))
            and _str_map(entry.get("shadowed", {})) and _str_map(entry.get("duplicates", {}))
            and isinstance(entry.get("problems", []), list) and all(_problem_ok(p) for p in entry.get("problems", [])))


def _journal_ok(journal) -> bool:
    return (isinstance(journal, dict) and _is_int(journal.get("generation", -1))
            and isinstance(journal.get("rebuild", False), bool) and _str_list(journal.get("paths", []))
            and _str_list(journal.get("segments", [])) and isinstance(journal.get("temp", False), bool))


def _read_json(path: Path):
    """The JSON value in ``path``, None when there is no such file; ManifestError when it is unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(_os_reason(exc)) from exc
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ManifestError(t("index.reason.not_json")) from exc


def _write_atomic(index_dir: Path, name: str, payload) -> None:
    """``payload`` as JSON in ``index_dir/name``: a temporary file of a fixed name, flushed, renamed.
    The name is fixed so that a killed run's leftover is found by name, never by a pattern."""
    tmp = Path(index_dir) / f".{name}.tmp"
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, Path(index_dir) / name)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_journal(index_dir: Path) -> dict | None:
    """The journal of the write in progress or killed, None when there is none.

    Written before a writer makes any file (``segments``: the ids of the segments it
    will create; ``temp``: it made Whoosh's temporary folder) and again just before
    the commit (``paths``: what the commit changes, ``rebuild``), removed once the
    manifest describes the commit.  An unusable journal asks for a rebuild."""
    try:
        raw = _read_json(Path(index_dir) / JOURNAL)
    except ManifestError:
        return {"rebuild": True, "paths": []}
    if raw is None:
        return None
    return raw if _journal_ok(raw) else {"rebuild": True, "paths": []}


def save_journal(index_dir: Path, journal: dict) -> None:
    _write_atomic(index_dir, JOURNAL, journal)


@dataclass
class Manifest:
    """What each indexed file was, and which commit of the index it describes.

    ``generation`` and ``documents`` are the Whoosh TOC generation and the number
    of records right after the commit this manifest was written for (-1: unknown);
    ``segments``, the ids of that commit's segments (the files searchkit may delete
    once a later commit replaces them).  ``pending`` is the journal of a run that
    committed and died before writing this manifest (``journal.json``, or the
    ``pending`` key of a manifest written by the previous release): the next run
    reads those paths again instead of trusting their old entries.
    """

    version: int = ANALYSIS_VERSION
    files: dict[str, dict] = field(default_factory=dict)
    generation: int = -1
    documents: int = -1
    pending: dict | None = None
    segments: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, index_dir: Path) -> "Manifest | None":
        """The manifest, None when there is none; raises ManifestError when it is unusable
        (not JSON, or any value of the wrong type at any level)."""
        raw = _read_json(Path(index_dir) / MANIFEST)
        if raw is None:
            return None
        if not isinstance(raw, dict) or not _is_int(raw.get("version")) or not isinstance(raw.get("files"), dict):
            raise ManifestError(t("index.reason.bad_shape"))
        files = raw["files"]
        bad = next((p for p, e in files.items() if not _entry_ok(e)), None)
        if bad is not None:
            raise ManifestError(t("index.reason.bad_entry", path=shown(bad)))
        pending = raw.get("pending")
        generation, documents, segments = raw.get("generation", -1), raw.get("documents", -1), raw.get("segments", [])
        if (not _is_int(generation) or not _is_int(documents) or not _str_list(segments)
                or not (pending is None or _journal_ok(pending))):
            raise ManifestError(t("index.reason.bad_shape"))
        journal = read_journal(index_dir)
        if journal is not None and "paths" in journal:
            pending = journal
        return cls(version=raw["version"], files=dict(files), generation=generation, documents=documents,
                   pending=pending, segments=list(segments))

    @classmethod
    def load(cls, index_dir: Path) -> "Manifest | None":
        """The manifest, or None when it is missing or unusable."""
        try:
            return cls.read(index_dir)
        except ManifestError:
            return None

    def save(self, index_dir: Path) -> None:
        """Atomically: a temporary file in the index folder, flushed, then renamed."""
        _write_atomic(index_dir, MANIFEST, {"version": self.version, "generation": self.generation,
                                            "documents": self.documents, "segments": self.segments,
                                            "pending": self.pending, "files": self.files})


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


# ---------------------------------------------------------------- the folder is ours

MARKER_FORMAT = 1  # the layout of an index folder; the marker file holds it
_MARKER_TEXT = "searchkit-index {}\n"
_ANY_TOC = re.compile(r"^_(sk[0-9]+)_([0-9]+)\.toc$")  # a TOC of any analysis version


def _marker_format(text: str) -> int | None:
    """The format a marker holds; 0 while its writer has not written it yet; None: not ours."""
    if not text:
        return 0
    m = re.fullmatch(r"searchkit-index ([0-9]{1,6})\n?", text)
    return int(m.group(1)) if m else None


def claim_folder(index_dir: Path) -> None:
    """Make sure ``index_dir`` is a searchkit index before anything is written in it.

    A folder with the marker (``config.INDEX_MARKER``) is ours; an empty one gets the
    marker before any other file; an index of the previous release (no marker, a
    manifest of exactly our shape and a TOC Whoosh can read) is adopted and marked.
    Anything else holding files raises IndexForeign: nothing is written or deleted."""
    marker = index_dir / config.INDEX_MARKER
    try:
        names = os.listdir(index_dir)
        text = marker.read_text("ascii", "replace") if config.INDEX_MARKER in names else None
    except FileNotFoundError:
        names, text = [], None
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
    if text is not None:
        version = _marker_format(text)
        if version is None:
            raise IndexForeign(t("index.foreign", path=escaped(index_dir)))
        if version > MARKER_FORMAT:
            raise IndexForeign(t("index.newer_format", path=escaped(index_dir), version=version))
        return
    if names and not _previous_release_index(index_dir, names):
        raise IndexForeign(t("index.foreign", path=escaped(index_dir)))
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return  # another writer marked it a moment ago
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
    try:
        os.write(fd, _MARKER_TEXT.format(MARKER_FORMAT).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _previous_release_index(index_dir: Path, names: list[str]) -> bool:
    """Is this folder an index written by the release before the marker existed?"""
    try:
        if Manifest.read(index_dir) is None:
            return False
    except ManifestError:
        return False
    return any(_read_toc(index_dir, name) is not None for name in names)


def _read_toc(index_dir: Path, name: str):
    """The TOC in file ``name`` when it is a TOC of ours Whoosh can read, else None."""
    m = _ANY_TOC.match(name)
    if not m:
        return None
    try:  # the schema is skipped: one pickled by another version may not load
        return TOC.read(FileStorage(str(index_dir)), m.group(1), int(m.group(2)), schema=build_schema())
    except Exception:
        return None


def _segment_ids(indexname: str, toc) -> set[str]:
    """The ids (file names before the extension) of the segments ``toc`` lists."""
    return {f"{indexname}_{segment.segid}" for segment in toc.segments}


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def sweep(index_dir: Path, known_segments=(), journal: dict | None = None) -> None:
    """Delete what searchkit can prove it wrote and no longer needs, and nothing else.

    Kept: the latest TOC of this version and its segments.  Deleted: the other TOCs of
    ours (a TOC names itself) and the files of the segments they list; the files of
    ``known_segments`` (from the previous manifest and the journal: ids searchkit drew
    before Whoosh wrote them); the temporary folder a journaled writer made; the
    temporary manifest and journal (fixed names).  Called by the lock holder only."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    for name in (f".{MANIFEST}.tmp", f".{JOURNAL}.tmp"):
        if name in names:
            _remove(index_dir / name)
    journal = journal or {}
    if journal.get("temp"):  # Whoosh's temporary folder, made by the journaled writer
        shutil.rmtree(index_dir / f"{INDEX_NAME}.tmp", ignore_errors=True)
    gen, _ = _latest_generation(index_dir)
    current = _read_toc(index_dir, f"_{INDEX_NAME}_{gen}.toc") if gen >= 0 else None
    if current is None:
        return  # nothing to tell kept segments from the others: the rebuild that follows cleans up
    keep = _segment_ids(INDEX_NAME, current)
    doomed = set(known_segments) | set(journal.get("segments", ()))
    old_tocs = [name for name in names if _ANY_TOC.match(name) and name != f"_{INDEX_NAME}_{gen}.toc"]
    for name in old_tocs:
        toc = _read_toc(index_dir, name)
        if toc is not None:
            doomed |= _segment_ids(_ANY_TOC.match(name).group(1), toc)
    doomed -= keep
    for name in names:  # a segment's files are its id, a dot and an extension
        if name.partition(".")[0] in doomed and name.partition(".")[2]:
            _remove(index_dir / name)
    for name in old_tocs:  # last: until then they name the segments above
        _remove(index_dir / name)
        version = _ANY_TOC.match(name).group(1)
        if version != INDEX_NAME:  # Whoosh's lock file of that version's writer
            _remove(index_dir / f"{version}_WRITELOCK")


def _writable_index(index_dir: Path):
    """The index to rebuild into: the current one when its TOC can be read (the
    rebuild replaces its segments in one commit), else a new empty one."""
    try:
        return FileIndex(FileStorage(str(index_dir)), indexname=INDEX_NAME)
    except Exception:
        pass
    # the old TOC is unusable: say so in the manifest before replacing it, so
    # that readers see an index being rebuilt rather than a damaged one
    Manifest().save(index_dir)
    for name in os.listdir(index_dir):  # our TOCs that cannot be read: the first commit starts at 0
        m = _ANY_TOC.match(name)
        if m and m.group(1) == INDEX_NAME:
            _remove(index_dir / name)
    storage = FileStorage(str(index_dir))
    TOC(build_schema(), [], 0).write(storage, INDEX_NAME)
    return FileIndex(storage, indexname=INDEX_NAME)


def _committed_state(index_dir: Path) -> tuple[int, int, list[str]]:
    """(generation, number of records, segment ids) of the latest commit, from its TOC alone."""
    gen, _ = _latest_generation(index_dir)
    toc = TOC.read(FileStorage(str(index_dir)), INDEX_NAME, gen)
    return gen, sum(seg.doc_count() for seg in toc.segments), sorted(_segment_ids(INDEX_NAME, toc))


class _CommitWithoutCleaning:
    """Whoosh's ``_commit_toc`` writes the TOC, then deletes every file whose name
    looks like a segment of the index and is not in it (``clean_files``): a pattern
    over the folder.  Here the TOC only; ``sweep`` deletes what is provably ours."""

    def _commit_toc(self, segments):
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)


class _Writer(_CommitWithoutCleaning, SegmentWriter):
    """Whoosh's one-process writer."""


@contextmanager
def _drawn_segment_ids(ids: list[str]):
    """Whoosh draws a new segment's id at random inside the writer; draw them first, so
    that the journal names them before any file of theirs exists."""
    drawn = iter(ids)
    original = codec_base.Segment.__dict__["_random_id"]
    codec_base.Segment._random_id = classmethod(lambda cls, size=16: next(drawn))
    try:
        yield
    finally:
        codec_base.Segment._random_id = original


class _Worker(SubWriterTask):
    """One of Whoosh's writing processes: it dies with the process that started it
    (Linux), and reports a failure to it instead of printing a traceback."""

    segid: str | None = None  # drawn by the parent and journaled before this process starts

    def run(self):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphan holds the lock
        except Exception:
            pass
        if self.segid is not None:  # this process makes one segment: its id is the drawn one
            codec_base.Segment._random_id = classmethod(lambda cls, size=16, segid=self.segid: segid)
        try:
            super().run()
        except BaseException as exc:  # the parent turns this into the error it raises
            code = exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO
            self.resultqueue.put(("failed", code, str(exc)), timeout=5)


class _ParallelWriter(_CommitWithoutCleaning, MpWriter):
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
        task = _Worker(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        task.segid = self._segids.pop() if self._segids else None
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
    claim_folder(index_dir)
    with index_lock(index_dir, lock_timeout):
        try:
            return _update_locked(index_dir, sources, rebuild, follow_links, progress, started, workers)
        except OSError as exc:
            try:  # give back the space a failed run took
                journal = read_journal(index_dir)
                sweep(index_dir, journal=journal)
                if journal is not None and _latest_generation(index_dir)[0] < journal.get("generation", 1 << 62):
                    _remove(index_dir / JOURNAL)  # its commit never happened
            except Exception:
                pass
            raise IndexWriteError(t("index.write_error", path=index_dir, reason=_os_reason(exc))) from exc
        except LockError as exc:  # Whoosh's own lock, held by a process not using ours
            raise IndexLocked(t("index.locked", path=index_dir, pid="")) from exc


def _update_locked(index_dir, sources, rebuild, follow_links, progress, started, workers) -> IndexReport:
    problems: list[Problem] = []
    notes: list[Problem] = []  # messages about the index itself, shown as warnings
    where = shown(index_dir)
    journal = read_journal(index_dir)
    sweep(index_dir, journal=journal)  # what a killed run left
    if journal is not None and "paths" not in journal:  # killed before its commit: nothing to resume
        _remove(index_dir / JOURNAL)
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
    # segments the commit below may replace: the sweep after it deletes them
    replaced = set(manifest.segments if manifest is not None else ()) | set((journal or {}).get("segments", ()))
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

    parallel = workers > 1 and rebuild and sum(st.st_size for _, _, st in changed) >= PARALLEL_BYTES
    segids = [random_name(16) for _ in range(1 + (workers if parallel else 0))]
    # journaled before Whoosh makes a file: a killed run's files are then known by name
    save_journal(index_dir, {"segments": [f"{INDEX_NAME}_{i}" for i in segids], "temp": True})
    with _drawn_segment_ids(segids[:1]):
        if parallel:  # the workers start now, while this process is small: they are forked from it
            writer = _ParallelWriter(ix, segids[1:], procs=workers, multisegment=True, timeout=config.LOCK_TIMEOUT,
                                     limitmb=WORKER_MB)
        else:
            writer = _Writer(ix, timeout=config.LOCK_TIMEOUT)
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
        # if this process dies between the commit and the final manifest, the next run
        # reads these paths again (see Manifest.pending)
        save_journal(index_dir, {"segments": [f"{INDEX_NAME}_{i}" for i in segids], "temp": True,
                                 "rebuild": rebuild, "generation": writer.generation,
                                 "paths": sorted(touched | set(purge))})
        writer.commit(mergetype=writing.CLEAR if rebuild else writing.MERGE_SMALL)
        committed = True
    except BaseException:
        if not committed:
            _cancel(writer)
        raise
    manifest.files = new_files
    manifest.version = ANALYSIS_VERSION
    manifest.generation, manifest.documents, manifest.segments = _committed_state(index_dir)
    manifest.pending = None
    try:
        manifest.save(index_dir)
    except OSError as exc:
        raise IndexWriteError(t("index.manifest_write_error", path=index_dir, reason=_os_reason(exc))) from exc
    sweep(index_dir, replaced)
    _remove(index_dir / JOURNAL)
    return IndexReport(
        added=added, updated=updated, removed=len(removed_paths) - moved, moved=moved, unchanged=unchanged,
        records=records_written, duplicates=duplicates, problems=tuple(notes + problems), rebuilt=rebuild,
        seconds=time.perf_counter() - started,
    )
