"""Opening an index for reading, checked: damage is found here, not in the middle of a search.

``open_index`` opens every segment and compares the manifest with the index; ``inspect_index``
reads everything (``searchkit check``).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from searchkit.analysis import ANALYSIS_VERSION
from searchkit.errors import IndexDamaged, IndexMissing, IndexOutdated, IndexUnreadable, SearchkitError
from searchkit.index.manifest import Manifest, ManifestError, read_seal, seal_fits
from searchkit.index.schema import INDEX_NAME, record_from_stored
from searchkit.messages import t
from searchkit.sources.read import os_reason, reason
from searchkit.sources.scan import shown
from searchkit.whoosh_internals import OpenedIndex, install_index_side, open_reader

_OPEN_ATTEMPTS = 50  # a writer committing replaces the files a reader was about to open: try again


ANY_TOC = re.compile(r"^_(sk[0-9]+)_([0-9]+)\.toc$")  # a TOC of any analysis version: (version, generation)


def latest_generation(index_dir: Path) -> tuple[int, bool]:
    """(latest TOC generation of this index version or -1, whether TOCs of another version exist)."""
    try:
        names = os.listdir(index_dir)
    except OSError as exc:
        raise IndexUnreadable(t("index.unreadable", path=index_dir, reason=os_reason(exc))) from exc
    latest, other = -1, False
    for name in names:
        m = ANY_TOC.match(name)
        if m and m.group(1) == INDEX_NAME:
            latest = max(latest, int(m.group(2)))
        elif m:
            other = True
    return latest, other


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
    install_index_side()
    last: BaseException | None = None
    sealed = check_manifest  # try the seal first; the whole manifest if it does not fit
    for _ in range(_OPEN_ATTEMPTS):
        known, manifest_error = (None if manifest is _READ else manifest), None
        seal = read_seal(index_dir) if sealed else None
        if check_manifest and manifest is _READ and seal is None:
            try:  # read before the TOC: then it is never newer than the index
                known = Manifest.read(index_dir)
            except ManifestError as exc:
                manifest_error = str(exc)
        gen, other = latest_generation(index_dir)
        if gen < 0:
            if other:
                raise IndexOutdated(t("index.outdated", path=index_dir))
            raise IndexMissing(t("index.missing", path=index_dir))
        storage = FileStorage(str(index_dir))
        try:
            toc = TOC.read(storage, INDEX_NAME, gen)
            reader = open_reader(storage, toc)
        except Exception as exc:  # Whoosh raises many kinds on damaged files
            last = exc
            if latest_generation(index_dir)[0] != gen:
                time.sleep(0.005)
                continue
            raise _damaged(index_dir, reason(exc)) from exc
        try:
            if gen == 0 and not toc.segments:
                raise IndexMissing(t("index.incomplete", path=index_dir))
            if seal is not None and not seal_fits(index_dir, seal, gen, reader.doc_count()):
                sealed = False  # again, reading the whole manifest first
                reader.close()
                continue
            if check_manifest and seal is None:
                _check_manifest(index_dir, known, manifest_error, reader, gen)
        except SearchkitError:
            reader.close()
            raise
        except Exception as exc:  # the lexicon read for the check met damaged data
            reader.close()
            raise _damaged(index_dir, reason(exc)) from exc
        except BaseException:
            reader.close()
            raise
        return OpenedIndex(storage, INDEX_NAME, reader)
    raise _damaged(index_dir, reason(last) if last else "?")


def _damaged(index_dir: Path, reason: str) -> IndexDamaged:
    err = IndexDamaged(t("index.damaged", path=index_dir, reason=reason))
    err.reason = reason  # what ``searchkit index`` repeats when it rebuilds
    return err


def as_damaged(index_dir: Path, exc: BaseException) -> IndexDamaged:
    """IndexDamaged for an exception Whoosh raised while reading ``index_dir``
    (zlib.error, struct.error, EOFError, UnpicklingError, OSError...): what a
    search that meets damaged data should raise instead, ``from exc``."""
    return _damaged(Path(index_dir), reason(exc))


def damage_reason(exc: IndexDamaged) -> str:
    return getattr(exc, "reason", None) or reason(exc.__cause__ or exc)


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
            r = record_from_stored(stored)
            records.append(IndexedRecord(r.id, r.kind, r.path, r.title, r.links, r.tags, r.types))
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
        raise _damaged(index_dir, reason(exc)) from exc
    finally:
        reader.close()
    if gen is None:
        gen = latest_generation(index_dir)[0]
    manifest = Manifest.load(index_dir)
    if manifest is None:
        state = "missing"
    elif manifest.pending or manifest.generation < gen:
        state = "behind"
    else:
        state = "ok"
    return IndexContents(tuple(records), manifest, state)


