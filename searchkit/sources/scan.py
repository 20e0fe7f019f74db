"""Find the files to index below the source paths.

Hidden folders (``.git``, ``.obsidian``), hidden files and ``node_modules`` are
skipped.  Every file is known by its real path (symbolic links resolved), so a
note reached twice, once directly and once through a link, is indexed once.
Symbolic links are followed only while they stay inside the source root
(unless ``follow_links``); loops are detected; unreadable folders, broken
links, names that are not valid UTF-8 and files that vanish are reported,
never fatal.

    >>> files, problems = scan([Path("notes")])  # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import stat
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from searchkit import config
from searchkit.messages import t
from searchkit.model import Problem


class FileStat(NamedTuple):
    """What the index compares of a file's ``os.stat_result`` (which takes 500 bytes with its
    numbers: 40 MB of a 100k-note build's memory)."""

    st_size: int
    st_mtime_ns: int


class SourceFile(NamedTuple):
    """A file to index as the scan found it (a tuple: an update makes one per file, 10k of them)."""

    real: str  # real path (symbolic links resolved): what the index stores
    root: Path  # the declared source it was found under (real path)
    kind: str  # "note" or "catalog"
    rel: str = ""  # path as found below the root ("sub/x.md"): the default id of a note
    stat: FileStat | None = None  # as the scan found it (the index compares size and mtime)

    @property
    def path(self) -> Path:
        """The real path as a Path (made when asked: most files of an update are only compared)."""
        return Path(self.real)


_KINDS = {**dict.fromkeys(config.NOTE_SUFFIXES, "note"), **dict.fromkeys(config.CATALOG_SUFFIXES, "catalog")}


def kind_of(path: Path | str) -> str | None:
    return _KINDS.get(os.path.splitext(path)[1].lower())


def _name_kind(name: str) -> str | None:
    """``kind_of`` for a bare file name that does not start with a dot (the scan's, 10k times)."""
    dot = name.rfind(".")
    return _KINDS.get(name[dot:].lower()) if dot > 0 else None


def shown(path) -> str:
    """A path as printable text: bytes that are not UTF-8 become ``\\xNN``.

    ``os.listdir`` turns such bytes into lone surrogates, which cannot be
    printed, written to JSON or indexed; every Problem uses this instead.

        >>> shown(os.fsdecode(b"caf\\xe9.md"))
        'caf\\\\xe9.md'
    """
    return os.fsencode(os.fspath(path)).decode("utf-8", "backslashreplace")


def open_regular(path) -> int:
    """A file descriptor on ``path``, refusing anything but a regular file.

    A FIFO named ``x.md`` would block ``open`` forever, a device could be read
    forever: O_NONBLOCK makes the open return at once, fstat rejects them."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, t("scan.not_regular"), str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_index_folder(path) -> bool:
    """A folder that carries searchkit's index marker: never scanned as a source."""
    return os.path.isfile(os.path.join(path, config.INDEX_MARKER))


_NAME = attrgetter("name")


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def scan(sources, follow_links: bool = False) -> tuple[list[SourceFile], list[Problem]]:
    """Every indexable file below ``sources`` (folders or files), sorted, once each."""
    found = _Scan(follow_links)
    for source in sources:
        found.source(Path(source).absolute())
    return [found.files[k] for k in sorted(found.files)], found.problems


