"""Synonyms applied at query time: acronyms and their expansions, spelling variants.

The bundled ``thesaurus.yaml`` holds the French open-data vocabulary, and
``thesaurus-catalogue.yaml`` the groups mined from a real catalogue (acronyms and the
titles their initials spell, tags that name one thing; each group says how it was
found: ``python -m evaluation.thesaurus_mine``); a user file
(``config.Settings.thesaurus``: ``SEARCHKIT_THESAURUS`` or the configuration file's
``thesaurus``) is merged over it.  Each entry is a group of
equivalent expressions::

    - [CNIL, commission nationale de l'informatique et des libertés]
    - [vélo, bicyclette, cyclable]
"""

from __future__ import annotations

import marshal
import os
from functools import lru_cache
from pathlib import Path

from searchkit.config import cache_dir
from searchkit.textnorm import fold

BUNDLED = (Path(__file__).with_name("thesaurus.yaml"), Path(__file__).with_name("thesaurus-catalogue.yaml"))


def _norm(text: str) -> str:
    return " ".join(fold(text).casefold().replace("'", " ").replace("’", " ").replace("-", " ").split())


def read(path: Path) -> list[tuple[str, ...]]:
    """The groups of one thesaurus file (none when it is missing or unreadable)."""
    import yaml  # only when the cache (``cached``) is out of date

    if not path.is_file():
        return []
    try:  # libyaml's loader where PyYAML has it: 6 ms instead of 45 for the bundled files
        data = yaml.load(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or []
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    out = []
    for group in data if isinstance(data, list) else []:
        if isinstance(group, list):
            items = tuple(str(x).strip() for x in group if str(x).strip())
            if len(items) >= 2:
                out.append(items)
    return out


@lru_cache(maxsize=4)
def groups(user_file: Path | None = None) -> tuple[tuple[str, ...], ...]:
    """The bundled groups, then the user's."""
    return tuple(g for path in (*BUNDLED, Path(user_file) if user_file else None) if path for g in read(path))


def cached(name: str, user_file: Path | None, build, version: int = 0):
    """``build(groups(user_file))``, remembered in the cache folder (``config.cache_dir``) as
    long as no thesaurus file changed (their paths, sizes and modification times) and
    ``version`` is the same: a search reads a table in a fraction of a millisecond instead
    of importing and running the YAML parser (30 ms).  The value must be marshal-able; a
    cache that cannot be read or written is only slower."""
    signature = [name, version]
    for path in (*BUNDLED, Path(user_file) if user_file else None):
        try:
            stat = os.stat(path) if path else None
        except OSError:
            stat = None
        signature.append((str(path), stat.st_mtime_ns, stat.st_size) if stat else None)
    signature = tuple(signature)
    file = cache_dir() / f"thesaurus-{name}.marshal"
    try:
        found, value = marshal.loads(file.read_bytes())
        if found == signature:
            return value
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = build(groups(user_file))
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps((signature, value)))
        os.replace(partial, file)
    except (OSError, ValueError):
        pass
    return value


def _by_word(all_groups) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for group in all_groups:
        for item in group:
            others = [g for g in group if _norm(g) != _norm(item)]
            table.setdefault(_norm(item), []).extend(others)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


@lru_cache(maxsize=4)
def _index(user_file: Path | None) -> dict[str, tuple[str, ...]]:
    return cached("words", user_file, _by_word)


def expand_word(word: str, user_file: Path | None = None) -> tuple[str, ...]:
    """Equivalents of one word (``CNIL`` -> its expansion)."""
    return _index(user_file).get(_norm(word), ())
