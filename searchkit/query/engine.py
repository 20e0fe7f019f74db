"""The public ``Engine``: one open index, searches, facets, records.

A search: plan the query (``plan``), score it (``score``), count the facets
(``facets``), cut the snippets of the hits shown (``snippets``).

Long, and one thing: the order of a search (the candidates, the priors, the
re-ranking, the hits) and what it keeps for one index generation (``_Cache``),
which every step reads.
"""

from __future__ import annotations

import heapq
import math
import pickle
import re
import statistics
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import query as Q
from whoosh.scoring import BM25F

from searchkit import whoosh_internals
from searchkit.analysis import FRENCH, terms
from searchkit.config import settings
from searchkit.dates import bounds
from searchkit.errors import QueryError
from searchkit.index import as_damaged, open_index, record_from_stored
from searchkit.messages import t
from searchkit.model import DATE_FILTERS, FACETS, MAX_LIMIT, SORTS, ZONE_NAMES, FacetValue, Hit, Record, Results
from searchkit.query.coverage import Coverage
from searchkit.query.facets import Facets
from searchkit.query.matchers import Scored, collect, scores_for, term_score, walk
from searchkit.query.plan import BACKFILL, RERANK, TEXT_FIELDS, AccentedForms, build
from searchkit.query.records import Linked, RecordView
from searchkit.query.score import Scorer, Unsupported
from searchkit.query.snippets import SNIPPET_SCAN, SPACES, plain, snippet, word_pattern
from searchkit.textnorm import facet_key, fold

# what Whoosh raises when it reads damaged data in the middle of a search
READ_ERRORS = (zlib.error, struct.error, EOFError, pickle.UnpicklingError, OSError)
# records a one-word query matches: up to the first number the text ranks them, from the
# second on the word is broad and usage chooses among the records about it (Engine._lifts)
BROAD = (20, 200)
# what a nat of information of the words a record holds is worth, in best text scores, when
# no record holds them all (Engine._informed; measured: 0.1, 0.5 and 1 tried, 0.1 the one
# that lowers no family of the three corpora)
INFORMED = 0.1
# the vocabulary of a dataset search's best records (Engine._neighbours): read from the
# first RECORDS, a title or tag word counts when MIN of them carry it; the WORDS most
# telling ones are searched in titles and tags at WEIGHT of their score (measured on the
# datasets corpus: 10 records, 3, 5 words and 0.3; 20 records or 5 of them lose the gain)
NEIGHBOURS = {"records": 10, "min": 3, "words": 5, "weight": 0.3}
# measured datasets of a publisher from which their median usage stands for its
_WORDS = re.compile(r"[^\W_]+")  # the words of a folded title or tag (Engine._about)
ABOUT_KEPT = 256  # broad words whose records are kept per index generation
# datasets without figures (Engine._typical)
TYPICAL = 3
# what a note tagged exactly with the query gains in the re-ranking (``Engine._tagged``), as a
# share of the best total score of the candidates: a note's tags are its writer's words for what
# it is about (issue 13; measured on the notes corpora: 0.1, 0.2, 0.3, 0.5 and 1.0 tried, 0.3 the
# largest that lowers no query's nDCG@10).  Not for catalogue records, whose producers' keywords
# are shared by hundreds of local datasets (datasets broad 'prénoms' 0.797 -> 0.570 at 0.1)
TAGGED = 0.3


@dataclass
class _Cache:
    """What is read once per index generation."""

    generation: object = None
    scorer: Scorer | None = None
    facets: Facets | None = None
    richness: object = None
    popularity: dict[int, float] | None = None
    typical: dict[int, float | None] = field(default_factory=dict)  # dataset without figures -> its estimate (Engine._typical)
    medians: dict[str, float | None] = field(default_factory=dict)  # publisher key -> its datasets' median popularity
    titles: dict[str, str | None] = field(default_factory=dict)
    title_terms: dict[int, list[str]] = field(default_factory=dict)  # record number -> its title analysed
    named: dict[int, frozenset] = field(default_factory=dict)  # dataset -> the words of its title and tags (Engine._neighbours)
    accented: AccentedForms | None = None  # exact field -> word without accents -> its accented forms
    coverage: Coverage | None = None
    about: dict[str, frozenset] = field(default_factory=dict)  # broad word -> the records carrying it (Engine._about)


