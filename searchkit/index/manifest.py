"""The manifest (what each indexed file was, which commit it describes) and the journal of a write.

Both are JSON files written atomically; reading validates their shape at every level, so
that a manifest of the wrong shape is "damaged" (``searchkit index`` repairs it), never a
``TypeError`` further on.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.analysis import ANALYSIS_VERSION
from searchkit.messages import t
from searchkit.sources.read import os_reason
from searchkit.sources.scan import shown
from searchkit.whoosh_internals import fsync_path

MANIFEST = "manifest.json"
JOURNAL = "journal.json"
SEAL = "seal.json"  # the manifest's size and time, and the commit it describes: a cheap check for readers


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


_PLAIN_ENTRY = frozenset(("size", "mtime_ns", "hash", "records"))


def _entry_ok(entry) -> bool:
    if type(entry) is dict and entry.keys() == _PLAIN_ENTRY:  # most entries: checked faster
        return (type(entry["size"]) is int and type(entry["mtime_ns"]) is int and type(entry["hash"]) is str
                and type(entry["records"]) is int)
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
        raise ManifestError(os_reason(exc)) from exc
    try:
        return _loads(data)
    except ValueError as exc:
        raise ManifestError(t("index.reason.not_json")) from exc


# orjson for a manifest of many files: 15 MB (100k notes) read 45 ms and written 100 ms faster;
# its import (10 ms) is not paid for small ones
MANY_FILES, BIG_JSON = 1000, 1 << 17


def _loads(data: bytes):
    if len(data) > BIG_JSON:
        import orjson

        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # a file name with undecodable bytes (a lone surrogate escape): the standard library reads it
    return json.loads(data)


def _dumps(payload) -> bytes:
    """JSON without spaces (the manifest is 6 % smaller); by the standard library in ASCII
    (a third faster than its UTF-8) unless there are many files, and always when a file name
    holds undecodable bytes (a lone surrogate, which orjson refuses; ASCII escapes round-trip)."""
    if isinstance(payload, dict) and len(payload.get("files", ())) > MANY_FILES:
        import orjson

        try:
            return orjson.dumps(payload)
        except TypeError:
            pass
    return json.dumps(payload, separators=(",", ":"), check_circular=False).encode("ascii")


def _write_atomic(index_dir: Path, name: str, payload, durable: bool = True, folder: bool = True) -> None:
    """``payload`` as JSON in ``index_dir/name``: a temporary file of a fixed name, flushed, renamed.
    The name is fixed so that a killed run's leftover is found by name, never by a pattern.
    ``durable``: the file is fsynced, and the folder too unless ``folder`` is False (the caller
    fsyncs it later, before anything that depends on the rename)."""
    tmp = Path(index_dir) / f".{name}.tmp"
    data = _dumps(payload)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, Path(index_dir) / name)
        if durable and folder:
            fsync_path(Path(index_dir))  # the rename itself reaches the disk
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
    """Durable once it names paths (a commit follows); before, losing it only leaves files behind.
    Its rename reaches the disk with the folder's fsync that precedes the commit's TOC (one fsync
    less: each costs 4 to 8 ms of a one-note update)."""
    _write_atomic(index_dir, JOURNAL, journal, durable="paths" in journal, folder=False)


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


def _fingerprint(index_dir: Path) -> list[int] | None:
    try:
        st = os.stat(Path(index_dir) / MANIFEST)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def save_seal(index_dir: Path, manifest: Manifest) -> None:
    """Written after the manifest: what a reader compares instead of reading the whole manifest."""
    segments = {}
    for sid in manifest.segments:
        segments[f"{sid}.seg"] = os.stat(Path(index_dir) / f"{sid}.seg").st_size
    _write_atomic(index_dir, SEAL, {"manifest": _fingerprint(index_dir), "generation": manifest.generation,
                                    "documents": manifest.documents, "segments": segments},
                  durable=False)  # lost or stale after a power cut, it only makes readers read the manifest


def read_seal(index_dir: Path) -> dict | None:
    """The seal when the manifest is still the one it was written for, else None (then read the manifest)."""
    try:
        seal = _read_json(Path(index_dir) / SEAL)
    except ManifestError:
        return None
    if not (isinstance(seal, dict) and _is_int(seal.get("generation")) and _is_int(seal.get("documents"))
            and isinstance(seal.get("segments"), dict) and all(_is_int(v) for v in seal["segments"].values())):
        return None
    return seal if seal.get("manifest") == _fingerprint(index_dir) else None


def seal_fits(index_dir: Path, seal: dict, generation: int, documents: int) -> bool:
    """Does the index opened (``generation``, ``documents``, its segment files) match the seal?"""
    if seal["generation"] != generation or seal["documents"] != documents:
        return False
    try:
        return all(os.stat(Path(index_dir) / name).st_size == size for name, size in seal["segments"].items())
    except OSError:
        return False
