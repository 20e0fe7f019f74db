"""Whoosh's own matchers, where searchkit still ranks with them: sorted results
(title, date), ``--explain`` (which terms matched), and a construct the block
scorer (``score``) leaves to Whoosh.  The tests compare the block scorer with ``walk``.
"""

from __future__ import annotations

from whoosh import query as Q

from searchkit import whoosh_internals


class Scored:
    """What the ranking and ``Engine._hit`` use of a Whoosh hit."""

    __slots__ = ("docnum", "score", "_searcher")

    def __init__(self, docnum: int, score: float, searcher):
        self.docnum, self.score, self._searcher = docnum, score, searcher

    def fields(self) -> dict:
        return self._searcher.stored_fields(self.docnum)


def walk(searcher, query: Q.Query) -> dict[int, float]:
    """The score of every record ``query`` matches (deleted ones left out)."""
    scores: dict[int, float] = {}
    context = searcher.boolean_context().set(weighting=searcher.weighting)
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        deleted = reader.is_deleted if reader.has_deletions() else None
        matcher = query.matcher(leaf, context)
        while matcher.is_active():
            docnum = matcher.id()
            if deleted is None or not deleted(docnum):
                scores[docnum + offset] = matcher.score()
            matcher.next()
    return scores


def collect(searcher, query: Q.Query, limit: int, docs, explain: bool, **kwargs):
    """``searcher.search`` without its periodic matcher rebuilds.

    Whoosh's top-N collector rebuilds ("replaces") the whole matcher tree every
    ten matches to prune it; on searchkit's wide trees (several fields, synonyms,
    completions) that rebuilding was most of the time of a search, for the same
    top hits."""
    collector = searcher.collector(limit=limit, filter=docs, terms=explain, **kwargs)
    inner = whoosh_internals.unwrap_collector(collector)
    if hasattr(inner, "replace"):
        inner.replace = 0
    searcher.search_with_collector(query, collector)
    # iterated, never list(): list() asks the length, and Whoosh's length walks every match again
    return [hit for hit in collector.results()]


def scores_for(searcher, query: Q.Query, docnums: list[int]) -> dict[int, float]:
    """Scores of ``query`` for these records only: its matcher is moved from one
    to the next (``skip_to``), it never walks the whole index."""
    scores: dict[int, float] = {}
    matcher = query.matcher(searcher, searcher.boolean_context().set(weighting=searcher.weighting))
    for docnum in docnums:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            scores[docnum] = matcher.score()
    return scores


def term_score(searcher, field_name: str, term, docnum: int) -> float:
    """BM25F part of one term in one record (before the query's boosts)."""
    try:
        matcher = searcher.postings(field_name, term)
        matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            return 0.0
        return searcher.weighting.scorer(searcher, field_name, term).score(matcher)
    except Exception:  # a field without positions or frequencies
        return 0.0
