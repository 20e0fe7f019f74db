"""Find the files to index below the source paths.

Hidden folders (``.git``, ``.obsidian``) and ``node_modules`` are skipped;
symbolic links are followed only while they stay inside the source root
(unless ``follow_links``), loops are detected; unreadable folders and files
that vanish are reported, never fatal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from searchkit import config
from searchkit.messages import t
from searchkit.model import Problem


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute, as found below the root (not resolved)
    root: Path  # the declared source it was found under
    kind: str  # "note" or "catalog"


def kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in config.NOTE_SUFFIXES:
        return "note"
    if suffix in config.CATALOG_SUFFIXES:
        return "catalog"
    return None


def scan(sources, follow_links: bool = False) -> tuple[list[SourceFile], list[Problem]]:
    """Every indexable file below ``sources`` (folders or files), sorted, once each."""
    files: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for source in sources:
        source = Path(source).absolute()
        if source.is_file():
            kind = kind_of(source)
            if kind is None:
                problems.append(Problem(str(source), t("scan.unsupported")))
            else:
                files.setdefault(str(source), SourceFile(source, source.parent, kind))
            continue
        if not source.is_dir():
            problems.append(Problem(str(source), t("scan.missing")))
            continue
        root_real = os.path.realpath(source)
        seen_dirs: set[str] = set()

        def onerror(exc: OSError) -> None:
            problems.append(Problem(exc.filename or str(source), t("scan.denied")))

        for dirpath, dirnames, filenames in os.walk(source, onerror=onerror, followlinks=True):
            real = os.path.realpath(dirpath)
            if real in seen_dirs:
                problems.append(Problem(dirpath, t("scan.loop")))
                dirnames[:] = []
                continue
            seen_dirs.add(real)
            keep = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                if d.startswith(".") or d in config.SKIPPED_DIRS:
                    continue
                if os.path.islink(full):
                    target = os.path.realpath(full)
                    if target in seen_dirs or (root_real + os.sep).startswith(target + os.sep) or target == root_real:
                        problems.append(Problem(full, t("scan.loop")))
                        continue
                    if not follow_links and not (target + os.sep).startswith(root_real + os.sep):
                        problems.append(Problem(full, t("scan.outside")))
                        continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                kind = kind_of(full)
                if kind is None:
                    continue
                if full.is_symlink():
                    target = os.path.realpath(full)
                    if not os.path.exists(target):
                        problems.append(Problem(str(full), t("scan.vanished")))
                        continue
                    if not follow_links and not target.startswith(root_real + os.sep):
                        problems.append(Problem(str(full), t("scan.outside")))
                        continue
                files.setdefault(str(full), SourceFile(full, source, kind))
    return [files[k] for k in sorted(files)], problems
