"""Reading one source file into records, and saying in one line why a file or a folder failed.

``read_source`` is what the index and ``searchkit check`` both call; ``reason`` and
``os_reason`` are the short explanations their messages carry.
"""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

from searchkit.errors import SearchkitError
from searchkit.messages import t
from searchkit.model import Problem, Record
from searchkit.sources.scan import SourceFile, open_regular, shown


def read_source(source: SourceFile) -> tuple[list[Record], list[Problem]]:
    """Records and problems of one file (notes here, catalogues in sources.catalogs).

    Never raises for a bad file: whatever goes wrong becomes a Problem naming
    it, and the run goes on with the other files."""
    if source.kind == "note":
        from searchkit.sources.notes import read_note  # YAML and front matter: not for a search

        try:
            record, problems = read_note(source.path, source.root, source.rel or None)
        except Exception as exc:  # a bug in the reader must not stop the run
            return [], [Problem(shown(source.path), t("file.unexpected", error=reason(exc)))]
        return ([record] if record else []), problems

    records: list[Record] = []
    problems: list[Problem] = []
    try:
        from searchkit.sources.catalogs import iter_catalog  # heavy: only when indexing catalogues

        for item in iter_catalog(source.path):
            (records if isinstance(item, Record) else problems).append(item)
    except OSError as exc:
        problems.append(Problem(shown(source.path), t("file.unreadable", reason=os_reason(exc))))
    except SearchkitError as exc:
        problems.append(Problem(shown(source.path), exc.message))
    except Exception as exc:  # a bug in a reader must not stop the run
        problems.append(Problem(shown(source.path), t("file.unexpected", error=reason(exc))))
    return records, problems


def file_hash(path: Path) -> str:
    """The content hash the manifest keeps of a source file."""
    h = hashlib.blake2b(digest_size=16)
    with open(open_regular(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reason(exc: BaseException) -> str:
    """One short line saying what went wrong, for a message."""
    first = (str(exc).splitlines() or [""])[0].strip()
    if isinstance(exc, OSError):
        text = f"{os_reason(exc)}: {Path(exc.filename).name}" if exc.filename else os_reason(exc)
    else:
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return shown(text)[:200]


_ERRNO_REASONS = {
    errno.ENOSPC: "reason.no_space", errno.EDQUOT: "reason.quota", errno.EROFS: "reason.read_only",
    errno.EACCES: "reason.denied", errno.EPERM: "reason.denied", errno.EFBIG: "reason.too_big",
    errno.ENOENT: "reason.not_found",
}


def os_reason(exc: BaseException) -> str:
    """A short reason for an OSError, in the user's language when it is a common one."""
    key = _ERRNO_REASONS.get(getattr(exc, "errno", None))
    if key:
        return t(key)
    return shown(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
