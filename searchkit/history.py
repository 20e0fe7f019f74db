"""The search history: what was searched, never what was found.

Every ``searchkit query`` and every search typed in the app (once the typing
pauses) is remembered in ``state_dir()/history.jsonl``, one JSON object a line
(``{"at", "query", "filters", "kind", "origin"}``), the last ``MAX_ENTRIES``
only.  The same search twice in a row is remembered once.
``SEARCHKIT_HISTORY=0`` (or ``no``, ``off``, ``false``) turns it off: nothing
is read or written.  History is a convenience: a state folder that cannot be
written never stops a search.

    >>> remember("budget", {"tag": ["finances"]}, origin="cli")   # doctest: +SKIP
    >>> [e.query for e in entries()][-1]                          # doctest: +SKIP
    'budget'
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from searchkit.config import state_dir

MAX_ENTRIES = 500
HISTORY_FILE = "history.jsonl"
OFF_VALUES = frozenset({"0", "no", "non", "off", "false"})


@dataclass(frozen=True)
class Entry:
    at: str  # local time, ISO 8601 to the second
    query: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    kind: str | None = None
    origin: str = "cli"  # "cli" or "app"

    def same_search(self, other: "Entry") -> bool:
        return (self.query, self.filters, self.kind) == (other.query, other.filters, other.kind)


def enabled() -> bool:
    """False when ``SEARCHKIT_HISTORY`` turns the history off."""
    return os.environ.get("SEARCHKIT_HISTORY", "").strip().lower() not in OFF_VALUES


def history_path() -> Path:
    return state_dir() / HISTORY_FILE


def entries() -> list[Entry]:
    """The remembered searches, oldest first ([] when off, absent or unreadable); bad lines are skipped."""
    if not enabled():
        return []
    try:
        lines = history_path().read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            d = json.loads(line)
            filters = {str(k): [str(v) for v in vs] for k, vs in (d.get("filters") or {}).items() if isinstance(vs, list)}
            out.append(Entry(str(d["at"]), str(d["query"]), filters, d.get("kind") or None, str(d.get("origin", "cli"))))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return out


def remember(query: str, filters: dict[str, list[str]] | None = None, kind: str | None = None,
             origin: str = "cli") -> bool:
    """Add one search (not its results); False when off, a repeat of the last one, or not writable."""
    query = query.strip()
    filters = {k: list(v) for k, v in sorted((filters or {}).items()) if v}
    if not enabled() or not (query or filters or kind):
        return False
    entry = Entry(time.strftime("%Y-%m-%dT%H:%M:%S"), query, filters, kind, origin)
    past = entries()
    if past and past[-1].same_search(entry):
        return False
    kept = (past + [entry])[-MAX_ENTRIES:]
    text = "".join(json.dumps(e.__dict__) + "\n" for e in kept)  # ASCII: undecodable typed bytes too
    try:
        write_replacing(history_path(), text)
    except OSError:
        return False
    return True


def clear() -> None:
    """Forget every search."""
    try:
        history_path().unlink()
    except FileNotFoundError:
        pass


def write_replacing(path: Path, text: str) -> None:
    """Replace ``path`` whole (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
