"""Snippets: a note's Markdown as one line, the window with the most matched words."""

from __future__ import annotations

import re
from functools import lru_cache

from searchkit.markup import WIKILINK
from searchkit.textnorm import fold_same_length, same_length_variants

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# heading marks, emphasis, quotes, list bullets; what they leave between words is squeezed after
_MD_NOISE = re.compile(r"(?<!\S)#{1,6}\s|[*_`>]{1,3}|(?m:^)[ \t]*[-+]\s")
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
    if "[[" in text:
        text = WIKILINK.sub(wiki, text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    return " ".join(_MD_NOISE.sub(" ", text).split())


def word_pattern(stems: set[str], prefixes: set[str]) -> re.Pattern | None:
    """Words starting with one of the (folded) stems or prefixes, found in the text as it is
    written (``_latin1``): each letter matches every Latin-1 letter that folds to it (``e``:
    ``e E é É è ê ë…``), so the text is not folded first.  Latin-1 only: a class holding
    other characters takes Python 2.5 ms to compile, once per search."""
    keys = sorted({s for s in stems | prefixes if s and not s.isdigit() or len(s) > 1}, key=len, reverse=True)
    if not keys:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join("".join(map(_letter, k)) for k in keys) + r")[\w'-]*", re.UNICODE)


@lru_cache(maxsize=None)
def _letter(folded: str) -> str:
    """A character class of the letters that fold (``fold_same_length``) to ``folded``."""
    if fold_same_length(folded) != folded:  # no folded text has it
        return "(?!)"
    variants = same_length_variants().get(folded, ())
    return "[" + "".join(re.escape(c) for c in sorted({folded, *variants})) + "]" if variants else re.escape(folded)


_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")


def _latin1(text: str) -> str:
    """``text`` with its characters beyond Latin-1 folded (``œ`` -> ``o``, ``Ÿ`` -> ``y``; one
    for one: offsets stay valid): a French text holds few of them (œ, ’, —)."""
    return _BEYOND_LATIN1.sub(lambda m: fold_same_length(m.group()), text)


def snippet(text: str, pattern: re.Pattern | None, width: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The window of ``text`` with the most distinct matched words, and their spans."""
    if not text:
        return "", ()
    if pattern is None:
        cut = text[:width]
        return (cut + ("…" if len(text) > width else "")), ()
    matches = [(m.start(), m.end(), fold_same_length(m.group(0)[:6]))
               for m in pattern.finditer(_latin1(text), 0, SNIPPET_SCAN)]
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

