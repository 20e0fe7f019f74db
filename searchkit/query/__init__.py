"""Search an index: parse what a person types, plan it, score it, count facets, cut snippets.

Query language (French and English operators)::

    mots simples          every word must match (with a fallback, see below)
    "une phrase"          words in this order
    a OR b, a OU b        either
    -mot, NOT mot, SAUF mot
    champ:valeur          title:, tag:, type:, kesako:, publisher:, licence:, format:,
                          zone:, granularity:, frequency:, kind:, or any other
                          front-matter key
    préfix*               words starting with it (3 letters at least)

Words combine with AND; when no record has them all, the search falls back to
"any word, more words rank higher" and says so in ``Results.notice``.  Nothing
a person types raises: unbalanced quotes or parentheses and lone operators are
searched as plain words.

    >>> engine = Engine(Path("index"))            # doctest: +SKIP
    >>> engine.search("données ouvertes", filters={"tag": ["open data"]}).total
"""

from searchkit.errors import SearchkitError
from searchkit.model import MAX_LIMIT, SORTS
from searchkit.query.engine import Engine, date_bounds, search
from searchkit.query.parse import parse
from searchkit.query.plan import build
from searchkit.query.snippets import plain, snippet

__all__ = ["Engine", "search", "date_bounds", "parse", "build", "snippet", "plain", "SearchkitError", "SORTS", "MAX_LIMIT"]
