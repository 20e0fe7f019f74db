"""Every use of Whoosh's internals, in one place (whoosh-reloaded 2.7.5).

searchkit relies on a few private attributes, codec details and behaviours of
Whoosh that its public API does not promise.  Each one is here, with the Whoosh
behaviour it works around and how to see it fail; ``tests/test_whoosh_internals.py``
pins the installed version and checks every attribute named here, so that an
upgrade fails in one place with a clear message.  Nothing is patched on import.
"""

from __future__ import annotations

from whoosh import query as Q

# ---- query side ----


class Or(Q.Or):
    """Whoosh's Or, always with the binary tree of union matchers.

    Under 5,000 documents Whoosh switches to a "preloaded array" matcher that
    mis-scores phrase sub-queries under a top-N collector (a record ranked 2nd
    without a limit vanished from the top 10); large indexes already use this one.
    """

    matcher_type = Q.Or.DEFAULT_MATCHER


class FuzzyTerm(Q.FuzzyTerm):
    """Whoosh's FuzzyTerm, its words remembered per segment for the life of the query.

    Whoosh asks for them several times in one search (to estimate sizes, for the
    matcher, for the full match set), and each time walks the segment's lexicon
    with an automaton: 250 walks for one typo query on 5 fields."""

    def _btexts(self, ixreader):
        memo = self.__dict__.setdefault("_words", {})  # id of the segment reader -> its words
        words = memo.get(id(ixreader))
        if words is None:
            words = memo[id(ixreader)] = list(super()._btexts(ixreader))
        return words



def unwrap_collector(collector):
    """The innermost of Whoosh's nested collectors (``collector.child``)."""
    inner = collector
    while hasattr(inner, "child"):
        inner = inner.child
    return inner
