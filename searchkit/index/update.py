"""The incremental update, the only writer of an index, as a sequence of small named steps.

``update_index`` claims the folder and takes the lock, then ``_Update.run``:

1. ``_start``: remove a killed run's leftovers, read the manifest and the journal once,
   decide whether to rebuild;
2. ``_plan``: scan the sources and compare them with the manifest (size and mtime, then hash);
3. ``_read``: read the changed files and resolve their ids (duplicates, shadowed copies);
4. ``_write``: delete what goes, add what comes, then the journal names the changed paths;
5. ``_finish``: commit, write the manifest once, delete what the commit replaced.

One module, one job: the steps share the state of one run (``_Update``), which
splitting them across modules would only pass around.
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError
from whoosh.util import random_name

from searchkit import config
from searchkit.analysis import ANALYSIS_VERSION
from searchkit.display import escaped
from searchkit.errors import IndexDamaged, IndexForeign, IndexLocked, IndexMissing, IndexOutdated, IndexWriteError
from searchkit.index.folder import claim_folder, remove, segment_ids, sweep
from searchkit.index.lock import index_lock
from searchkit.index.manifest import JOURNAL, Manifest, ManifestError, read_journal, save_journal, save_seal
from searchkit.index.open import ANY_TOC, damage_reason, latest_generation, open_index
from searchkit.index.schema import INDEX_NAME, build_schema, record_from_stored, to_document
from searchkit.messages import t
from searchkit.model import IndexReport, Problem, Record
from searchkit.sources.read import file_hash, os_reason, read_source
from searchkit.sources.scan import SourceFile, scan, shown
from searchkit.whoosh_internals import (
    ParallelWriter, Writer, cancel_writer, drawn_segment_ids, install_index_side, prepare_writelock,
)

# a full rebuild of this many bytes of sources or more is written by several processes
# (when the caller allows it: the command line does, the app does not)
PARALLEL_BYTES = 4_000_000  # about 2,000 notes
# a run reading this many bytes of sources or more holds its records compressed until written
PACK_BYTES = 64_000_000  # about 20,000 notes
# the posting pool of each (Whoosh's estimate; 256 is 25 % faster at 10k notes, +140 MB); half of it
# over PACK_BYTES, where the build's memory (the sum of its processes) nears its budget of 800 MB
WORKER_MB = 128

Progress = Callable[[int, int, str], None]


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
    Raises IndexForeign (a folder that is not an index), IndexLocked, IndexWriteError
    (nothing is lost: the previous index stays).  A damaged index (or manifest) is
    rebuilt, and a Problem says so.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=os_reason(exc))) from exc
    claim_folder(index_dir)
    install_index_side()
    with index_lock(index_dir, lock_timeout):
        try:
            return _Update(index_dir, rebuild, workers, progress).run(sources, follow_links, started)
        except OSError as exc:
            _give_back_space(index_dir)
            raise IndexWriteError(t("index.write_error", path=index_dir, reason=os_reason(exc))) from exc
        except LockError as exc:  # Whoosh's own lock, held by a process not using ours
            raise IndexLocked(t("index.locked", path=index_dir, pid="")) from exc


def _give_back_space(index_dir: Path) -> None:
    """After a failed run: its segments and temporary files go; its journal too if it never committed."""
    try:
        journal = read_journal(index_dir)
        sweep(index_dir, journal=journal)
        if journal is not None and latest_generation(index_dir)[0] < journal.get("generation", 1 << 62):
            remove(index_dir / JOURNAL)
    except Exception:
        pass  # the error being reported matters more


@dataclass
class _Plan:
    """What changed since the manifest: the files to read, the ones that stay, the ones that go."""

    present: dict[str, SourceFile]
    changed: list[tuple[SourceFile, str, os.stat_result]] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # the next manifest's entries
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    purge: list[str] = field(default_factory=list)  # journaled paths in the index and nowhere else
    forced: set[str] = field(default_factory=set)  # journaled paths: read again, whatever they look like
    touched: set[str] = field(default_factory=set)
    # unchanged catalogues read again for some of their ids only: those that a touched file shadowed
    partial: dict[str, tuple[set[str], dict]] = field(default_factory=dict)  # path -> (ids, its entry)

    @property
    def empty(self) -> bool:
        return not self.changed and not self.removed and not self.purge


class _Update:
    def __init__(self, index_dir: Path, rebuild: bool, workers: int, progress: Progress | None):
        self.index_dir, self.rebuild, self.workers, self.progress = index_dir, rebuild, workers, progress
        self.where = shown(index_dir)
        self.problems: list[Problem] = []  # about the sources
        self.notices: list[Problem] = []  # about the index itself, shown as warnings first
        self.added = self.updated = self.moved = self.records = self.duplicates = 0

    def run(self, sources, follow_links: bool, started: float) -> IndexReport:
        """The five steps, the garbage collector off while the first two make the run's long-lived
        objects (the manifest, the scan: 10k-100k of them, no garbage; -10 % of a one-note update),
        then left out of its collections (reading and writing make cyclic garbage)."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(sources, follow_links, started, enabled)
        finally:
            gc.unfreeze()
            if enabled:
                gc.enable()

    def _run(self, sources, follow_links: bool, started: float, collect: bool) -> IndexReport:
        self._start()
        try:
            plan = self._plan(sources, follow_links)
            if plan.empty and not self.rebuild:
                return IndexReport(unchanged=plan.unchanged, problems=tuple(self.notices + self.problems),
                                   seconds=time.perf_counter() - started)
            writer = self._writer(plan)
        finally:
            self.ix.close()  # the checked reader, unless the writer took it
        gc.freeze()
        if collect:
            gc.enable()
        committed = False
        try:
            documents = self._read(plan, writer)
            self._write(plan, writer, documents)
            writer.commit(mergetype=writing.CLEAR if self.rebuild else writing.MERGE_SMALL)
            committed = True
        except BaseException:
            if not committed:
                cancel_writer(writer)
            raise
        self._finish(plan)
        return IndexReport(
            added=self.added, updated=self.updated, removed=len(plan.removed) - self.moved, moved=self.moved,
            unchanged=plan.unchanged, records=self.records, duplicates=self.duplicates,
            problems=tuple(self.notices + self.problems), rebuilt=self.rebuild, seconds=time.perf_counter() - started,
        )

    # ---- 1. start

    def _start(self) -> None:
        """Leftovers out, manifest and journal read (once), rebuild decided, ``self.ix`` ready."""
        journal = read_journal(self.index_dir)
        sweep(self.index_dir, journal=journal)  # what a killed run left
        if journal is not None and "paths" not in journal:  # killed before its commit: nothing to resume
            remove(self.index_dir / JOURNAL)
        temp = self.index_dir / f"{INDEX_NAME}.tmp"
        if temp.exists():  # not a journaled writer's (the sweep removed that): Whoosh would empty it
            raise IndexForeign(t("index.foreign_temp", path=escaped(temp)))
        prepare_writelock(self.index_dir, INDEX_NAME)
        try:
            manifest = Manifest.read(self.index_dir)
        except ManifestError as exc:
            manifest = None
            self._must_rebuild(t("index.damaged_rebuild", reason=t("index.reason.manifest_garbage", detail=exc)))
        ix = self._check_index(manifest) if not self.rebuild else None
        if not self.rebuild and (manifest is None or manifest.version != ANALYSIS_VERSION):
            self._must_rebuild(t("index.no_manifest") if manifest is None else None)
        pending = manifest.pending if manifest is not None and not self.rebuild else None
        if pending and pending.get("rebuild"):
            self._must_rebuild(t("index.resume_rebuild"))
            pending = None
        # segments the commit may replace: deleted once the manifest describes it
        self.replaced = set(manifest.segments if manifest is not None else ()) | set((journal or {}).get("segments", ()))
        self.forced = {p for p in (pending or {}).get("paths", ())}
        self.pending_generation = (pending or {}).get("generation", -1)
        if self.rebuild:
            if ix is not None:
                ix.close()
            self.manifest, self.ix = Manifest(), _writable_index(self.index_dir)
        else:
            self.manifest, self.ix = manifest, ix

    def _must_rebuild(self, notice: str | None) -> None:
        if notice and not self.rebuild:
            self.notices.append(Problem(self.where, notice))
        self.rebuild = True

    def _check_index(self, manifest: Manifest | None):
        """The index opened as a search would (the manifest already read), or None: a rebuild.
        Its reader serves the writer's lookups (``run`` closes it if no writer takes it)."""
        try:
            return open_index(self.index_dir, manifest=manifest)
        except IndexMissing:
            self._must_rebuild(None)
        except IndexOutdated:
            self._must_rebuild(t("index.auto_rebuild"))
        except IndexDamaged as exc:
            self._must_rebuild(t("index.damaged_rebuild", reason=damage_reason(exc)))

    # ---- 2. plan

    def _plan(self, sources, follow_links: bool) -> _Plan:
        files, scan_problems = scan(sources, follow_links=follow_links)
        self.problems.extend(scan_problems)
        old = self.manifest.files
        plan = _Plan(present={f.real: f for f in files}, forced=self.forced)
        if plan.forced:
            self.notices.append(Problem(self.where, t("index.resumed", n=len(plan.forced))))
        plan.removed = [p for p in old if p not in plan.present]
        plan.purge = [p for p in plan.forced if p not in old and p not in plan.present]
        for path, source in plan.present.items():
            self._compare(plan, path, source, old.get(path))
        plan.touched = set(plan.removed) | {s.real for s, _, _ in plan.changed} | plan.forced
        self._reread_shadowing(plan)
        return plan

    def _compare(self, plan: _Plan, path: str, source: SourceFile, entry: dict | None) -> None:
        """One file against its manifest entry: unchanged (size and mtime, else hash) or changed."""
        trusted = entry is not None and path not in plan.forced
        try:
            st = source.stat or source.path.stat()
            if trusted and entry["size"] == st.st_size and entry["mtime_ns"] == st.st_mtime_ns:
                plan.unchanged += 1
                plan.files[path] = entry  # the old manifest is not used again: no copy (10k of them)
                return
            digest = file_hash(source.path)
        except FileNotFoundError:
            self.problems.append(Problem(shown(path), t("scan.vanished")))
            if entry:
                plan.removed.append(path)
            return
        except OSError as exc:
            self.problems.append(Problem(shown(path), t("file.unreadable", reason=os_reason(exc))))
            if entry:  # keep what the index has of it until it can be read again
                plan.files[path] = dict(entry)
            return
        if trusted and entry["hash"] == digest:
            plan.unchanged += 1
            plan.files[path] = dict(entry, size=st.st_size, mtime_ns=st.st_mtime_ns)
            return
        plan.changed.append((source, digest, st))

    @staticmethod
    def _reread_shadowing(plan: _Plan) -> None:
        """Files whose shadowed duplicates belonged to a file that changes or goes are read again:
        a note whole (its id may come back), a catalogue for those ids only (``plan.partial``): its
        other records stay as the index has them (an edited udata file sharing one id with a
        2,862-record export re-wrote 1,942 records, 4.3 s)."""
        if not plan.touched:
            return
        for path, entry in [(p, e) for p, e in plan.files.items() if "shadowed" in e or "duplicates" in e]:
            shadowed = {i for i, owner in entry.get("shadowed", {}).items() if owner in plan.touched}
            duplicates = any(owner in plan.touched for owner in entry.get("duplicates", {}).values())
            if shadowed or duplicates:
                source = plan.present[path]
                try:
                    st = source.path.stat()
                except OSError:
                    continue
                if source.kind != "note" and not duplicates:
                    plan.partial[path] = (shadowed, entry)
                plan.changed.append((source, entry["hash"], st))
                del plan.files[path]
                plan.unchanged -= 1

    # ---- 3. read and resolve ids

    def _writer(self, plan: _Plan):
        """The writer, its segments' ids journaled before Whoosh makes any file of theirs."""
        size = sum(st.st_size for _, _, st in plan.changed)
        self.pack = size >= PACK_BYTES
        parallel = self.workers > 1 and self.rebuild and size >= PARALLEL_BYTES
        self.segids = [random_name(16) for _ in range(1 + (self.workers if parallel else 0))]
        save_journal(self.index_dir, self._journal())
        with drawn_segment_ids(self.segids[:1]):
            if parallel:  # the workers start now, while this process is small: they are forked from it
                return ParallelWriter(self.ix, self.segids[1:], procs=self.workers, multisegment=True,
                                      timeout=config.LOCK_TIMEOUT, limitmb=WORKER_MB // 2 if self.pack else WORKER_MB)
            return Writer(self.ix, timeout=config.LOCK_TIMEOUT, reader=None if self.rebuild else self.ix.reader())

    def _journal(self, **more) -> dict:
        """The journal of this write; until its own commit names its paths, it keeps those of the
        killed run it resumes: killed in turn before its commit, this run must not lose them
        (the next run would never remove the notes that run added and that are gone since)."""
        inherited = {"paths": sorted(self.forced), "generation": self.pending_generation} if self.forced else {}
        return {"segments": [f"{INDEX_NAME}_{i}" for i in self.segids], "temp": True, **inherited, **more}

    def _read(self, plan: _Plan, writer) -> dict[str, tuple[Record, str]]:
        """id -> (record, titles of its links) for every record this run writes.

        A record read again later in the run replaces the earlier one (records are read
        first, then written, so that a rebuild can be written by several processes)."""
        self.searcher = writer.searcher() if not self.rebuild else None
        self.written: dict[str, tuple[str, float, str]] = {}  # id -> (modified, mtime, path) this run
        documents: dict[str, tuple[Record, str]] = {}
        # notes are read first, so that every [[id]] can be given its title
        read_first, self.titles = {}, {}
        for source, _, _ in plan.changed:
            if source.kind == "note":
                records, file_problems = read_source(source)
                self.titles.update((r.id, r.title) for r in records)
                read_first[source.real] = self._hold((records, file_problems))
        old = self.manifest.files
        old_hashes = {old[p]["hash"] for p in plan.removed if p in old}
        try:
            for source, digest, st in plan.changed:
                if source.real in old:
                    self.updated += 1
                elif digest in old_hashes:
                    self.moved += 1
                else:
                    self.added += 1
                held = read_first.pop(source.real, None)
                records, file_problems = self._take(held) if held is not None else read_source(source)
                if source.real in plan.partial:
                    plan.files[source.real] = self._resolve_part(plan, source, records, file_problems, documents)
                    continue
                plan.files[source.real] = self._resolve_file(plan, source, records, file_problems, documents)
                plan.files[source.real].update(size=st.st_size, mtime_ns=st.st_mtime_ns, hash=digest)
        finally:
            if self.searcher is not None:
                self.searcher.close()
        return documents

    def _hold(self, value):
        """What waits to be written, compressed in a big run (a record takes 1.5 times its
        source's size in memory: 600 MB for 100k notes, before the workers)."""
        return zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1) if self.pack else value

    def _take(self, held):
        return pickle.loads(zlib.decompress(held)) if self.pack else held

    def _resolve_file(self, plan: _Plan, source: SourceFile, records: list[Record], file_problems: list[Problem],
                      documents: dict) -> dict:
        """The manifest entry of one changed file; its records go to ``documents``."""
        path = source.real
        shadowed: dict[str, str] = {}
        dupes: dict[str, str] = {}  # id this note declares -> the note that has it
        dup_problems: set[Problem] = set()
        ids: list[str] = []
        for record in records:
            seen = self._seen(plan, record.id, path)
            if seen is not None and record.kind == "note":
                # two notes never hide each other: the later one is indexed under its path
                fallback = self._fallback_id(plan, record, source)
                problem = Problem(path, t("index.duplicate_note_id", id=record.id, other=seen[2], new=fallback))
                file_problems.append(problem)
                dup_problems.add(problem)
                dupes[record.id] = seen[2]
                record, seen = record.with_changes(id=fallback), None
            if seen is not None:
                self.duplicates += 1
                if not _newer(record, seen[0], seen[1]):
                    if seen[2] != path:
                        shadowed[record.id] = seen[2]
                    continue
                other = plan.files.get(seen[2]) if seen[2] != path else None
                if other is not None:  # the other file keeps a shadowed copy
                    other.setdefault("shadowed", {})[record.id] = path
                    other["records"] = max(0, other.get("records", 0) - 1)
            documents.pop(record.id, None)
            documents[record.id] = self._hold((record, self._linked_titles(record) if record.links else ""))
            self.written[record.id] = (record.modified, record.mtime, path)
            ids.append(record.id)
            self.records += 1
        self.problems.extend(file_problems)
        entry = {"records": len(dict.fromkeys(ids))}
        # empty ones are left out: the manifest of 10k notes is read and written on every update
        if shadowed:
            entry["shadowed"] = shadowed
        if dupes:
            entry["duplicates"] = dupes
        if file_problems:
            entry["problems"] = [{"path": p.path, "message": p.message, "where": p.where,
                                  **({"kind": "duplicate_id"} if p in dup_problems else {})} for p in file_problems]
        return entry

    def _resolve_part(self, plan: _Plan, source: SourceFile, records: list[Record], file_problems: list[Problem],
                      documents: dict) -> dict:
        """The manifest entry of an unchanged catalogue read again for the ids a touched file
        shadowed (``plan.partial``): those ids are resolved again, the rest of its entry (its
        other records, their problems, already reported) stays.  Unreadable now (none of the
        ids read, a problem instead): its entry stays as it was, the problem is reported."""
        ids, entry = plan.partial[source.real]
        found = [r for r in records if r.id in ids]
        if not found and file_problems:
            self.problems.extend(file_problems)
            return entry
        part = self._resolve_file(plan, source, found, [], documents)
        shadowed = {i: owner for i, owner in entry.get("shadowed", {}).items() if i not in ids}
        shadowed.update(part.get("shadowed", {}))
        kept = {k: v for k, v in entry.items() if k not in ("shadowed", "records")}
        return {**kept, "records": entry.get("records", 0) + part["records"], **({"shadowed": shadowed} if shadowed else {})}

    def _stored_elsewhere(self, plan: _Plan, ident: str, path: str) -> Record | None:
        """The record the index holds under ``ident`` for another file that stays as it is."""
        stored = self.searcher.document(id=ident) if self.searcher is not None else None
        if stored and stored.get("path") != path and stored.get("path") not in plan.touched:
            return record_from_stored(stored)
        return None

    def _seen(self, plan: _Plan, ident: str, path: str) -> tuple[str, float, str] | None:
        """(modified, mtime, path) of the record already holding ``ident``, this run or in the index."""
        seen = self.written.get(ident)
        if seen is None:
            other = self._stored_elsewhere(plan, ident, path)
            if other is not None:
                seen = (other.modified, other.mtime, other.path)
        return seen

    def _fallback_id(self, plan: _Plan, record: Record, source: SourceFile) -> str:
        fallback = _relative_id(record, source)
        if fallback in self.written or self._stored_elsewhere(plan, fallback, source.real) is not None:
            return record.path  # its relative path is some other note's id
        return fallback

    def _linked_titles(self, record: Record) -> str:
        out = []
        for target in record.links:
            title = self.titles.get(target)
            if title is None and self.searcher is not None:
                stored = self.searcher.document(id=target)
                title = stored.get("title") if stored else None
            if title:
                out.append(title)
        return " ; ".join(out)

    # ---- 4. write

    def _write(self, plan: _Plan, writer, documents: dict[str, tuple[Record, str]]) -> None:
        for path in plan.removed + plan.purge:
            writer.delete_by_term("path", path)
        if not self.rebuild:
            for source, _, _ in plan.changed:
                if source.real not in plan.partial:  # a partial one's records are replaced by id
                    writer.delete_by_term("path", source.real)
        total = len(documents)
        for n, key in enumerate(list(documents), 1):
            document = to_document(*self._take(documents.pop(key)))  # this process keeps no more than it must
            if self.progress:
                self.progress(n, total, document["path"])
            if self.pack and n % 10_000 == 0:
                _give_back_memory()
            if self.rebuild:  # nothing to replace: the old segments are dropped (and may be damaged)
                writer.add_document(**document)
            else:
                writer.update_document(**document)
        # if this process dies between the commit and the manifest, the next run reads
        # these paths again (see Manifest.pending)
        save_journal(self.index_dir, self._journal(rebuild=self.rebuild, generation=writer.generation,
                                                   paths=sorted(plan.touched | set(plan.purge))))

    # ---- 5. finish

    def _finish(self, plan: _Plan) -> None:
        manifest = self.manifest
        manifest.files = plan.files
        manifest.version = ANALYSIS_VERSION
        manifest.generation, manifest.documents, manifest.segments = _committed_state(self.index_dir)
        manifest.pending = None
        try:
            manifest.save(self.index_dir)
            save_seal(self.index_dir, manifest)
        except OSError as exc:
            raise IndexWriteError(t("index.manifest_write_error", path=self.index_dir, reason=os_reason(exc))) from exc
        sweep(self.index_dir, self.replaced)
        remove(self.index_dir / JOURNAL)


