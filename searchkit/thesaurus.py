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

from functools import lru_cache
from pathlib import Path

import yaml

from searchkit.textnorm import fold

BUNDLED = (Path(__file__).with_name("thesaurus.yaml"), Path(__file__).with_name("thesaurus-catalogue.yaml"))


def _norm(text: str) -> str:
    return " ".join(fold(text).casefold().replace("'", " ").replace("’", " ").replace("-", " ").split())


def read(path: Path) -> list[tuple[str, ...]]:
    """The groups of one thesaurus file (none when it is missing or unreadable)."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or []
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


@lru_cache(maxsize=4)
def _index(user_file: Path | None) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for group in groups(user_file):
        for item in group:
            others = [g for g in group if _norm(g) != _norm(item)]
            table.setdefault(_norm(item), []).extend(others)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def expand_word(word: str, user_file: Path | None = None) -> tuple[str, ...]:
    """Equivalents of one word (``CNIL`` -> its expansion)."""
    return _index(user_file).get(_norm(word), ())
