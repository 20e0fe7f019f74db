"""Settings: where the index and the sources are, which front-matter keys mean what.

One function, ``settings()``, finds the configuration.  Each setting comes from,
by priority: a command-line option, an environment variable, the configuration
file, the default.  ``Settings.origins`` says which one it was (``searchkit config``
prints it).

- ``SEARCHKIT_CONFIG``: the configuration file (default
  ``$XDG_CONFIG_HOME/searchkit/config.toml``), TOML read with ``tomllib``; its keys
  are ``FILE_KEYS`` below, portals in ``[[portals]]`` tables (``PORTAL_KEYS``),
  ranking weights in ``[ranking]`` (``RANKING``).  Relative paths in it are
  relative to the file's folder; ``~`` is the home folder.
- ``SEARCHKIT_INDEX``: the index folder (default ``./index``).
- ``SEARCHKIT_SOURCES``: source folders or files, separated by ``os.pathsep``
  (default ``./notes``).  Unless sources are given as arguments, the folders of the
  configured portals that have been harvested are sources too.
- ``SEARCHKIT_LANG``: ``fr`` or ``en`` for messages (then the file's ``lang``, then
  ``LANG``: French unless it asks for English).
- ``SEARCHKIT_THESAURUS``: an extra YAML thesaurus merged over the bundled one.
- ``SEARCHKIT_WORKERS``: processes a large full rebuild may use.
- ``SEARCHKIT_HARVEST``: the folder where ``searchkit harvest`` writes catalogues
  (default ``./catalogues``; one sub-folder per portal host).
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from searchkit.errors import ConfigError

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


# Ranking weights a user may tune in the ``[ranking]`` table, with their defaults
RANKING: dict[str, float] = {
    # share a dataset with the richest description (length, tags, resources) scores more in the re-ranking
    "richness": 0.15,
    # weight of a dataset's popularity (views, followers, reuses) in its first-stage score:
    # + sqrt(score * best score) * w * popularity / n**2 for n meaningful query words, more for one
    # broad word (query/engine.py _lifts)
    "popularity": 1.0,
}
# The portal APIs ``searchkit harvest`` speaks (sources/harvest/kinds.py has one entry each)
HARVEST_KINDS = ("udata", "ckan", "ods", "dcat", "csw")
# Keys of the configuration file and the type of their value
FILE_KEYS: dict[str, type] = {"index": str, "sources": list, "lang": str, "thesaurus": str, "workers": int,
                              "harvest": str, "portals": list, "ranking": dict}
PORTAL_KEYS: dict[str, type] = {"name": str, "url": str, "kind": str, "schedule": str, "into": str}
DEFAULT, FILE, ENVIRONMENT, OPTION = "default", "file", "environment", "option"  # where a setting came from


@dataclass(frozen=True)
class Portal:
    """A portal to harvest: ``folder`` receives its pages (``<harvest>/<host>`` unless ``into``)."""

    name: str
    url: str
    kind: str | None
    schedule: str
    folder: Path


@dataclass(frozen=True)
class Settings:
    index: Path
    sources: tuple[Path, ...]
    lang: str
    workers: int = 1  # processes a large full rebuild may use (``searchkit index``)
    thesaurus: Path | None = None  # the extra thesaurus merged over the bundled one
    harvest: Path = Path("catalogues").absolute()  # where ``searchkit harvest`` writes, one folder per host
    portals: tuple[Portal, ...] = ()
    ranking: dict[str, float] = field(default_factory=lambda: dict(RANKING))
    config_file: Path | None = None  # the configuration file read (None when there is none)
    origins: dict[str, str] = field(default_factory=dict)  # setting -> DEFAULT / FILE / ENVIRONMENT / OPTION


def config_file() -> Path:
    """The configuration file: ``SEARCHKIT_CONFIG``, else ``config_dir()/config.toml`` (may not exist)."""
    explicit = os.environ.get("SEARCHKIT_CONFIG", "").strip()
    return Path(explicit).expanduser() if explicit else config_dir() / "config.toml"


_CACHE: dict[tuple, dict] = {}


def _line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The line where ``key =`` is written (inside ``[table]`` when given), for error messages."""
    inside = table is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = table is not None and stripped.strip("[] ") == table
            if table is None and stripped.strip("[] ") == key:
                return number
            continue
        if inside and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return None


