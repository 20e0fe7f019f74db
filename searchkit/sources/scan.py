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
from dataclasses import dataclass
from pathlib import Path

from searchkit import config
from searchkit.messages import t
from searchkit.model import Problem


@dataclass(frozen=True, slots=True)
class SourceFile:
    real: str  # real path (symbolic links resolved): what the index stores
    root: Path  # the declared source it was found under (real path)
    kind: str  # "note" or "catalog"
    rel: str = ""  # path as found below the root ("sub/x.md"): the default id of a note
    stat: os.stat_result | None = None  # as the scan found it (the index compares size and mtime)

    @property
    def path(self) -> Path:
        """The real path as a Path (made when asked: most files of an update are only compared)."""
        return Path(self.real)


def kind_of(path: Path | str) -> str | None:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in config.NOTE_SUFFIXES:
        return "note"
    if suffix in config.CATALOG_SUFFIXES:
        return "catalog"
    return None


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
    files: dict[str, SourceFile] = {}
    problems: list[Problem] = []

    roots: dict[str, Path] = {}

    def add(real: str, root: str, kind: str, rel: str, st: os.stat_result | None = None) -> None:
        if real not in files:
            files[real] = SourceFile(real, roots.get(root) or roots.setdefault(root, Path(root)), kind, rel, st)

    for source in sources:
        source = Path(source).absolute()
        if not _encodable(str(source)):
            problems.append(Problem(shown(source), t("scan.bad_name")))
            continue
        try:
            st = os.stat(source)
        except (FileNotFoundError, NotADirectoryError):
            problems.append(Problem(str(source), t("scan.missing")))
            continue
        except OSError as exc:  # a name too long, a loop, no permission on a parent...
            problems.append(Problem(str(source), t("scan.unexaminable", reason=exc.strerror or type(exc).__name__)))
            continue
        if not stat.S_ISDIR(st.st_mode):
            kind = kind_of(source)
            if kind is None:
                problems.append(Problem(str(source), t("scan.unsupported")))
            elif not stat.S_ISREG(st.st_mode):
                problems.append(Problem(str(source), t("scan.not_regular")))
            else:
                real = os.path.realpath(source)
                add(real, os.path.dirname(real), kind, source.name)
            continue
        if is_index_folder(source):
            continue  # an index folder given as a source: its manifest is not a catalogue
        root_real = os.path.realpath(source)
        below = root_real.rstrip(os.sep) + os.sep
        seen_dirs: set[str] = set()

        def onerror(exc: OSError) -> None:
            problems.append(Problem(shown(exc.filename or source), t("scan.denied")))

        for dirpath, dirnames, filenames in os.walk(root_real, onerror=onerror, followlinks=True):
            real_dir = os.path.realpath(dirpath)
            if real_dir in seen_dirs:  # reached twice through links: already done
                dirnames[:] = []
                continue
            seen_dirs.add(real_dir)
            keep = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                if d.startswith(".") or d in config.SKIPPED_DIRS or is_index_folder(full):
                    continue
                if not _encodable(d):
                    problems.append(Problem(shown(full), t("scan.bad_name")))
                    continue
                if os.path.islink(full):
                    target = os.path.realpath(full)
                    if not os.path.isdir(target):
                        problems.append(Problem(full, t("scan.broken_link")))
                        continue
                    if _inside(real_dir, target):
                        problems.append(Problem(full, t("scan.loop")))
                        continue
                    if _inside(target, root_real):
                        continue  # its files are indexed where they really are
                    if not follow_links:
                        problems.append(Problem(full, t("scan.outside")))
                        continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                full = os.path.join(dirpath, name)
                kind = kind_of(name)
                if kind is None:
                    continue
                if not _encodable(name):
                    problems.append(Problem(shown(full), t("scan.bad_name")))
                    continue
                rel = (full[len(below):] if full.startswith(below) else os.path.relpath(full, root_real)).replace(os.sep, "/")
                is_link = False
                try:
                    st = os.lstat(full)  # one call for a regular file: it is its stat
                    is_link = stat.S_ISLNK(st.st_mode)
                    if is_link:
                        st = os.stat(full)
                except OSError as exc:
                    if not is_link:
                        key = "scan.vanished" if exc.errno == errno.ENOENT else "scan.denied"
                    else:
                        key = "scan.loop" if exc.errno == errno.ELOOP else "scan.broken_link"
                    problems.append(Problem(full, t(key)))
                    continue
                if not stat.S_ISREG(st.st_mode):  # a FIFO, socket or device named like a note
                    problems.append(Problem(full, t("scan.not_regular")))
                    continue
                if is_link:
                    target = os.path.realpath(full)
                    if not _inside(target, root_real) and not follow_links:
                        problems.append(Problem(full, t("scan.outside")))
                        continue
                    if not _encodable(target):
                        problems.append(Problem(shown(target), t("scan.bad_name")))
                        continue
                    if _inside(target, root_real):
                        rel = os.path.relpath(target, root_real).replace(os.sep, "/")
                    add(target, root_real, kind, rel)
                    continue
                # not a link, in a folder whose real path is known: no realpath() per file
                add(os.path.join(real_dir, name), root_real, kind, rel, st)
    return [files[k] for k in sorted(files)], problems
