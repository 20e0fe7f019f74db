"""Saved searches, and what is new in them since they last ran.

The searches live in ``config_dir()/saved.toml``, one table per search, easy
to edit by hand::

    ["budget communal"]
    query = "budget"
    kind = "dataset"
    tag = ["finances"]

(keys: ``query``, ``kind``, ``sort`` and any facet of ``model.FACETS``, each
facet a list of values).  What each search found when it last ran (record id
and a fingerprint of its version) is kept in ``state_dir()/saved-runs.json``:
a record is *new* when it was not among those results or its fingerprint
changed (a note edited, a dataset updated).  A search never run before finds
every record new.
"""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from searchkit.config import config_dir, state_dir
from searchkit.errors import ConfigError, SearchkitError
from searchkit.history import write_replacing
from searchkit.messages import t
from searchkit.model import DATE_FILTERS, FACET_ALIASES, FACETS, MAX_LIMIT, SORTS, Hit, Results

SAVED_FILE = "saved.toml"
RUNS_FILE = "saved-runs.json"
MAX_NAME = 80


class SavedSearchUnknown(SearchkitError):
    """No saved search has that name."""


@dataclass(frozen=True)
class SavedSearch:
    name: str
    query: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    kind: str | None = None
    sort: str = SORTS[0]

    def describe(self) -> str:
        """``"budget" tag=finances kind=dataset``: the search as one line."""
        parts = [json.dumps(self.query, ensure_ascii=False)]
        parts += [f"{name}={value}" for name, values in self.filters.items() for value in values]
        if self.kind:
            parts.append(f"kind={self.kind}")
        if self.sort != SORTS[0]:
            parts.append(f"sort={self.sort}")
        return " ".join(parts)


@dataclass(frozen=True)
class Run:
    """What one saved search found: its results, the new ones among them, and the previous run's time."""

    search: SavedSearch
    results: Results
    new: tuple[Hit, ...]
    since: str | None  # when it last ran, None the first time


def saved_path() -> Path:
    return config_dir() / SAVED_FILE


def runs_path() -> Path:
    return state_dir() / RUNS_FILE


# ---------------------------------------------------------------- the file


def _parse(name: str, table: object, path: Path) -> SavedSearch:
    def bad(reason: str) -> ConfigError:
        return ConfigError(t("saved.bad_entry", path=path, name=name, reason=reason))

    if not isinstance(table, dict):
        raise bad("table")
    filters: dict[str, list[str]] = {}
    query, kind, sort = table.get("query", ""), table.get("kind"), table.get("sort", SORTS[0])
    if not isinstance(query, str):
        raise bad("query")
    if kind not in (None, "note", "dataset"):
        raise bad("kind")
    if sort not in SORTS:
        raise bad("sort")
    for key, value in table.items():
        if key in ("query", "kind", "sort"):
            continue
        facet = FACET_ALIASES.get(key, key)
        values = [value] if isinstance(value, str) else value
        if (facet not in FACETS and facet not in DATE_FILTERS) or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise bad(key)
        filters.setdefault(facet, []).extend(values)
    return SavedSearch(name, query, filters, kind, sort)


def load() -> dict[str, SavedSearch]:
    """The saved searches by name, in the file's order ({} when there is no file)."""
    path = saved_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(t("saved.unreadable", path=path, reason=exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(t("saved.bad_toml", path=path, reason=exc)) from exc
    return {name: _parse(name, table, path) for name, table in data.items()}


def _store(searches: dict[str, SavedSearch]) -> None:
    data = {}
    for s in searches.values():
        table: dict = {"query": s.query}
        if s.kind:
            table["kind"] = s.kind
        if s.sort != SORTS[0]:
            table["sort"] = s.sort
        table.update({name: list(values) for name, values in s.filters.items() if values})
        data[s.name] = table
    header = "".join(f"# {line}\n" for line in t("saved.file_header").split("\n"))
    write_replacing(saved_path(), header + "\n" + tomli_w.dumps(data))


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ConfigError(t("saved.bad_name", max=MAX_NAME))
    return name


def add(search: SavedSearch) -> bool:
    """Save ``search`` (replacing one of the same name: True then)."""
    searches = load()
    replaced = search.name in searches
    searches[search.name] = search
    _store(searches)
    return replaced


def get(name: str) -> SavedSearch:
    found = load().get(name)
    if found is None:
        raise SavedSearchUnknown(t("saved.unknown", name=name, path=saved_path()))
    return found


def remove(name: str) -> None:
    searches = load()
    if name not in searches:
        raise SavedSearchUnknown(t("saved.unknown", name=name, path=saved_path()))
    del searches[name]
    _store(searches)
    runs = _runs()
    if runs.pop(name, None) is not None:
        write_replacing(runs_path(), json.dumps(runs, ensure_ascii=False))


# ---------------------------------------------------------------- runs


def fingerprint(hit: Hit) -> str:
    """What changes when a record changes: a dataset's own modification date, else its file's time."""
    if hit.kind == "dataset" and hit.modified:
        return hit.modified
    return repr(round(hit.mtime, 6))


def _runs() -> dict:
    try:
        data = json.loads(runs_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_runs() -> dict[str, str]:
    """When each saved search last ran (``YYYY-MM-DD HH:MM``), by name."""
    return {name: r["at"] for name, r in _runs().items() if isinstance(r, dict) and isinstance(r.get("at"), str)}


def run(engine, search: SavedSearch, *, remember: bool = True) -> Run:
    """Run ``search`` on ``engine`` (a ``query.Engine``): every result, and the new ones.

    ``remember``: this run becomes the one the next is compared with (the app's
    counts of new records peek without it)."""
    results = engine.search(search.query, filters=search.filters, kind=search.kind, sort=search.sort,
                            limit=MAX_LIMIT, facets=())
    runs = _runs()
    last = runs.get(search.name) if isinstance(runs.get(search.name), dict) else None
    seen = last.get("seen", {}) if last else {}
    new = tuple(h for h in results.hits if seen.get(h.id) != fingerprint(h))
    if remember:
        runs[search.name] = {"at": time.strftime("%Y-%m-%d %H:%M"), "seen": {h.id: fingerprint(h) for h in results.hits}}
        try:
            write_replacing(runs_path(), json.dumps(runs, ensure_ascii=False))
        except OSError as exc:
            raise ConfigError(t("saved.state_unwritable", path=runs_path(), reason=exc)) from exc
    return Run(search, results, new, last.get("at") if last else None)