def _problem(path: Path, text: str, key: str, message_key: str, table: str | None = None, **values) -> ConfigError:
    from searchkit.messages import t  # messages imports this module

    line = _line_of(text, key.rsplit(".", 1)[-1], table)
    where = t("config.where_line", path=_shown(path), line=line) if line else _shown(path)
    return ConfigError(t(message_key, where=where, key=key, **values))


def _shown(path: Path) -> str:
    from searchkit.display import escaped

    return escaped(path)


def _check(path: Path, text: str, data: dict) -> dict:
    """``data`` when every key is known and of the right type, else ConfigError naming the key."""
    def typed(value, kind, key, table=None):
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise _problem(path, text, key, "config.bad_type", table, expected=_type_name(kind))

    for key, value in data.items():
        if key not in FILE_KEYS:
            raise _problem(path, text, key, "config.unknown_key", known=", ".join(FILE_KEYS))
        typed(value, FILE_KEYS[key], key)
    for item in data.get("sources", []):
        typed(item, str, "sources")
    for key, value in data.get("ranking", {}).items():
        if key not in RANKING:
            raise _problem(path, text, f"ranking.{key}", "config.unknown_key", "ranking", known=", ".join(RANKING))
        typed(value, float, f"ranking.{key}", "ranking")
    if data.get("lang", "fr") not in ("fr", "en"):
        raise _problem(path, text, "lang", "config.bad_value", expected="fr, en")
    if data.get("workers", 1) < 1:
        raise _problem(path, text, "workers", "config.bad_value", expected="1, 2, 3...")
    for portal in data.get("portals", []):
        if not isinstance(portal, dict):
            raise _problem(path, text, "portals", "config.bad_type", expected=_type_name(dict))
        for key, value in portal.items():
            if key not in PORTAL_KEYS:
                raise _problem(path, text, f"portals.{key}", "config.unknown_key", "portals", known=", ".join(PORTAL_KEYS))
            typed(value, PORTAL_KEYS[key], f"portals.{key}", "portals")
        for key in ("name", "url"):
            if not portal.get(key, "").strip():
                raise _problem(path, text, f"portals.{key}", "config.missing_key", "portals")
        if urlsplit(portal["url"]).scheme not in ("http", "https"):
            raise _problem(path, text, "portals.url", "config.bad_value", "portals", expected="http(s)://...")
        if portal.get("kind", "udata") not in HARVEST_KINDS:
            raise _problem(path, text, "portals.kind", "config.bad_value", "portals", expected=", ".join(HARVEST_KINDS))
    return data




def _type_name(kind: type) -> str:
    from searchkit.messages import t

    return t(f"config.type.{kind.__name__}")


def read_file(path: Path | None = None) -> dict:
    """The checked content of the configuration file (``{}`` when there is none); ConfigError
    naming the file, the line and the key when it cannot be used."""
    path = path or config_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if os.environ.get("SEARCHKIT_CONFIG", "").strip():
            from searchkit.messages import t

            raise ConfigError(t("config.missing", path=_shown(path))) from None
        return {}
    except OSError as exc:
        from searchkit.messages import t

        raise ConfigError(t("config.unreadable", path=_shown(path), reason=exc.strerror or exc)) from exc
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        from searchkit.messages import t

        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(t("config.unreadable", path=_shown(path), reason=getattr(exc, "strerror", None) or exc)) from exc
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
            reason = re.sub(r"\s*\(at (?:line|end of document).*\)", "", str(exc)) or str(exc)
            line = found.group(1) if found else len(text.splitlines()) if "end of document" in str(exc) else None
            where = t("config.where_line", path=_shown(path), line=line) if line else _shown(path)
            raise ConfigError(t("config.syntax", where=where, reason=reason)) from None
        _CACHE.clear()
        _CACHE[key] = _check(path, text, data)
    return _CACHE[key]


_READING = threading.local()  # set while the file is read: its error messages ask for the language


def _quiet_file() -> dict:
    """The file's settings, or nothing when it has an error (``settings()`` reports it) or is being read."""
    if getattr(_READING, "active", False):
        return {}
    _READING.active = True
    try:
        return read_file()
    except ConfigError:
        return {}
    finally:
        _READING.active = False


def _file_path(value: str, path: Path) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else path.parent / candidate


def language() -> str:
    """``fr`` or ``en``: SEARCHKIT_LANG, else the file's ``lang``, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG."""
    explicit = os.environ.get("SEARCHKIT_LANG", "").strip().lower()
    if explicit[:2] in ("fr", "en"):
        return explicit[:2]
    if _quiet_file().get("lang"):
        return _quiet_file()["lang"]
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").lower()
        if value.startswith("en"):
            return "en"
        if value.startswith("fr"):
            return "fr"
    return "fr"