class _Scan:
    """One scan: the files found (by real path) and the problems met, source after source."""

    def __init__(self, follow_links: bool):
        self.follow_links = follow_links
        self.files: dict[str, SourceFile] = {}
        self.problems: list[Problem] = []
        self._roots: dict[str, Path] = {}

    def add(self, real: str, root: str, kind: str, rel: str, st: os.stat_result | None = None) -> None:
        if real not in self.files:
            root_path = self._roots.get(root) or self._roots.setdefault(root, Path(root))
            self.files[real] = SourceFile(real, root_path, kind, rel, st and FileStat(st.st_size, st.st_mtime_ns))

    def warn(self, path, key: str, **values) -> None:
        self.problems.append(Problem(path, t(key, **values)))

    def source(self, source: Path) -> None:
        """A file or folder named by the user."""
        if not _encodable(str(source)):
            return self.warn(shown(source), "scan.bad_name")
        try:
            st = os.stat(source)
        except (FileNotFoundError, NotADirectoryError):
            return self.warn(str(source), "scan.missing")
        except OSError as exc:  # a name too long, a loop, no permission on a parent...
            return self.warn(str(source), "scan.unexaminable", reason=exc.strerror or type(exc).__name__)
        if not stat.S_ISDIR(st.st_mode):
            kind = kind_of(source)
            if kind is None:
                self.warn(str(source), "scan.unsupported")
            elif not stat.S_ISREG(st.st_mode):
                self.warn(str(source), "scan.not_regular")
            else:
                real = os.path.realpath(source)
                self.add(real, os.path.dirname(real), kind, source.name)
        elif not is_index_folder(source):  # an index folder given as a source: its manifest is no catalogue
            self.folder(source)

    def folder(self, source: Path) -> None:
        """Every file below a folder, following links that stay inside it (or all, with follow_links)."""
        root = os.path.realpath(source)
        self._below = root.rstrip(os.sep) + os.sep
        self._walk(root, root, set())

    def _walk(self, dirpath: str, root: str, seen_dirs: set[str]) -> None:
        """One folder: its sub-folders decided, its files added, then the sub-folders walked
        (the order of ``os.walk``, whose entries' ``stat`` is reused instead of a call per file)."""
        real_dir = os.path.realpath(dirpath)
        if real_dir in seen_dirs:  # reached twice through links: already done
            return
        seen_dirs.add(real_dir)
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            return self.warn(shown(exc.filename or dirpath), "scan.denied")
        subdirs, files = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # a link to a folder counts as a folder, as in os.walk
            except OSError:
                is_dir = False
            (subdirs if is_dir else files).append(entry)
        subdirs = [e.path for e in subdirs if self._enter(dirpath, real_dir, e.name, root)]
        below = self._below
        rel_dir = ""  # the folder's path below the root, as a note's default id starts
        if dirpath != root:
            rel_dir = (dirpath[len(below):] if dirpath.startswith(below) else os.path.relpath(dirpath, root))
            rel_dir = rel_dir.replace(os.sep, "/") + "/"
        real_prefix = os.path.join(real_dir, "")
        for entry in files:
            name = entry.name
            if name[0] != "." and (kind := _name_kind(name)) is not None:
                self._file(entry, real_prefix, rel_dir, kind, root)
        for sub in subdirs:
            self._walk(sub, root, seen_dirs)

    def _enter(self, dirpath: str, real_dir: str, name: str, root: str) -> bool:
        """Whether the walk goes into the sub-folder ``name`` (hidden ones, index folders and
        links that loop, break or lead outside the sources are not entered)."""
        full = os.path.join(dirpath, name)
        if name.startswith(".") or name in config.SKIPPED_DIRS or is_index_folder(full):
            return False
        if not _encodable(name):
            self.warn(shown(full), "scan.bad_name")
            return False
        if not os.path.islink(full):
            return True
        target = os.path.realpath(full)
        if not os.path.isdir(target):
            self.warn(full, "scan.broken_link")
        elif _inside(real_dir, target):
            self.warn(full, "scan.loop")
        elif _inside(target, root):
            pass  # its files are indexed where they really are
        elif not self.follow_links:
            self.warn(full, "scan.outside")
        else:
            return True
        return False

    def _file(self, entry: os.DirEntry, real_prefix: str, rel_dir: str, kind: str, root: str) -> None:
        name, full = entry.name, entry.path
        if not name.isascii() and not _encodable(name):
            return self.warn(shown(full), "scan.bad_name")
        rel = rel_dir + name
        is_link = False
        try:
            is_link = entry.is_symlink()
            st = os.stat(full) if is_link else entry.stat(follow_symlinks=False)  # cached by the scan
        except OSError as exc:
            if not is_link:
                key = "scan.vanished" if exc.errno == errno.ENOENT else "scan.denied"
            else:
                key = "scan.loop" if exc.errno == errno.ELOOP else "scan.broken_link"
            return self.warn(full, key)
        if not stat.S_ISREG(st.st_mode):  # a FIFO, socket or device named like a note
            return self.warn(full, "scan.not_regular")
        if not is_link:  # in a folder whose real path is known: no realpath() per file
            return self.add(real_prefix + name, root, kind, rel, st)
        target = os.path.realpath(full)
        if not _inside(target, root) and not self.follow_links:
            return self.warn(full, "scan.outside")
        if not _encodable(target):
            return self.warn(shown(target), "scan.bad_name")
        if _inside(target, root):
            rel = os.path.relpath(target, root).replace(os.sep, "/")
        self.add(target, root, kind, rel)
