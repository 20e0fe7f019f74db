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
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError

from searchkit import config
from searchkit.analysis import ANALYSIS_VERSION, EXACT, FRENCH
from searchkit.errors import IndexDamaged, IndexLocked, IndexMissing, IndexOutdated, IndexWriteError
from searchkit.messages import t
from searchkit.model import IndexReport, Problem, Record
from searchkit.sources.notes import read_note
from searchkit.sources.scan import SourceFile, scan
from searchkit.textnorm import facet_key, fold

INDEX_NAME = f"sk{ANALYSIS_VERSION}"
MANIFEST = "manifest.json"
LOCKFILE = ".lock"
FACETS = ("type", "tag", "publisher", "licence", "format")
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
        meta=TEXT(analyzer=FRENCH),  # publisher, spatial, other front-matter values, file name
        linked=TEXT(analyzer=FRENCH),  # titles of the notes this one links to with [[id]]
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
        facets=STORED(),  # "field<SEP>key<SEP>label..." for facet labels
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
                                         Path(record.path).stem if record.kind == "note" else ""))),
        "linked": linked,
        "type": ",".join(k for k, _ in facets["type"]),
        "tag": ",".join(k for k, _ in facets["tag"]),
        "publisher": ",".join(k for k, _ in facets["publisher"]),
        "licence": ",".join(k for k, _ in facets["licence"]),
        "format": ",".join(k for k, _ in facets["format"]),
        "links": ",".join(record.links),
        "title_sort": fold(record.title).casefold()[:200],
        "mtime": int(record.mtime),
        "richness": int(round(max(0.0, min(1.0, record.richness)) * 1000)),
        "facets": SEP.join(f"{name}{SEP}{key}{SEP}{label}" for name, pairs in facets.items() for key, label in pairs),
        "data": data,
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


def open_index(index_dir: Path):
    """The Whoosh index in ``index_dir``, or a domain error saying what to do."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir() or not whoosh_index.exists_in(str(index_dir), indexname=INDEX_NAME):
        if index_dir.is_dir() and any(p.name.endswith(".toc") for p in index_dir.iterdir()):
            raise IndexOutdated(t("index.outdated", path=index_dir))
        raise IndexMissing(t("index.missing", path=index_dir))
    try:
        return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    except Exception as exc:  # Whoosh raises many kinds on a damaged TOC
        raise IndexDamaged(t("index.damaged", path=index_dir, reason=_reason(exc))) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------- manifest


@dataclass
class Manifest:
    version: int = ANALYSIS_VERSION
    files: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, index_dir: Path) -> "Manifest | None":
        try:
            raw = json.loads((index_dir / MANIFEST).read_text("utf-8"))
            return cls(version=int(raw["version"]), files=dict(raw["files"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, OSError):
            return None

    def save(self, index_dir: Path) -> None:
        tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"version": self.version, "files": self.files}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, index_dir / MANIFEST)


def file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- lock


@contextmanager
def index_lock(index_dir: Path, timeout: float = config.LOCK_TIMEOUT) -> Iterator[None]:
    """Exclusive writer lock (flock: released by the kernel if the holder dies)."""
    path = index_dir / LOCKFILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=exc.strerror or exc)) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        pid = os.pread(fd, 32, 0).decode().strip()
                    except OSError:
                        pid = ""
                    raise IndexLocked(
                        t("index.locked", path=index_dir, pid=t("index.locked_pid", pid=pid) if pid else "")
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)


# ---------------------------------------------------------------- writing side

Progress = Callable[[int, int, str], None]


def read_source(source: SourceFile) -> tuple[list[Record], list[Problem]]:
    """Records and problems of one file (notes here, catalogues in sources.catalogs)."""
    if source.kind == "note":
        record, problems = read_note(source.path, source.root)
        return ([record] if record else []), problems
    from searchkit.sources.catalogs import iter_catalog  # heavy: only when indexing catalogues

    records: list[Record] = []
    problems: list[Problem] = []
    try:
        for item in iter_catalog(source.path):
            (records if isinstance(item, Record) else problems).append(item)
    except OSError as exc:
        problems.append(Problem(str(source.path), t("file.unreadable", reason=exc.strerror or exc)))
    return records, problems


def _relative_id(record: Record, source: SourceFile) -> str:
    try:
        return Path(record.path).relative_to(source.root).as_posix()
    except ValueError:
        return Path(record.path).name


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
) -> IndexReport:
    """Bring the index in ``index_dir`` up to date with ``sources``.

    Returns what was done; every unreadable input is a Problem in the report.
    Raises IndexLocked, IndexWriteError (nothing is lost: the previous index stays).
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=exc.strerror or exc)) from exc
    with index_lock(index_dir, lock_timeout):
        try:
            return _update_locked(index_dir, sources, rebuild, follow_links, progress, started)
        except OSError as exc:
            raise IndexWriteError(t("index.write_error", path=index_dir, reason=exc.strerror or exc)) from exc