def workers() -> int:
    """SEARCHKIT_WORKERS when it is a positive whole number, else the file's ``workers``, else the
    usable cores (at most MAX_WORKERS)."""
    value = os.environ.get("SEARCHKIT_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if _quiet_file().get("workers"):
        return _quiet_file()["workers"]
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


def cache_dir() -> Path:
    """What searchkit can compute again and keeps to go faster (the thesaurus tables):
    ``$XDG_CACHE_HOME/searchkit`` (default ``~/.cache/searchkit``).  Not created here."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / "searchkit"


def thesaurus_file() -> Path | None:
    """The user's thesaurus: SEARCHKIT_THESAURUS, else the file's ``thesaurus``, else None."""
    explicit = os.environ.get("SEARCHKIT_THESAURUS", "").strip()
    if explicit:
        return Path(explicit)
    value = _quiet_file().get("thesaurus")
    return _file_path(value, config_file()) if value else None


def host_folder(url: str) -> str:
    """The folder name of a portal's harvested pages: its host (and port when not the default)."""
    parts = urlsplit(url)
    name = parts.hostname or "portal"
    return f"{name}_{parts.port}" if parts.port else name


def settings(index: str | os.PathLike | None = None, sources=None) -> Settings:
    """The effective settings: arguments, then environment, then the configuration file, then defaults.

    Raises ConfigError (one line naming the file, the line and the key) when the file cannot be used.
    """
    path = config_file()
    data = read_file(path)
    origins: dict[str, str] = {}

    def pick(name: str, option, env: str | None, default):
        if option:
            origins[name] = OPTION
            return option
        if env and os.environ.get(env, "").strip():
            origins[name] = ENVIRONMENT
            return os.environ[env].strip()
        if name in data:
            origins[name] = FILE
            return data[name]
        origins[name] = DEFAULT
        return default

    index_value = pick("index", index, "SEARCHKIT_INDEX", "index")
    index_dir = _file_path(index_value, path) if origins["index"] == FILE else Path(index_value)
    harvest_value = pick("harvest", None, "SEARCHKIT_HARVEST", "catalogues")
    harvest = _file_path(harvest_value, path) if origins["harvest"] == FILE else Path(harvest_value)
    portals = tuple(
        Portal(name=p["name"].strip(), url=p["url"].strip(), kind=p.get("kind"), schedule=p.get("schedule", ""),
               folder=(_file_path(p["into"], path) if p.get("into") else harvest / host_folder(p["url"])).absolute())
        for p in data.get("portals", [])
    )
    origins["portals"] = FILE if portals else DEFAULT
    source_value = pick("sources", tuple(sources or ()), "SEARCHKIT_SOURCES", ("notes",))
    if origins["sources"] == ENVIRONMENT:
        source_paths = tuple(Path(s) for s in source_value.split(os.pathsep) if s)
    elif origins["sources"] == FILE:
        source_paths = tuple(_file_path(s, path) for s in source_value)
    else:
        source_paths = tuple(Path(s) for s in source_value)
    if origins["sources"] != OPTION:  # harvested catalogues are sources like the others
        source_paths += tuple(p.folder for p in portals if p.folder.is_dir())
    lang = language()
    origins["lang"] = (ENVIRONMENT if os.environ.get("SEARCHKIT_LANG", "").strip().lower()[:2] in ("fr", "en")
                       else FILE if "lang" in data else DEFAULT)
    thesaurus = thesaurus_file()
    origins["thesaurus"] = (ENVIRONMENT if os.environ.get("SEARCHKIT_THESAURUS", "").strip()
                            else FILE if "thesaurus" in data else DEFAULT)
    origins["workers"] = (ENVIRONMENT if os.environ.get("SEARCHKIT_WORKERS", "").strip().isdigit()
                          else FILE if "workers" in data else DEFAULT)
    ranking = dict(RANKING)
    for name in RANKING:
        origins[f"ranking.{name}"] = FILE if name in data.get("ranking", {}) else DEFAULT
        ranking[name] = float(data.get("ranking", {}).get(name, RANKING[name]))
    return Settings(index=index_dir.absolute(), sources=tuple(dict.fromkeys(p.absolute() for p in source_paths)),
                    lang=lang, workers=workers(), thesaurus=thesaurus.absolute() if thesaurus else None,
                    harvest=harvest.absolute(), portals=portals, ranking=ranking,
                    config_file=path if path.is_file() else None, origins=origins)
