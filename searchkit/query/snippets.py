"""Snippets: a note's Markdown as one line, the window with the most matched words."""

from __future__ import annotations

import re

from searchkit.markup import WIKILINK
from searchkit.textnorm import fold_same_length

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_NOISE = re.compile(r"(^|\s)#{1,6}\s|[*_`>]{1,3}|^\s*[-+]\s", re.MULTILINE)
SPACES = re.compile(r"\s+")
SNIPPET_CHARS = 220
SNIPPET_SCAN = 50_000  # characters of a body searched for the best window


def plain(text: str, titles=None) -> str:
    """Markdown to one line of text; ``[[id]]`` become the linked titles."""
    def wiki(m):
        if m.group(2):
            return m.group(2)
        ident = m.group(1).strip()
        return (titles(ident) if titles else None) or ident
    text = WIKILINK.sub(wiki, text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_NOISE.sub(" ", text)
    return SPACES.sub(" ", text).strip()


def word_pattern(stems: set[str], prefixes: set[str]) -> re.Pattern | None:
    keys = sorted({s for s in stems | prefixes if s and not s.isdigit() or len(s) > 1}, key=len, reverse=True)
    if not keys:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")[\w'-]*", re.UNICODE)


def snippet(text: str, pattern: re.Pattern | None, width: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The window of ``text`` with the most distinct matched words, and their spans."""
    if not text:
        return "", ()
    if pattern is None:
        cut = text[:width]
        return (cut + ("…" if len(text) > width else "")), ()
    folded = fold_same_length(text[:SNIPPET_SCAN])
    matches = [(m.start(), m.end(), m.group(0)[:6]) for m in pattern.finditer(folded)]
    if not matches:
        cut = text[:width]
        return (cut.rstrip() + ("…" if len(text) > width else "")), ()
    best, best_score = 0, -1
    for i, (start, _, _) in enumerate(matches[:200]):
        distinct = {w for s, e, w in matches[i:i + 12] if s < start + width}
        if len(distinct) > best_score:
            best, best_score = i, len(distinct)
    start = max(0, matches[best][0] - 40)
    space = text.rfind(" ", 0, start + 1)
    if start > 0 and space > start - 20:
        start = space + 1
    end = min(len(text), start + width)
    space = text.find(" ", end)
    if space != -1 and space - end < 20:
        end = space
    window = text[start:end]
    marks = tuple((s - start, e - start) for s, e, _ in matches if s >= start and e <= end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return prefix + window + suffix, tuple((a + shift, b + shift) for a, b in marks)