def _give_back_memory() -> None:
    """Hand the heap pages freed so far back to the system (glibc keeps them): in a big build the
    records written are freed while the workers grow, and the build's memory is the sum of both."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _newer(a: Record, b_modified: str, b_mtime: float) -> bool:
    """Is record ``a`` more recent than (b_modified, b_mtime)?"""
    return (a.modified or "", a.mtime) >= (b_modified or "", b_mtime)


def _relative_id(record: Record, source: SourceFile) -> str:
    if source.rel:
        return source.rel
    try:
        return Path(record.path).relative_to(source.root).as_posix()
    except ValueError:
        return Path(record.path).name


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
        m = ANY_TOC.match(name)
        if m and m.group(1) == INDEX_NAME:
            remove(index_dir / name)
    storage = FileStorage(str(index_dir))
    TOC(build_schema(), [], 0).write(storage, INDEX_NAME)
    return FileIndex(storage, indexname=INDEX_NAME)


def _committed_state(index_dir: Path) -> tuple[int, int, list[str]]:
    """(generation, number of records, segment ids) of the latest commit, from its TOC alone."""
    gen, _ = latest_generation(index_dir)
    toc = TOC.read(FileStorage(str(index_dir)), INDEX_NAME, gen)
    return gen, sum(seg.doc_count() for seg in toc.segments), sorted(segment_ids(INDEX_NAME, toc))
