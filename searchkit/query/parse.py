"""What a person typed -> clauses (the query language, see ``searchkit.query``).

Nothing a person types raises: unbalanced quotes or parentheses and lone
operators are searched as plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from searchkit.textnorm import fold, without_elision

MAX_QUERY_CHARS = 2_000

# what a person types before a colon -> the index fields searched
TYPED_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "titre": ("title",),
    "tag": ("tags",), "tags": ("tags",), "motcle": ("tags",),
    "kesako": ("summary",), "kezako": ("summary",), "short": ("summary",), "summary": ("summary",),
    "description": ("summary", "body"), "resume": ("summary",),
    "body": ("body",), "texte": ("body",), "text": ("body",),
}
KEYWORD_ALIASES = {
    "type": "type", "types": "type", "kind": "kind", "nature": "kind",
    "publisher": "publisher", "producteur": "publisher", "organisation": "publisher",
    "licence": "licence", "license": "licence", "format": "format", "id": "id",
    "zone": "zone", "granularity": "granularity", "granularite": "granularity",
    "frequency": "frequency", "frequence": "frequency",
}
OR_WORDS = {"or", "ou"}
AND_WORDS = {"and", "et"}
NOT_WORDS = {"not", "sauf"}
# question and filler words that carry no meaning in a long question
FILLER = frozenset(fold(w) for w in """
quel quels quelle quelles qui quoi comment pourquoi combien quand où ou est-ce
existe-t-il y-a-t-il a-t-il peut-on puis-je
""".split())


@dataclass
class Clause:
    """One part of a parsed query."""

    kind: str  # "word", "phrase", "prefix", "keyword" (facet-like field)
    text: str
    fields: tuple[str, ...] = ()
    negate: bool = False
    alternatives: list["Clause"] = field(default_factory=list)  # OR-ed with this one


_TOKEN = re.compile(r'(-?)(?:(\w[\w-]*):)?(?:"([^"]*)"|(\S+))')


def parse(text: str) -> tuple[list[Clause], list[str]]:
    """Clauses of ``text`` and the parts that were ignored (for the notice)."""
    ignored: list[str] = []
    text = "".join(" " if (ord(c) < 32 or c == "\x7f") else c for c in text)[:MAX_QUERY_CHARS]
    # bytes typed that are not UTF-8 arrive as lone surrogates, which no index term can hold
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if text.count('"') % 2:
        text = text.replace('"', " ")
        ignored.append('"')
    if "(" in text or ")" in text:
        text = text.replace("(", " ").replace(")", " ")
    clauses: list[Clause] = []
    pending_or = False
    pending_not = False
    for m in _TOKEN.finditer(text):
        minus, fname, phrase, word = m.groups()
        raw = phrase if phrase is not None else word
        low = (raw or "").casefold()
        if phrase is None and not fname:
            if low in OR_WORDS and word == word.upper():
                pending_or = bool(clauses)
                continue
            if low in AND_WORDS and word == word.upper():
                continue
            if low in NOT_WORDS and word == word.upper():
                pending_not = True
                continue
        negate = bool(minus) or pending_not
        pending_not = False
        if fname:
            key = fold(fname).casefold()
            if key in KEYWORD_ALIASES:
                clause = Clause("keyword", raw or "", (KEYWORD_ALIASES[key],), negate)
            elif key in TYPED_FIELDS:
                clause = Clause("phrase" if phrase is not None else "word", raw or "", TYPED_FIELDS[key], negate)
            else:  # any other front-matter key: its values are in ``meta``
                clause = Clause("phrase" if phrase is not None else "word", raw or "", ("meta",), negate)
        elif phrase is not None:
            clause = Clause("phrase", phrase, negate=negate)
        elif raw.endswith("*") and len(raw.rstrip("*")) >= 3:
            clause = Clause("prefix", raw.rstrip("*"), negate=negate)
        else:
            stripped = without_elision(raw.strip("#*?!.,;:'’\"«»")).strip("'")  # '#': a tag as typed in note apps
            if not stripped:
                continue
            clause = Clause("word", stripped, negate=negate)
        if pending_or and clauses and not clause.negate:
            clauses[-1].alternatives.append(clause)
        else:
            clauses.append(clause)
        pending_or = False
    return clauses, ignored




def meaningful(clauses: list[Clause]) -> list[Clause]:
    """Drop filler words of long questions when enough meaningful words remain."""
    plain = [c for c in clauses if c.kind == "word" and not c.fields and not c.negate and not c.alternatives]
    if len(plain) < 3:
        return clauses
    keep = [c for c in clauses if not (c in plain and fold(c.text).casefold() in FILLER)]
    return keep if any(c.kind != "keyword" and not c.negate for c in keep) else clauses



def is_question(text: str) -> bool:
    words = text.split()
    return text.rstrip().endswith("?") or bool(words and fold(words[0]).casefold().strip("?") in FILLER)


def is_plain_word(c: Clause) -> bool:
    return c.kind == "word" and not c.fields and not c.negate and not c.alternatives