def _update_locked(index_dir, sources, rebuild, follow_links, progress, started) -> IndexReport:
    problems: list[Problem] = []
    manifest = Manifest.load(index_dir)
    notes: list[Problem] = []  # messages about the index itself, shown as warnings
    ix = None
    if not rebuild:
        try:
            ix = open_index(index_dir)
            if manifest is None or manifest.version != ANALYSIS_VERSION:
                rebuild = True
        except IndexMissing:
            rebuild = True
        except IndexOutdated:
            rebuild = True
            notes.append(Problem(str(index_dir), t("index.auto_rebuild")))
        except IndexDamaged as exc:
            rebuild = True
            notes.append(Problem(str(index_dir), t("index.damaged_rebuild", reason=_reason(exc.__cause__ or exc))))
    if rebuild:
        manifest = Manifest()
        try:
            ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
        except Exception:
            ix = whoosh_index.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME)
    assert manifest is not None and ix is not None

    files, scan_problems = scan(sources, follow_links=follow_links)
    problems.extend(scan_problems)
    present = {str(f.path): f for f in files}
    old = manifest.files

    # what changed
    changed: list[tuple[SourceFile, str, os.stat_result]] = []
    unchanged = 0
    new_files: dict[str, dict] = {}
    for path, source in present.items():
        try:
            st = source.path.stat()
        except OSError:
            problems.append(Problem(path, t("scan.vanished")))
            continue
        entry = old.get(path)
        if entry and entry["size"] == st.st_size and entry["mtime_ns"] == st.st_mtime_ns:
            unchanged += 1
            new_files[path] = entry
            continue
        try:
            digest = file_hash(source.path)
        except OSError as exc:
            problems.append(Problem(path, t("file.unreadable", reason=exc.strerror or exc)))
            continue
        if entry and entry["hash"] == digest:
            unchanged += 1
            new_files[path] = dict(entry, size=st.st_size, mtime_ns=st.st_mtime_ns)
            continue
        changed.append((source, digest, st))
    removed_paths = [p for p in old if p not in present]
    # files whose shadowed duplicates belonged to a file that changes or goes
    touched = {p for p in removed_paths} | {str(s.path) for s, _, _ in changed}
    for path, entry in list(new_files.items()):
        if any(owner in touched for owner in entry.get("shadowed", {}).values()):
            source = present[path]
            st = source.path.stat()
            changed.append((source, entry["hash"], st))
            del new_files[path]
            unchanged -= 1

    old_hashes = {entry["hash"]: p for p, entry in old.items() if p in removed_paths}
    added = updated = moved = 0
    records_written = duplicates = 0
    if not changed and not removed_paths and not rebuild:
        return IndexReport(unchanged=unchanged, problems=tuple(notes + problems), seconds=time.perf_counter() - started)

    writer = ix.writer(timeout=config.LOCK_TIMEOUT)
    try:
        searcher = writer.searcher() if not rebuild else None
        for path in removed_paths:
            writer.delete_by_term("path", path)
        written_now: dict[str, tuple[str, float, str]] = {}  # id -> (modified, mtime, path) this run
        # notes are read first, so that every [[id]] can be given its title
        read_first = {str(s.path): read_source(s) for s, _, _ in changed if s.kind == "note"}
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

        total = len(changed)
        for n, (source, digest, st) in enumerate(changed, 1):
            path = str(source.path)
            if progress:
                progress(n, total, path)
            entry_old = old.get(path)
            if entry_old is None and digest in old_hashes:
                moved += 1
            elif entry_old is None:
                added += 1
            else:
                updated += 1
            if not rebuild:
                writer.delete_by_term("path", path)
            records, file_problems = read_first.pop(path, None) or read_source(source)
            shadowed: dict[str, str] = {}
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
                    file_problems.append(Problem(path, t("index.duplicate_note_id", id=record.id, other=seen[2], new=fallback)))
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
                writer.update_document(**to_document(record, linked_titles(record) if record.links else ""))
                written_now[record.id] = (record.modified, record.mtime, path)
                ids.append(record.id)
                records_written += 1
            problems.extend(file_problems)
            new_files[path] = {
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "hash": digest,
                "records": len(ids),
                "shadowed": shadowed,
                "problems": [{"path": p.path, "message": p.message, "where": p.where} for p in file_problems],
            }
        if searcher is not None:
            searcher.close()
        writer.commit(mergetype=writing.CLEAR if rebuild else writing.MERGE_SMALL)
    except BaseException:
        writer.cancel()
        raise
    manifest.files = new_files
    manifest.version = ANALYSIS_VERSION
    manifest.save(index_dir)
    return IndexReport(
        added=added, updated=updated, removed=len(removed_paths) - moved, moved=moved, unchanged=unchanged,
        records=records_written, duplicates=duplicates, problems=tuple(notes + problems), rebuilt=rebuild,
        seconds=time.perf_counter() - started,
    )