class Engine:
    """One open index, its searcher kept and refreshed only when the index changed.

    Thread-safe enough for one UI: searches are read-only; ``refresh`` swaps the searcher.
    """

    def __init__(self, index_dir: Path):
        whoosh_internals.install_query_patches()
        self.index_dir = Path(index_dir)
        self._ix = None
        self._searcher = None
        self._cache = _Cache()
        self.weighting = BM25F()

    # -- lifecycle
    def searcher(self):
        if self._ix is None:
            self._ix = open_index(self.index_dir)
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=self.weighting)
        elif not self._searcher.up_to_date():
            try:
                self._searcher = self._searcher.refresh()
            except Exception:
                self._ix = open_index(self.index_dir)
                self._searcher = self._ix.searcher(weighting=self.weighting)
        generation = self._searcher.reader().generation() if hasattr(self._searcher.reader(), "generation") else id(self._searcher)
        if generation != self._cache.generation or self._cache.generation is None:
            self._cache = _Cache(generation=generation)
        return self._searcher

    def _current(self):
        """The searcher of the search under way: never refreshed in the middle of
        one, so that hits, counts and titles all come from one index generation."""
        return self._searcher if self._searcher is not None else self.searcher()

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._ix = None

    def _scorer(self) -> Scorer:
        if self._cache.scorer is None:
            self._cache.scorer = Scorer(self._current())
        return self._cache.scorer

    def _facets(self) -> Facets:
        if self._cache.facets is None:
            self._cache.facets = Facets(self._current(), self._scorer().deleted)
        return self._cache.facets

    def _coverage(self) -> Coverage:
        if self._cache.coverage is None:
            self._cache.coverage = Coverage(self._facets())
        return self._cache.coverage

    def _scores(self, query: Q.Query, memo: dict, only: list[int] | None = None) -> dict[int, float]:
        """The score of every record ``query`` matches (of ``only`` these records),
        from posting blocks; Whoosh's matchers only for a construct the block scorer
        does not reproduce.  ``memo``: the postings read so far in this search."""
        try:
            return self._scorer().scores(query, memo, only)
        except Unsupported:
            if only is not None:
                return scores_for(self._current(), query, sorted(only))
            return walk(self._current(), query)

    def label(self, name: str, key: str) -> str:
        """The most common spelling of facet value ``key`` (cached until the index changes)."""
        return self._facets().label(name, key)

    def doc_frequency(self, word: str) -> int:
        """How many records contain ``word`` (analysed as the index does) in any text field."""
        stems = terms(FRENCH, word)
        if not stems:
            return 0
        self.searcher()
        scorer = self._scorer()
        docs: set[int] = set()
        for field_name, _ in TEXT_FIELDS:
            docs.update(scorer.term(field_name, stems[0]))
        return len(docs - scorer.deleted)

    # -- records
    def _record_numbers(self, field_name: str, value: str) -> list[int]:
        """The records (deleted ones left out) whose keyword field has ``value``, in index order."""
        return sorted(self._facets().docs(field_name, value))

    def _stored(self, record_id: str) -> dict | None:
        found = self._record_numbers("id", record_id)
        return self._current().stored_fields(found[0]) if found else None

    def get(self, record_id: str) -> Record | None:
        self.searcher()
        stored = self._stored(record_id)
        return record_from_stored(stored) if stored else None

    def title_of(self, record_id: str) -> str | None:
        cache = self._cache.titles
        if record_id not in cache:
            stored = self._stored(record_id)
            cache[record_id] = stored["title"] if stored else None
        return cache[record_id]

    def backlinks(self, record_id: str) -> list[tuple[str, str]]:
        """(id, title) of the records whose ``[[...]]`` links point at ``record_id``."""
        self.searcher()
        stored = [self._current().stored_fields(d) for d in self._record_numbers("links", record_id)]
        out = [(d["id"], d.get("title", d["id"])) for d in stored]
        return sorted(out, key=lambda p: fold(p[1]).casefold())

    def view(self, record_id: str) -> RecordView | None:
        """The record with its links (titles, None for an unknown id) and backlinks."""
        record = self.get(record_id)
        if record is None:
            return None
        links = tuple(Linked(i, self.title_of(i)) for i in dict.fromkeys(record.links))
        back = tuple(Linked(i, title) for i, title in self.backlinks(record_id) if i != record_id)
        return RecordView(record, links, back)

    def suggest(self, words: list[str]) -> tuple[str, ...]:
        reader = self._current().reader()
        out = []
        for w in words:
            low = w.casefold()
            if len(low) < 4:
                continue
            found = []
            for f in ("title_exact", "tags_exact"):
                found += _corrections(reader, f, low)
            found = [s for s in dict.fromkeys(found) if s != low]
            if found:
                out.append(found[0])
        return tuple(out)

    # -- search
    def search(self, text: str, *, filters: dict[str, list[str]] | None = None, kind: str | None = None,
               limit: int = 10, facets=("type", "tag"), facet_top: int = 20, sort: str = "relevance",
               prefix_last: bool = False, fuzzy: bool = True, use_thesaurus: bool = True,
               explain: bool = False) -> Results:
        started = time.perf_counter()
        if not isinstance(limit, int) or limit < 0 or limit > MAX_LIMIT:
            raise QueryError(t("query.bad_limit", max=MAX_LIMIT))
        if sort not in SORTS:
            raise QueryError(f"sort: {sort} ({', '.join(SORTS)})")
        filters = {k: list(v) for k, v in (filters or {}).items() if v}
        for name in filters:
            if name not in FACETS and name not in DATE_FILTERS and name not in ("kind", "id"):
                raise QueryError(t("query.unknown_facet", name=name, known=", ".join(FACETS)))
        dates = {name: [date_bounds(name, v) for v in filters.pop(name)] for name in DATE_FILTERS if name in filters}
        for name in facets:
            if name not in FACETS:
                raise QueryError(t("query.unknown_facet", name=name, known=", ".join(FACETS)))
        if kind:
            filters["kind"] = [kind]
        searcher = self.searcher()
        try:
            return self._search(searcher, started, text, filters, dates, limit, facets, facet_top, sort,
                                prefix_last, fuzzy, use_thesaurus, explain, settings())
        except READ_ERRORS as exc:  # damaged data met in the middle of a search
            raise as_damaged(self.index_dir, exc) from exc

    def _dated(self, dates: dict[str, list[tuple[int, int]]]) -> set | None:
        """The records the date filters keep (None: no date filter): modified within
        every since/until bound, their coverage overlapping every covers range."""
        if not dates:
            return None
        modified = dates.get("since", []) + dates.get("until", [])
        window = (max(lo for lo, _ in modified), min(hi for _, hi in modified)) if modified else None
        found: set | None = None
        for covers in dates.get("covers") or [None]:
            kept = self._facets().dated(window, covers)
            found = kept if found is None else found & kept
        return found

    def _search(self, searcher, started, text, filters, dates, limit, facets, facet_top, sort,
                prefix_last, fuzzy, use_thesaurus, explain, cfg) -> Results:
        reader = searcher.reader()
        if self._cache.accented is None:
            self._cache.accented = AccentedForms(reader)
        options = dict(prefix_last=prefix_last, fuzzy=fuzzy, use_thesaurus=use_thesaurus, thesaurus=cfg.thesaurus,
                       accented=self._cache.accented)
        built = build(reader, text, **options)
        if built.query is None and text.strip() not in ("", "*"):
            # only punctuation, operators or stop words: nothing to look for
            return Results(query=text, total=0, took_ms=(time.perf_counter() - started) * 1000, hits=(),
                           facets={name: () for name in facets}, notice=t("query.nothing", query=text.strip()[:80]))
        notices = list(built.notes)
        query = built.query if built.query is not None else Q.Every()
        kwargs = {}
        if sort == "title" or (sort == "relevance" and isinstance(query, Q.Every)):
            kwargs["sortedby"] = "title_sort"
        elif sort == "modified":
            kwargs.update(sortedby="mtime", reverse=True)
        # every match scored at once, which also gives the total and the records to
        # count facets on; sorted by title or date, Whoosh ranks them
        memo: dict = {}  # postings read, shared by the query, its fallback and the re-ranking
        scores = None if isinstance(query, Q.Every) else self._scores(query, memo)
        base = set(scores) if scores is not None else set(range(reader.doc_count_all())) - self._scorer().deleted
        keys = {name: [v if name in ("kind", "id") else facet_key(ZONE_NAMES.get(v.casefold(), v) if name == "zone" else v)
                       for v in values] for name, values in filters.items()}
        dated = self._dated(dates)

        def passing(skip: str | None = None) -> set | None:
            found = self._facets().matching(keys, skip=skip)
            return dated if found is None else (found if dated is None else found & dated)

        all_filter = passing()
        matched = base if all_filter is None else base & all_filter
        # fewer records than a page contain every word: records containing some
        # of the words follow them (ranked after), and the notice says so.  Decided
        # on the words alone, so that checking a facet never changes it.
        extra: set = set()
        fallback = None
        if len(base) < BACKFILL and built.query is not None and len(built.words) >= 2:
            fallback = build(reader, text, any_word=True, **options)
            if fallback.query is not None:
                fallback_scores = self._scores(fallback.query, memo)
                extra = set(fallback_scores) - base
                if extra:
                    notices = list(fallback.notes) + [t("query.fallback") if not base else t("query.backfill", n=len(base))]
        base_extra = extra
        if all_filter is not None:
            extra = extra & all_filter
        hits: list[Hit] = []
        if limit and matched:
            pattern = word_pattern(built.stems, built.prefixes)
            for hit, bonus, lift in self._top(searcher, query, built.bonus, limit, matched, explain, kwargs,
                                              scores, memo, built.words, cfg.ranking, tags=built.tags):
                hits.append(self._hit(hit, pattern, explain, built.origin, bonus, built.exact, lift))
        if limit and extra and len(hits) < limit and fallback is not None:
            pattern = word_pattern(built.stems | fallback.stems, built.prefixes | fallback.prefixes)
            origin = {**built.origin, **fallback.origin}
            for hit, bonus, lift in self._top(searcher, fallback.query, fallback.bonus, limit - len(hits), extra, explain,
                                              kwargs, fallback_scores, memo, fallback.words, cfg.ranking,
                                              some_words=True):
                hits.append(self._hit(hit, pattern, explain, origin, bonus, fallback.exact, lift))
        base |= base_extra
        matched |= extra
        facet_values: dict[str, tuple[FacetValue, ...]] = {}
        for name in facets:
            docs = matched
            if name in filters:  # disjunctive: a facet's counts ignore its own selection
                other = passing(skip=name)
                docs = base if other is None else base & other
            facet_values[name] = self._facets().count(name, docs, facet_top)
        suggestions: tuple[str, ...] = ()
        if not base and built.words:  # the words found nothing (not: the filters hide what they found)
            suggestions = self.suggest(built.words)
        return Results(
            query=text,
            total=len(matched),
            took_ms=(time.perf_counter() - started) * 1000,
            hits=tuple(hits),
            facets=facet_values,
            notice=" ".join(notices) or None,
            suggestions=suggestions,
            terms=tuple(sorted(built.stems | built.prefixes)),
        )

    def _top(self, searcher, query, bonus, limit: int, docs, explain: bool, kwargs, scores, memo, words: list[str],
             ranking: dict[str, float], some_words: bool = False, tags: tuple[str, ...] = ()) -> list:
        """(hit, bonus, popularity part) of the best ``limit`` records.

        Records are ranked by the words and the popularity prior (``_lifts``: the
        scores of every match, from the block scorer, Whoosh's collector when sorted);
        the first ``RERANK`` are then re-ordered with two mild extras: the proximity
        and exact forms of the query's words, and for datasets a prior for richer
        descriptions (the ``ranking.richness`` setting: at most that share more), so
        the national reference beats its many local copies.  A title that is exactly
        the query of two words or more (``titled``) goes before the other candidates:
        no prior outweighs a record named by a precise query.  When the whole query names
        a tag (``tags``, its facet keys: ``#opendata``, ``science des données``), the notes it
        names (``_tagged``) gain ``TAGGED`` times the best total.  ``some_words``: the
        records hold only some of the words (the fallback), and those holding the more
        informative ones go first (``_informed``).  The third item: the parts added to
        the text score, for ``--explain``."""
        if kwargs:  # sorted by title or date
            return [(hit, 0.0, {}) for hit in collect(searcher, query, limit, docs, explain, **kwargs)]
        parts = self._lifts(scores, docs, words, ranking["popularity"])
        if some_words:
            parts["words"] = self._informed(scores, docs, words)
        lifts = {d: sum(p.get(d, 0.0) for p in parts.values()) for d in set().union(*parts.values())}
        ranked = {d: scores[d] + lifts.get(d, 0.0) for d in docs} if lifts else scores
        if not some_words:
            parts["neighbours"] = self._neighbours(ranked, docs, words)
            if parts["neighbours"]:
                lifts = {d: lifts.get(d, 0.0) + parts["neighbours"].get(d, 0.0) for d in lifts.keys() | parts["neighbours"].keys()}
                ranked = {d: scores[d] + lifts.get(d, 0.0) for d in docs}
        best = _best(max(limit, RERANK), docs, ranked)
        if explain:  # Whoosh's hits, which know the terms they matched
            pool = collect(searcher, query, len(best), set(best), True)
        else:
            pool = [Scored(d, scores[d], searcher) for d in best]
        near = self._scores(bonus, memo, [hit.docnum for hit in pool]) if bonus is not None else {}
        richness = self._richness()

        def extra(hit) -> float:
            lifted = hit.score + lifts.get(hit.docnum, 0.0)
            prior = ranking["richness"] * (richness[hit.docnum] or 0) / 1000.0 * lifted if richness is not None else 0.0
            return lifts.get(hit.docnum, 0.0) + near.get(hit.docnum, 0.0) + prior

        totals = {hit.docnum: hit.score + extra(hit) for hit in pool}
        top = max(totals.values(), default=0.0)
        titled = self._titled(words, totals)
        tagged = self._tagged(tags, words, [hit.docnum for hit in pool])
        scored = sorted(((hit, totals[hit.docnum] - hit.score + (top if hit.docnum in titled else 0.0)
                          + (TAGGED * top if hit.docnum in tagged else 0.0)) for hit in pool),
                        key=lambda pair: (-(pair[0].score + pair[1]), pair[0].docnum))
        return [(hit, bonus, {name: p[hit.docnum] for name, p in parts.items() if p.get(hit.docnum)})
                for hit, bonus in scored[:limit]]

    def _neighbours(self, ranked: dict[int, float], docs, words: list[str]) -> dict[int, float]:
        """Pseudo-relevance feedback for datasets: what each dataset gains for carrying, in
        its title or tags, the words that the best datasets of the search share.  A
        catalogue holds many records on one topic; the words that several of the best of
        them carry in their titles and tags (``NEIGHBOURS["min"]`` of the first
        ``NEIGHBOURS["records"]``: "cadastral", "parcellaire" for "cadastre") say what the
        topic is called, and a record named by them is central to it, where a record
        that repeats the typed word in a short title may be a side issue.  A word counts
        ``carried × log(N / holders)`` (rare words say more); the ``NEIGHBOURS["words"]``
        best ones are scored in titles and tags, at ``NEIGHBOURS["weight"]`` of their
        score, for the datasets the search found (it adds none).  Notes are left as they
        are (measured: no gain on the notes corpora)."""
        datasets = self._facets().docs("kind", "dataset")
        found = datasets.intersection(docs)
        if len(found) < NEIGHBOURS["records"]:
            return {}
        first = heapq.nsmallest(NEIGHBOURS["records"], found, key=lambda d: (-ranked[d], d))
        typed = {stem for word in words for stem in terms(FRENCH, word)}
        carried: dict[str, int] = {}
        named = self._cache.named
        for d in first:
            if d not in named:  # the words of its title and tags, analysed once per generation
                stored = self._current().reader().stored_fields(d)
                tags = (stored.get("data") or {}).get("tags") or ()
                named[d] = frozenset(terms(FRENCH, " ".join((stored.get("title", ""), *tags))))
            for stem in named[d] - typed:
                carried[stem] = carried.get(stem, 0) + 1
        scorer = self._scorer()
        telling = []
        for stem, n in carried.items():
            if n >= NEIGHBOURS["min"]:
                held = len(scorer.holders("title", stem) | scorer.holders("tags", stem))
                telling.append((-n * math.log(scorer.doc_count / max(held, 1)), stem))
        gains: dict[int, float] = {}
        for _, stem in sorted(telling)[:NEIGHBOURS["words"]]:
            for field_name in ("title", "tags"):
                for d, score in scorer.term(field_name, stem).items():
                    if d in found:
                        gains[d] = gains.get(d, 0.0) + NEIGHBOURS["weight"] * score
        return gains

    def _title_terms(self, docs) -> dict[int, list[str]]:
        """Record number -> its title analysed, kept per index generation."""
        known = self._cache.title_terms
        missing = [d for d in docs if d not in known]
        if missing:
            column = self._current().reader().column_reader("title_sort")
            known.update((d, terms(FRENCH, column[d])) for d in missing)
        return known


    def _tagged(self, tags: tuple[str, ...], words: list[str], docs: list[int]) -> set[int]:
        """Which notes of ``docs`` (the re-ranking's candidates) a query that names a tag
        (``tags``: its facet keys) names: those carrying the tag, and those whose title
        holds every word of the query, which the tag must not pass ("étalab": the "Guide
        Etalab" note before the notes of people tagged Etalab).  None when no note carries
        the tag.  Read from the candidates' own tags and titles: a common tag's records
        (tens of thousands at 100,000 notes) are not gathered for every search."""
        facets = self._facets()
        datasets = facets.docs("kind", "dataset")  # every other record is a note
        if not any(facets.docs("tag", key) - datasets for key in tags):
            return set()
        wanted = set(tags)
        stems = set(terms(FRENCH, " ".join(words)))
        notes = [d for d in docs if d not in datasets]
        titles = self._title_terms(notes) if stems else {}
        return {d for d in notes if wanted.intersection(facets.keys_of(d, "tag")) or (stems and stems <= set(titles[d]))}

    def _titled(self, words: list[str], docs) -> set[int]:
        """Which of ``docs`` have a title made of exactly the query's words (two or more,
        analysed: case, accents, stop words and endings do not matter)."""
        wanted = terms(FRENCH, " ".join(words))
        if len(wanted) < 2:
            return set()
        known = self._title_terms(docs)
        return {d for d in docs if known[d] == wanted}

    def _lifts(self, scores: dict[int, float], docs, words: list[str], w: float) -> dict[str, dict[int, float]]:
        """What the popularity prior adds to each record's text score, before any cut,
        as two parts: ``popularity``, ``sqrt(score * best) * weight * popularity``, ``best``
        being the best text score of the query and ``weight`` ``w / n²`` for a query of
        ``n`` meaningful words (``w``: the ``ranking.popularity`` setting), and ``broad``.
        Scaled halfway between the record's own score and the best one: a popular record far
        down the text ranking can climb to the first page, a record that barely matches
        cannot be carried by usage alone.  One broad word leaves the choice among hundreds
        of similar matches to usage; every word typed more says more about the record wanted
        and lets the text decide.  A record without usage figures (every note) has
        popularity 0 and keeps its text score.

        ``broad``: one word that many records carry (``_breadth``: ``b``, 0 up to
        ``BROAD[0]`` matching records, 1 from ``BROAD[1]``) says what the records are about,
        not which one is wanted: among the records that carry it in their title or tags,
        the text score (short titles that repeat the word) tells little more, and usage
        tells more.  Their score is brought towards the best one,
        ``best * (score / best) ** (1 / (1 + 2b))``, and the popularity weight is multiplied
        by ``1 + 2b``; a record that only mentions the word in its description keeps its
        text score.

        ``local``: a broad word that names no place wants the country's record, and a
        dataset of one place (``coverage``) gives back what usage and breadth added: its
        usage measures its place's interest.  Measured on the broad family: MRR@10 0.797
        -> 0.828, no query lower; applied to every query (not only broad words), local
        topics fell ("toilettes publiques", "défibrillateurs")."""
        popular = self._popularity()
        weight = w / max(len(words), 1) ** 2
        if not weight or not popular:
            return {}
        best = max(scores[d] for d in docs)
        text, broad = scores, {}
        k = 2 * self._breadth(words, scores)
        if k and best > 0:
            about = self._about(words[0], docs)
            broad = {d: best * (scores[d] / best) ** (1 / (1 + k)) - scores[d] for d in about}
            text = {d: scores[d] + broad.get(d, 0.0) for d in docs}
            weight *= 1 + k
        typical = self._typical(docs, popular)
        parts = {"popularity": {d: math.sqrt(best * text[d]) * weight * popular[d] for d in docs if d in popular},
                 "typical": {d: math.sqrt(best * text[d]) * weight * v for d, v in typical.items()}, "broad": broad}
        if k and not self._coverage().names_place(words):
            lifted = set().union(*parts.values())
            parts["local"] = {d: -sum(p.get(d, 0.0) for p in parts.values()) for d in self._coverage().local(lifted)}
        return parts

    def _informed(self, scores: dict[int, float], docs, words: list[str]) -> dict[int, float]:
        """When no record holds every word (or fewer than a page do), what each record that
        holds some of them gains for the information of the words it holds: ``INFORMED *
        best * sum(log(N / df))`` over the query's words it holds (``best``: the best text
        score; ``N``: records in the index; ``df``: the records holding the word, stemmed, in
        any text field).  The rarer words say more about the record wanted than the common
        ones ("bureaux de tabac": a record about tobacco before a list of polling stations
        whose short title repeats "bureaux"), which the text score, led by short titles,
        does not always say.  A word matched only through a synonym or a typo counts no
        information here."""
        scorer = self._scorer()
        held = []
        for word in words:
            found: set[int] = set()
            for stem in terms(FRENCH, word):
                for field_name, _ in TEXT_FIELDS:
                    found |= scorer.holders(field_name, stem)
            if found:
                held.append((found, math.log(max(scorer.doc_count, len(found)) / len(found))))
        best = max((scores[d] for d in docs), default=0.0)
        gains = {d: INFORMED * best * sum(info for found, info in held if d in found) for d in docs}
        return {d: gain for d, gain in gains.items() if gain}

    @staticmethod
    def _breadth(words: list[str], scores) -> float:
        """How broad a one-word query is, 0..1, from the number of records it matches
        (``BROAD``: log-scaled between the two); 0 for a query of several words."""
        if len(words) != 1 or len(scores) <= BROAD[0]:
            return 0.0
        return min(1.0, math.log(len(scores) / BROAD[0]) / math.log(BROAD[1] / BROAD[0]))

    def _about(self, word: str, docs) -> set[int]:
        """Which of ``docs`` carry ``word`` in their title or tags: the word itself, accents and a
        plural's ``s`` or ``x`` aside, not only a word of its stem (``station`` is no
        ``stationnement``, ``alimentaire`` no ``aliments``).  Read from the titles and tags of
        the records holding the stem there (a few hundred for a broad word)."""
        known = self._cache.about.get(word)
        if known is None:
            if len(self._cache.about) >= ABOUT_KEPT:
                self._cache.about.clear()
            known = self._cache.about[word] = frozenset(self._carrying(word))
        return known.intersection(docs)

    def _carrying(self, word: str) -> set[int]:
        """Every record carrying ``word`` in its title or tags (``_about``), deleted ones left out."""
        scorer = self._scorer()
        held: set[int] = set()
        for stem in terms(FRENCH, word):
            for field_name in ("title", "tags"):
                held |= scorer.holders(field_name, stem)
        held -= scorer.deleted
        folded = fold(word).casefold()
        base = folded[:-1] if len(folded) > 3 and folded.endswith(("s", "x")) else folded
        forms = {base, base + "s", base + "x"}
        titles, facets = self._current().reader().column_reader("title_sort"), self._facets()

        def carries(text: str) -> bool:
            return not forms.isdisjoint(_WORDS.findall(text))

        return {d for d in held
                if carries(titles[d]) or carries(fold(" ".join(label for _, label in facets.values_of(d, "tag"))).casefold())}

    def _popularity(self) -> dict[int, float]:
        """Record number -> popularity (0..1) of the records whose usage was measured."""
        if self._cache.popularity is None:
            popular = self._cache.popularity = {}
            for reader, offset, _ in self._scorer().segments:
                values = whoosh_internals.numeric_column(reader, "popularity") or ()
                popular.update((offset + d, v / 1000.0) for d, v in enumerate(values) if v)
        return self._cache.popularity

    def _typical(self, docs, measured: dict[int, float]) -> dict[int, float]:
        """Which of ``docs`` are datasets without usage figures whose publisher has
        ``TYPICAL`` measured datasets or more -> the median popularity of those.  A source
        that publishes no figures (an old export, a portal without counters) says nothing
        about how much a record is used; the usage of the same publisher's records
        elsewhere in the catalogue does, a little: a ministry's datasets are used more
        than a village's.  Without such a publisher the record keeps no popularity (the
        prior never lowers).  Read for the records a search finds (their publisher from
        their own facet values, a publisher's median once per index generation), not for
        the whole catalogue: a new process searches as fast as before."""
        facets = self._facets()
        datasets = facets.docs("kind", "dataset")
        known, medians = self._cache.typical, self._cache.medians
        out: dict[int, float] = {}
        for d in docs:
            if d in measured or d not in datasets:
                continue
            if d not in known:
                keys = facets.keys_of(d, "publisher")
                key = keys[0] if keys else None
                if key is not None and key not in medians:
                    values = [measured[x] for x in facets.docs("publisher", key) if x in measured]
                    medians[key] = statistics.median(values) if len(values) >= TYPICAL else None
                known[d] = medians.get(key) if key is not None else None
            if known[d] is not None:
                out[d] = known[d]
        return out

    def _richness(self):
        if self._cache.richness is None:
            reader = self._current().reader()
            self._cache.richness = reader.column_reader("richness") if reader.has_column("richness") else False
        # not ``or None``: a column over several segments has a length, and may count as false
        return None if self._cache.richness is False else self._cache.richness

    def _explain(self, hit, origin: dict[str, str] | None, exact: list | None = None) -> tuple[str, ...]:
        """``title:licenc (stemmed) 3.21``: each matched term, how it matched, its score part."""
        parts = []
        for term in exact or ():
            score = term_score(self._current(), term.fieldname, term.text, hit.docnum) * term.boost
            if score:
                parts.append((score, f"{term.fieldname}:{term.text} (exact) {score:.2f}"))
        if not hit.results.has_matched_terms():
            return tuple(p for _, p in sorted(parts, key=lambda sp: -sp[0]))
        for field_name, term in hit.matched_terms():
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            how = "exact" if field_name.endswith("_exact") else (origin or {}).get(text, "stemmed")
            score = term_score(self._current(), field_name, term, hit.docnum)
            parts.append((score, f"{field_name}:{text} ({how}) {score:.2f}"))
        return tuple(p for _, p in sorted(parts, key=lambda sp: -sp[0]))

    def _hit(self, hit, pattern, explain: bool, origin: dict[str, str] | None = None, bonus: float = 0.0,
             exact: list | None = None, lift: dict[str, float] | None = None) -> Hit:
        stored = hit.fields()
        d = stored.get("data") or {}
        text = d.get("body") or ""
        summary = d.get("summary") or ""
        text = text[:SNIPPET_SCAN]
        source = plain(text, self.title_of) if stored.get("kind") == "note" else SPACES.sub(" ", text)
        snip, marks = snippet(source, pattern)
        if not marks and summary:
            s2, m2 = snippet(summary, pattern)
            if m2 or not snip:
                snip, marks = s2, m2
        details = self._explain(hit, origin, exact) if explain else ()
        lift = lift or {}
        for name in ("popularity", "typical", "broad", "local", "words", "neighbours"):
            if explain and lift.get(name):
                details += (t(f"query.{name}", score=f"{lift[name]:.2f}"),)
        if explain and bonus - sum(lift.values()):
            details += (f"(+{t('query.rerank')}) {bonus - sum(lift.values()):.2f}",)
        return Hit(
            id=stored["id"], kind=stored.get("kind", "note"), types=tuple(d.get("types", ())),
            title=stored.get("title", ""), tags=tuple(d.get("tags", ())), path=stored.get("path", ""),
            url=d.get("url", ""), score=(float(hit.score) + bonus) if isinstance(hit.score, (int, float)) else 0.0, snippet=snip, marks=marks,
            summary=summary, publisher=d.get("publisher", ""), licence=d.get("licence", ""),
            formats=tuple(d.get("formats", ())), modified=d.get("modified", ""), mtime=d.get("mtime", 0.0),
            explain=details,
        )


