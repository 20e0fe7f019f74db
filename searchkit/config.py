"""Settings: where the index and the sources are, which front-matter keys mean what.

One function, ``settings()``, finds the configuration; environment variables
override the defaults and command-line options override both.

- ``SEARCHKIT_INDEX``: the index folder (default ``./index``).
- ``SEARCHKIT_SOURCES``: source folders or files, separated by ``os.pathsep``
  (default ``./notes``).
- ``SEARCHKIT_LANG``: ``fr`` or ``en`` for messages (default: from ``LANG``,
  French unless it asks for English).
- ``SEARCHKIT_THESAURUS``: an extra YAML thesaurus merged over the bundled one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Front-matter keys, matched case- and accent-insensitively.  The first column is
# the Record field; the tuple lists what users write for it.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "uid"),
    "title": ("title", "titre"),
    "types": ("types", "type", "category", "categorie"),
    "tags": ("tags", "tag", "keywords", "mots-cles", "mots cles", "motscles"),
    "url": ("link", "links", "url", "lien", "liens"),
    "summary": ("kesako", "kezako", "short", "description", "summary", "resume"),
    "created": ("date", "created", "creation", "date de creation"),
    "modified": ("modified", "updated", "lastmod", "mise a jour"),
}

# Values that mean "nothing" in a types or tags list
EMPTY_VALUES = frozenset({"", "undefined", "none", "null", "n/a", "-"})

NOTE_SUFFIXES = frozenset({".md", ".markdown", ".mdown"})
CATALOG_SUFFIXES = frozenset({".csv", ".json", ".jsonld", ".xml", ".rdf", ".ttl", ".n3", ".nt"})
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})  # and every hidden folder

MAX_NOTE_BYTES = 64 * 1024 * 1024  # larger files are skipped with a warning
MAX_BODY_CHARS = 2_000_000  # what is indexed of one body
LOCK_TIMEOUT = 5.0  # seconds a second writer waits for the index lock
MAX_WORKERS = 4  # processes a full rebuild uses at most, unless SEARCHKIT_WORKERS says more
# written first in every index folder searchkit creates, with the format version: a folder
# without it is not ours (searchkit refuses to write there if it holds anything) and a
# folder with it is never scanned as a source
INDEX_MARKER = ".searchkit-index"


@dataclass(frozen=True)
class Settings:
    index: Path
    sources: tuple[Path, ...]
    lang: str
    workers: int = 1  # processes a large full rebuild may use (``searchkit index``)
    thesaurus: Path | None = None  # a user thesaurus merged over the bundled one


def language() -> str:
    """``fr`` or ``en``: SEARCHKIT_LANG, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG."""
    explicit = os.environ.get("SEARCHKIT_LANG", "").strip().lower()
    if explicit[:2] in ("fr", "en"):
        return explicit[:2]
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").lower()
        if value.startswith("en"):
            return "en"
        if value.startswith("fr"):
            return "fr"
    return "fr"


def workers() -> int:
    """SEARCHKIT_WORKERS when it is a positive whole number, else the usable cores (at most MAX_WORKERS)."""
    value = os.environ.get("SEARCHKIT_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def config_dir() -> Path:
    """Where the configuration file and saved searches live: ``$XDG_CONFIG_HOME/searchkit``
    (default ``~/.config/searchkit``).  Not created here."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".config") / "searchkit"


def state_dir() -> Path:
    """Where searchkit keeps what it remembers between runs (search history, the last
    run of each saved search): ``$XDG_STATE_HOME/searchkit`` (default
    ``~/.local/state/searchkit``).  Not created here."""
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state") / "searchkit"


def settings(index: str | os.PathLike | None = None, sources=None) -> Settings:
    """The effective settings: arguments, then environment, then defaults."""
    index_dir = Path(index or os.environ.get("SEARCHKIT_INDEX") or "index")
    if sources:
        source_paths = tuple(Path(s) for s in sources)
    elif os.environ.get("SEARCHKIT_SOURCES"):
        source_paths = tuple(Path(s) for s in os.environ["SEARCHKIT_SOURCES"].split(os.pathsep) if s)
    else:
        source_paths = (Path("notes"),)
    user_thesaurus = os.environ.get("SEARCHKIT_THESAURUS", "").strip()
    return Settings(index=index_dir.absolute(), sources=tuple(p.absolute() for p in source_paths), lang=language(),
                    workers=workers(), thesaurus=Path(user_thesaurus) if user_thesaurus else None)
