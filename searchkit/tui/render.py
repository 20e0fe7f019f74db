"""Pure helpers for the app's widgets: wiki links, highlighting, facet matching.

    >>> wiki_to_markdown("Voir [[42]].", {"42": "Etalab"}.get)
    'Voir [Etalab](searchkit:42).'
    >>> link_target("searchkit:42")
    '42'
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from textual.content import Content

from searchkit.markup import WIKILINK
from searchkit.messages import t
from searchkit.textnorm import fold

LINK_SCHEME = "searchkit:"
_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
MARK_STYLE = "bold reverse"
SNIPPET_CHARS = 160


def escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def wiki_to_markdown(body: str, title_of: Callable[[str], str | None]) -> str:
    """``[[id]]`` -> ``[title](searchkit:id)`` (outside code blocks); unknown ids stay visible."""
    def link(m: re.Match) -> str:
        ident = m.group(1).strip()
        title = title_of(ident)
        label = (m.group(2) or "").strip() or title
        if title is None:
            return "*" + escape_md(t("tui.preview.missing", id=label or ident)) + "*"
        return f"[{escape_md(label)}]({LINK_SCHEME}{quote(ident, safe='')})"

    out, in_code = [], False
    for line in body.splitlines(keepends=True):
        if _FENCE.match(line):
            in_code = not in_code
        out.append(line if in_code or "[[" not in line else WIKILINK.sub(link, line))
    return "".join(out)


def link_target(href: str) -> str | None:
    """The record id of an app link, None for any other URL (Textual unquotes hrefs)."""
    return href[len(LINK_SCHEME):] if href.startswith(LINK_SCHEME) else None


def highlight(text: str, marks, style: str = MARK_STYLE, width: int = SNIPPET_CHARS) -> Content:
    """``text`` with the spans in ``marks`` styled, cut near ``width`` characters."""
    if len(text) > width:
        first = marks[0][0] if marks else 0
        start = max(0, min(first - 30, len(text) - width))
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < start + 15 else start
        end = min(len(text), start + width)
        marks = [(a - start, b - start) for a, b in marks if a >= start and b <= end]
        text = ("…" if start else "") + text[start:end].rstrip() + "…"
        shift = 1 if start else 0
        marks = [(a + shift, b + shift) for a, b in marks]
    content = Content(text)
    for a, b in marks:
        if 0 <= a < b <= len(text):
            content = content.stylize(style, a, b)
    return content


_DATASET_WORDS = {"dataset", "jeu de donnees", "jeux de donnees", "donnees"}


def kind_badge(kind: str, types) -> str:
    """"notion, outil" for a note; "jeu de données · carte" for a dataset (no "dataset" twice)."""
    if kind != "dataset":
        return ", ".join(types) or t(f"kind.{kind}")
    other = [x for x in types if fold_key(x) not in _DATASET_WORDS]
    return " · ".join([t("kind.dataset"), ", ".join(other)]) if other else t("kind.dataset")


def fold_key(text: str) -> str:
    """What the facet filter box compares: no accents, no case."""
    return fold(text).casefold()


def matches(label: str, needle: str) -> bool:
    return not needle or fold_key(needle.strip()) in fold_key(label)


def display_path(path: str | os.PathLike) -> str:
    """Short form of a path for the screen: relative to the working folder, or ``~/...``."""
    p = Path(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + p.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(p)
