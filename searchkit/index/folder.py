"""Whose folder this is: the marker that makes an index folder recognisable, and the only deletions.

searchkit writes only in a folder that carries its marker (or that it marks: an empty one,
or an index of the release before the marker) and deletes only files it can prove it wrote.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from searchkit import config
from searchkit.display import escaped
from searchkit.errors import IndexForeign, IndexWriteError
from searchkit.index.manifest import JOURNAL, MANIFEST, SEAL, Manifest, ManifestError
from searchkit.index.open import ANY_TOC, latest_generation
from searchkit.index.schema import INDEX_NAME, build_schema
from searchkit.messages import t
from searchkit.sources.read import os_reason

MARKER_FORMAT = 1  # the layout of an index folder; the marker file holds it
_MARKER_TEXT = "searchkit-index {}\n"


def _marker_format(text: str) -> int | None:
    """The format a marker holds; 0 while its writer has not written it yet; None: not ours."""
    if not text:
        return 0
    m = re.fullmatch(r"searchkit-index ([0-9]{1,6})\n?", text)
    return int(m.group(1)) if m else None


# the temporary file Whoosh writes a TOC to before renaming it (``TOC.write``:
# "<toc name>.<time()>"); a run killed between the two leaves it behind
TEMP_TOC = re.compile(r"^_sk[0-9]+_[0-9]+\.toc\.[0-9]+(\.[0-9]+)?$")

# files that keep an empty folder in version control (the repository's own index/ has one):
# a folder holding only them is empty; they are never deleted
PLACEHOLDERS = frozenset((".gitkeep", ".keep"))


def claim_folder(index_dir: Path) -> None:
    """Make sure ``index_dir`` is a searchkit index before anything is written in it.

    A folder with the marker (``config.INDEX_MARKER``) is ours; an empty one (``PLACEHOLDERS``
    aside) gets the marker before any other file; an index of the previous release (no marker, a
    manifest of exactly our shape and a TOC Whoosh can read) is adopted and marked.
    Anything else holding files raises IndexForeign: nothing is written or deleted."""
    marker = index_dir / config.INDEX_MARKER
    try:
        names = os.listdir(index_dir)
        text = marker.read_text("ascii", "replace") if config.INDEX_MARKER in names else None
    except FileNotFoundError:
        names, text = [], None
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=os_reason(exc))) from exc
    if text is not None:
        version = _marker_format(text)
        if version is None:
            raise IndexForeign(t("index.foreign", path=escaped(index_dir)))
        if version > MARKER_FORMAT:
            raise IndexForeign(t("index.newer_format", path=escaped(index_dir), version=version))
        return
    names = [n for n in names if n not in PLACEHOLDERS]
    if names and not _previous_release_index(index_dir, names):
        raise IndexForeign(t("index.foreign", path=escaped(index_dir)))
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return  # another writer marked it a moment ago
    except OSError as exc:
        raise IndexWriteError(t("index.write_error", path=index_dir, reason=os_reason(exc))) from exc
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
    return any(read_toc(index_dir, name) is not None for name in names)


def read_toc(index_dir: Path, name: str):
    """The TOC in file ``name`` when it is a TOC of ours Whoosh can read, else None."""
    m = ANY_TOC.match(name)
    if not m:
        return None
    try:  # the schema is skipped: one pickled by another version may not load
        return TOC.read(FileStorage(str(index_dir)), m.group(1), int(m.group(2)), schema=build_schema())
    except Exception:
        return None


def segment_ids(indexname: str, toc) -> set[str]:
    """The ids (file names before the extension) of the segments ``toc`` lists."""
    return {f"{indexname}_{segment.segid}" for segment in toc.segments}


def remove(path: Path) -> None:
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
    temporary manifest and journal (fixed names); Whoosh's temporary TOC files (a
    killed commit's, ``TEMP_TOC``).  Called by the lock holder only."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    for name in names:
        if name in (f".{MANIFEST}.tmp", f".{JOURNAL}.tmp", f".{SEAL}.tmp") or TEMP_TOC.match(name):
            remove(index_dir / name)
    journal = journal or {}
    tocs = [name for name in names if ANY_TOC.match(name)]
    if not known_segments and not journal and len(tocs) <= 1:
        return  # the usual case: nothing was left behind, and reading the TOC would cost more
    if journal.get("temp"):  # Whoosh's temporary folder, made by the journaled writer
        shutil.rmtree(index_dir / f"{INDEX_NAME}.tmp", ignore_errors=True)
    gen, _ = latest_generation(index_dir)
    current = read_toc(index_dir, f"_{INDEX_NAME}_{gen}.toc") if gen >= 0 else None
    if current is None:
        return  # nothing to tell kept segments from the others: the rebuild that follows cleans up
    keep = segment_ids(INDEX_NAME, current)
    doomed = set(known_segments) | set(journal.get("segments", ()))
    old_tocs = [name for name in tocs if name != f"_{INDEX_NAME}_{gen}.toc"]
    for name in old_tocs:
        toc = read_toc(index_dir, name)
        if toc is not None:
            doomed |= segment_ids(ANY_TOC.match(name).group(1), toc)
    doomed -= keep
    for name in names:  # a segment's files are its id, a dot and an extension
        if name.partition(".")[0] in doomed and name.partition(".")[2]:
            remove(index_dir / name)
    for name in old_tocs:  # last: until then they name the segments above
        remove(index_dir / name)
        version = ANY_TOC.match(name).group(1)
        if version != INDEX_NAME:  # Whoosh's lock file of that version's writer
            remove(index_dir / f"{version}_WRITELOCK")
