"""Synonyms applied at query time: acronyms and their expansions, spelling variants.

The bundled ``thesaurus.yaml`` holds the French open-data vocabulary; a user file
named by ``SEARCHKIT_THESAURUS`` (or the configuration file's ``thesaurus``) is merged over it.  Each entry is a group of
equivalent expressions::

    - [CNIL, commission nationale de l'informatique et des libertés]
    - [vélo, bicyclette, cyclable]
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

from searchkit.config import thesaurus_file
from searchkit.textnorm import fold

BUNDLED = Path(__file__).with_name("thesaurus.yaml")


def _norm(text: str) -> str:
    return " ".join(fold(text).casefold().replace("'", " ").replace("’", " ").replace("-", " ").split())


def groups(user_file: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The bundled groups, then those of ``user_file`` (default: ``config.thesaurus_file()``)."""
    if not user_file:
        configured = thesaurus_file()
        user_file = str(configured) if configured else None
    return _groups(user_file)


@lru_cache(maxsize=4)
def _groups(user_file: str | None) -> tuple[tuple[str, ...], ...]:
    out: list[tuple[str, ...]] = []
    for path in (BUNDLED, Path(user_file) if user_file else None):
        if path is None or not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text("utf-8")) or []
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        for group in data if isinstance(data, list) else []:
            if isinstance(group, list):
                items = tuple(str(x).strip() for x in group if str(x).strip())
                if len(items) >= 2:
                    out.append(items)
    return tuple(out)


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for group in groups(os.environ.get("SEARCHKIT_THESAURUS")):
        for item in group:
            others = [g for g in group if _norm(g) != _norm(item)]
            table.setdefault(_norm(item), []).extend(others)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def expand_word(word: str) -> tuple[str, ...]:
    """Equivalents of one word (``CNIL`` -> its expansion)."""
    return _index().get(_norm(word), ())


def expand_phrase(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Multi-word entries found inside ``text``, with their equivalents."""
    norm = f" {_norm(text)} "
    found = []
    for key, values in _index().items():
        if " " in key and f" {key} " in norm:
            found.append((key, values))
    return found
