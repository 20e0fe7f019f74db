"""The baselines: SQLite FTS5, and grep (standard library ``sqlite3``) over the same records.

What a developer would write in ten minutes to search these records, used the
usual way for free text:

- one FTS5 table with the columns ``title, tags, summary, body`` (tags joined
  with " ; "), tokenizer ``unicode61 remove_diacritics 2`` (case and accents
  folded, no stemming, no stop words);
- the query's words OR-ed: the text is cut into words on anything that is not a
  letter or a digit (which also drops FTS5's syntax characters ``" * ^ : ( ) - +``
  and apostrophes), each word is quoted (``"donnees" OR "personnelles"``).
  AND-ing the words would be the other usual choice; it returns nothing for most
  long or misspelt queries, which would make the baseline look worse than it is;
- for a query whose last word was cut while typing (the ``prefixes`` family), the
  last word as a prefix query, ``"licence" OR "ouv"*``: what a search box built on
  FTS5 does with what is being typed (FTS5's documented prefix query);
- ranked by ``bm25(docs, 4, 3, 2, 1)``: the same field weights as searchkit's
  title 4, tags 3, summary 2, body 1; ties broken by insertion order.

Text and queries are NFC-normalised first (the corpora contain decomposed
accents, which ``unicode61`` would otherwise split words on): a small courtesy
that keeps the comparison about ranking, not about Unicode.

The grep baseline (``GrepBaseline``) is what ``grep -i`` over the records gives
when its matches are sorted by the number of query words each record contains:

- a record's text is its title, tags, summary and body, NFC, case and accents
  folded (``grep -i`` on folded text), and so is each query word;
- a query word matches anywhere in the text, as grep's does (``route`` matches
  ``routes`` and ``déroute``); words are cut as for FTS5, stop words included;
- records are ranked by the number of distinct query words they contain, then
  by the number of times those words occur, then by reading order.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from typing import Iterable

from searchkit.model import Record
from searchkit.textnorm import fold

WEIGHTS = (4.0, 3.0, 2.0, 1.0)  # title, tags, summary, body
_WORD = re.compile(r"[^\W_]+")


def fts_query(text: str, prefix_last: bool = False) -> str:
    """``l'Open "Data"*`` -> ``"l" OR "Open" OR "Data"`` ("" when no word); with
    ``prefix_last``, the last word as a prefix query: ``licence ouv`` ->
    ``"licence" OR "ouv"*``."""
    words = _WORD.findall(unicodedata.normalize("NFC", text))
    distinct = list(dict.fromkeys(words))
    quoted = [f'"{w}"' for w in distinct]
    if prefix_last and words:
        quoted[distinct.index(words[-1])] += "*"
    return " OR ".join(quoted)


class FTS5Baseline:
    """An in-memory FTS5 index of ``records``; ``search`` returns their positions."""

    def __init__(self, records: Iterable[Record]):
        self.records: list[Record] = list(records)
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, tags, summary, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        nfc = lambda s: unicodedata.normalize("NFC", s or "")  # noqa: E731
        self.db.executemany(
            "INSERT INTO docs(rowid, title, tags, summary, body) VALUES (?, ?, ?, ?, ?)",
            (
                (i, nfc(r.title), nfc(" ; ".join(r.tags)), nfc(r.summary), nfc(r.body))
                for i, r in enumerate(self.records)
            ),
        )
        self.db.commit()

    def search(self, text: str, limit: int = 10, prefix_last: bool = False) -> list[Record]:
        match = fts_query(text, prefix_last)
        if not match:
            return []
        rows = self.db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, ?, ?, ?, ?), rowid LIMIT ?",
            (match, *WEIGHTS, limit),
        ).fetchall()
        return [self.records[rowid] for (rowid,) in rows]

    def close(self) -> None:
        self.db.close()


def _folded(text: str) -> str:
    return fold(unicodedata.normalize("NFC", text or "")).casefold()


class GrepBaseline:
    """Records ranked by how many query words a case- and accent-blind grep finds in them."""

    def __init__(self, records: Iterable[Record]):
        self.records: list[Record] = list(records)
        self.texts = [_folded("\n".join((r.title, " ; ".join(r.tags), r.summary, r.body))) for r in self.records]

    def search(self, text: str, limit: int = 10) -> list[Record]:
        words = list(dict.fromkeys(_folded(w) for w in _WORD.findall(unicodedata.normalize("NFC", text))))
        if not words:
            return []
        scored = []
        for i, body in enumerate(self.texts):
            counts = [body.count(w) for w in words]
            found = sum(1 for c in counts if c)
            if found:
                scored.append((-found, -sum(counts), i))
        scored.sort()
        return [self.records[i] for _, _, i in scored[:limit]]