def _corrections(reader, field_name: str, word: str, limit: int = 2, maxdist: int = 2) -> list[str]:
    """Whoosh's ``reader.corrector(field_name).suggest(word, limit, maxdist)``: the words within
    ``maxdist`` edits (``whoosh_internals.words_within``), the most frequent first (Whoosh
    ranks them by frequency alone)."""
    if field_name not in reader.schema:
        return []
    scored = [(-(maxdist + 0.5 / (reader.frequency(field_name, w) or 1)), w)
              for w in whoosh_internals.words_within(reader, field_name, word, maxdist)]
    return [w for _, w in sorted(heapq.nlargest(limit, scored), key=lambda x: (-x[0], x[1]))]


def _best(n: int, docs, value: dict[int, float]) -> list[int]:
    """The ``n`` records of ``docs`` of highest ``value``, best first; equal values in record
    order (Whoosh's).  The n-th value is found among bare floats, and only the records that
    reach it are sorted."""
    if len(docs) > n:
        threshold = heapq.nlargest(n, [value[d] for d in docs])[-1]
        docs = [d for d in docs if value[d] >= threshold]
    return sorted(docs, key=lambda d: (-value[d], d))[:n]


def date_bounds(name: str, value: str) -> tuple[int, int]:
    """The days ``(first, last)`` of a date filter (``searchkit.dates.bounds``); a value
    of the wrong form is a ``QueryError`` that says which forms are read."""
    found = bounds(name, value)
    if found is None:
        raise QueryError(t(f"query.bad_{'covers' if name == 'covers' else 'date'}", name=name, value=value))
    return found


def search(index_dir: Path, text: str, **options) -> Results:
    """One search on a fresh engine (what ``searchkit query`` does)."""
    engine = Engine(index_dir)
    try:
        return engine.search(text, **options)
    finally:
        engine.close()

