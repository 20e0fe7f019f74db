"""Parse what a person types, run it, count facets, cut snippets.  Returns data.

Query language (French and English operators)::

    mots simples          every word must match (with a fallback, see below)
    "une phrase"          words in this order
    a OR b, a OU b        either
    -mot, NOT mot, SAUF mot
    champ:valeur          title:, tag:, type:, kesako:, publisher:, licence:, format:,
                          kind:, or any other front-matter key
    préfix*               words starting with it (3 letters at least)

Words combine with AND; when no record has them all, the search falls back to
"any word, more words rank higher" and says so in ``Results.notice``.  Nothing
a person types raises: unbalanced quotes or parentheses and lone operators are
searched as plain words.

    >>> engine = Engine(Path("index"))            # doctest: +SKIP
    >>> engine.search("données ouvertes", filters={"tag": ["open data"]}).total
"""

from __future__ import annotations

import heapq
import math
import os
import pickle
import re
import struct
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import query as Q
from whoosh.scoring import BM25F

from searchkit import thesaurus
from searchkit.analysis import EXACT, FRENCH, FrenchStemFilter, terms
from searchkit.errors import QueryError, SearchkitError
from searchkit.index import SEP, as_damaged, open_index, record_from_stored
from searchkit.markup import WIKILINK
from searchkit.messages import t
from searchkit.model import FACETS, MAX_LIMIT, SORTS, FacetValue, Hit, Record, Results
from searchkit.textnorm import facet_key, fold, fold_same_length

# what Whoosh raises when it reads damaged data in the middle of a search
READ_ERRORS = (zlib.error, struct.error, EOFError, pickle.UnpicklingError, OSError)


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


MAX_QUERY_CHARS = 2_000
LABEL_SAMPLE = 50  # records read to find a facet value's most common spelling
LOOSE_SHARE = 0.6  # share of the words a record needs when the query has 3 or more
QUESTION_SHARE = 0.5  # the same for a question (ends with ?, starts with quel/qui/où...)
COMMON_SHARE = 0.25  # a word in this share of the records or more is "common"
COMMON_WEIGHT = 0.35  # ... and weighs this much
ALTERNATIVE_SHARE = 0.6  # forms of one typed compound (joined, phrase, parts) each weigh this
MAX_UNKNOWN_WORDS = 6  # words not in the index that get typo, prefix and split guesses
PER_RECORD_COUNT = 3000  # up to this many hits (or a tenth of the index), facets are read per record
PRIOR = 0.15  # a dataset with the richest description scores up to 15% more
RERANK = 50  # candidates re-ordered by the proximity of the query's words
COMMON_GROUP_WEIGHT = 0.5  # a common word or expression among meaningful ones weighs this much more
PREFIX_FIELDS = ("title", "tags", "summary")  # where a typed prefix is completed
PREFIX_TERMS_BODY = 0  # ... and in bodies (none: a short prefix starts thousands of their words)
PREFIX_TERMS = 12  # completions of a prefix searched, the most frequent ones
PREFIX_SCAN = 2000  # words starting with a prefix looked at to find them
BACKFILL = 10  # below this many records with every word, records with some words follow

# (field, boost) a plain word is searched in; exact copies add to the stemmed match
TEXT_FIELDS = (("title", 4.0), ("tags", 3.0), ("summary", 2.0), ("body", 1.0), ("meta", 0.7))
EXACT_FIELDS = (("title_exact", 3.0), ("tags_exact", 2.0))
FUZZY_BOOST = 0.25
PREFIX_BOOST = 0.6
SYNONYM_BOOST = 0.9
PHRASE_BOOST = 2.0
TITLE_COVER_BOOST = 1.0  # re-ranking: every word of the query in the title

# what a person types before a colon -> the index fields searched
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
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
            elif key in FIELD_ALIASES:
                clause = Clause("phrase" if phrase is not None else "word", raw or "", FIELD_ALIASES[key], negate)
            else:  # any other front-matter key: its values are in ``meta``
                clause = Clause("phrase" if phrase is not None else "word", raw or "", ("meta",), negate)
        elif phrase is not None:
            clause = Clause("phrase", phrase, negate=negate)
        elif raw.endswith("*") and len(raw.rstrip("*")) >= 3:
            clause = Clause("prefix", raw.rstrip("*"), negate=negate)
        else:
            stripped = raw.strip("*?!.,;:'’\"«»")
            if not stripped:
                continue
            clause = Clause("word", stripped, negate=negate)
        if pending_or and clauses and not clause.negate:
            clauses[-1].alternatives.append(clause)
        else:
            clauses.append(clause)
        pending_or = False
    return clauses, ignored


def _term_fields(clause: Clause):
    if clause.fields:
        return [(f, 1.0) for f in clause.fields], [(f"{f}_exact", 0.5) for f in clause.fields if f in ("title", "tags")]
    return list(TEXT_FIELDS), list(EXACT_FIELDS)


@dataclass
class Built:
    query: Q.Query | None
    stems: set[str]  # for highlighting
    prefixes: set[str]
    notes: list[str]
    words: list[str]  # meaningful words, for suggestions
    origin: dict[str, str] = field(default_factory=dict)  # term -> exact, stemmed, synonym, fuzzy...
    bonus: Q.Query | None = None  # proximity and exact forms, scored on the best candidates only
    exact: list = field(default_factory=list)  # the exact-form terms inside ``bonus`` (for --explain)


class QueryBuilder:
    """Turns clauses into a Whoosh query against one reader (for fuzzy and synonyms)."""

    def __init__(self, reader, *, fuzzy: bool = True, use_thesaurus: bool = True):
        self.reader = reader
        self.fuzzy = fuzzy
        self.use_thesaurus = use_thesaurus
        self.stems: set[str] = set()
        self.prefixes: set[str] = set()
        self.fuzzy_notes: list[str] = []
        self.synonym_notes: list[str] = []
        self.unknown = 0  # words of the query that are in no record
        self.exact_terms: list[Q.Query] = []  # unstemmed, unfolded forms (scored in the re-ranking)
        self.origin: dict[str, str] = {}  # term -> how it came from what was typed (for --explain)
        self.common = 0  # stems seen so far that are in a quarter of the records or more
        self.meaningful = 0

    def _doc_frequency(self, stem: str) -> int:
        return sum(self.reader.doc_frequency(f, stem) for f, _ in TEXT_FIELDS)

    def word(self, text: str, fields=None, boost: float = 1.0) -> Q.Query | None:
        """A word (or a hyphenated word) in every text field, exact copies boosted."""
        clause = Clause("word", text, fields or ())
        text_fields, exact_fields = _term_fields(clause)
        stems = terms(FRENCH, text)
        if not stems:
            return None
        if len(stems) > 1:
            return self._compound(text, fields, boost, text_fields)
        exacts = terms(EXACT, text)
        stem, exact = stems[0], exacts[0] if exacts else stems[0]
        self.stems.add(stem)
        self.origin.setdefault(stem, "stemmed")
        self.origin.setdefault(exact, "exact")
        boost *= self._damping(stem)
        options: list[Q.Query] = [Q.Term(f, stem, boost=b * boost) for f, b in text_fields]
        # the exact form only re-orders records that match anyway: scored on the best candidates
        self.exact_terms += [Q.Term(f, exact, boost=b * boost) for f, b in exact_fields]
        frequency = self._doc_frequency(stem)
        if frequency == 0:
            self.unknown += 1
        if self.unknown > MAX_UNKNOWN_WORDS:  # a pasted paragraph: no guessing for every word
            return Or(options)
        split = self._split(text) if frequency < 3 and len(stem) >= 6 else None
        if split is not None:
            options.append(split)
            frequency = max(frequency, 1)
        folded = fold(text).casefold()
        if frequency == 0 and len(folded) >= 4 and not stem.isdigit():
            # a word cut short, as typed in a search box: "interop", "anonym"; its
            # length is the typed one: "sémant" stems to "sem"
            variants = {folded, stem}
            found_prefix = next(([v] for v in (folded, stem) if self._has_prefix(v)), [])  # as typed first
            if found_prefix:
                self.prefixes.update(found_prefix)
                self.origin.update((v, "prefix") for v in found_prefix)
                options += [q for f, b in text_fields for v in found_prefix
                            for q in self._completions(f, v, b * PREFIX_BOOST)]
                frequency = 1
        if self.fuzzy and frequency == 0 and len(stem) >= 4 and not stem.isdigit():
            # letters swapped: "cnli", "inira" (Whoosh's distance counts a swap as 2)
            swaps = self._transpositions(fold(text).casefold())
            if swaps:
                self.fuzzy_notes.append(f"{text} → {', '.join(sorted(swaps)[:3])}")
                self.stems.update(swaps)
                self.origin.update((v, "fuzzy") for v in swaps)
                options += [Q.Term(f, v, boost=b * FUZZY_BOOST * 2) for f, b in text_fields for v in swaps]
                frequency = 1
        if self.fuzzy and not stem.isdigit() and len(stem) >= 4 and frequency == 0:
            folded = fold(text).casefold()
            maxdist = 1 if len(folded) <= 7 else 2
            fuzzy = [FuzzyTerm(f, stem, boost=b * boost * FUZZY_BOOST, maxdist=maxdist, prefixlength=1)
                     for f, b in text_fields]
            found = self._expansions(fuzzy)
            if found:
                self.fuzzy_notes.append(f"{text} → {', '.join(sorted(found)[:3])}")
                self.stems.update(found)
                self.origin.update((v, "fuzzy") for v in found)
            options += fuzzy
        return Or(options)

    def _damping(self, stem: str) -> float:
        """Words found in a quarter of the records or more carry little meaning
        ("données" in an open-data corpus): their weight is cut."""
        total = self._doc_count()
        if total < 20:
            self.meaningful += 1
            return 1.0
        share = self.reader.doc_frequency("body", stem) / total
        if share < COMMON_SHARE:
            self.meaningful += 1
            return 1.0
        self.common += 1
        return COMMON_WEIGHT

    def _doc_count(self) -> int:
        if not hasattr(self, "_count"):
            self._count = self.reader.doc_count()
        return self._count

    def _compound(self, text: str, fields, boost: float, text_fields) -> Q.Query:
        """``saint-étienne``, ``data.gouv.fr``: the parts as a phrase, the joined
        form when the analyzer made one, or every part anywhere."""
        tokens = [(tok.text, tok.pos) for tok in FRENCH(text, positions=True)]
        wholes = [w for k, (w, pos) in enumerate(tokens) if k + 1 < len(tokens) and tokens[k + 1][1] == pos]
        parts = [w for w in (t for t, _ in tokens) if w not in wholes]
        self.stems.update(parts + wholes)
        self.origin.update((w, "compound") for w in parts + wholes)
        together: list[Q.Query] = []
        for f, b in text_fields:
            if len(parts) > 1 and f != "meta":
                together.append(Q.Phrase(f, parts, boost=b * boost * 1.5))
            together += [Q.Term(f, w, boost=b * boost) for w in wholes]
        apart = Q.And([Or([Q.Term(f, p, boost=b * boost * self._damping(p)) for f, b in text_fields]) for p in parts])
        # one typed word: its forms are alternatives and must not add up to three words
        # (Whoosh's DisjunctionMax would be the tool, but it scores differently under
        # a top-N collector than without a limit)
        return Or([Or(together, boost=ALTERNATIVE_SHARE), apart.with_boost(ALTERNATIVE_SHARE)]) if together else apart

    def _completions(self, field_name: str, prefix: str, boost: float, k: int = 0) -> list[Q.Query]:
        """The ``PREFIX_TERMS`` most frequent words of ``field_name`` starting with
        ``prefix``, as terms: a short prefix typed in a search box may start
        thousands of words, and a union of all of them is what made typing slow."""
        found = []
        for n, term in enumerate(self.reader.expand_prefix(field_name, prefix)):
            if n >= PREFIX_SCAN:
                break
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            found.append((self.reader.doc_frequency(field_name, text), text))
        found.sort(reverse=True)
        return [Q.Term(field_name, text, boost=boost) for _, text in found[:k or PREFIX_TERMS]]

    def _has_prefix(self, prefix: str) -> bool:
        for f in ("title", "tags", "body"):
            for _ in self.reader.expand_prefix(f, prefix):
                return True
        return False

    def _transpositions(self, folded: str) -> set[str]:
        found = set()
        for k in range(len(folded) - 1):
            if folded[k] == folded[k + 1]:
                continue
            swapped = folded[:k] + folded[k + 1] + folded[k] + folded[k + 2:]
            stems = terms(FRENCH, swapped)
            if len(stems) == 1 and self._doc_frequency(stems[0]) > 0:
                found.add(stems[0])
        return found

    def _split(self, text: str) -> Q.Query | None:
        """``opendata`` also finds ``open data``: the best split into two known words."""
        folded = fold(text).casefold()
        best, best_score = None, 0
        for cut in range(3, len(folded) - 2):
            left, right = terms(FRENCH, folded[:cut]), terms(FRENCH, folded[cut:])
            if len(left) != 1 or len(right) != 1:
                continue
            score = min(self._doc_frequency(left[0]), self._doc_frequency(right[0]))
            if score > best_score:
                best, best_score = (left[0], right[0]), score
        if best is None:
            return None
        self.stems.update(best)
        self.origin.update((w, "split") for w in best)
        return Or([Q.Phrase(f, list(best), boost=b) for f, b in TEXT_FIELDS if f != "meta"])

    def _expansions(self, fuzzy_terms) -> set[str]:
        found: set[str] = set()
        for q in fuzzy_terms:
            try:
                for leaf, _ in self.reader.leaf_readers():  # the segments the search will ask about
                    found.update(q._btexts(leaf))
            except Exception:
                continue
            if len(found) > 20:
                break
        return {f.decode("utf-8") if isinstance(f, bytes) else f for f in found}

    def prefix(self, text: str, fields=None) -> Q.Query | None:
        folded = fold(text).casefold().strip("'’")
        if len(folded) < 3:
            return self.word(text, fields)
        clause = Clause("prefix", text, fields or ())
        text_fields, _ = _term_fields(clause)
        stem = FrenchStemFilter().stem(folded)
        variants = {folded, stem} if len(stem) >= 3 else {folded}
        self.prefixes.update(variants)
        self.origin.update((v, "prefix") for v in variants)
        options: list[Q.Query] = []
        for f, b in text_fields:
            # short fields get the most frequent completions, bodies (where a short
            # prefix starts thousands of words) only the very most frequent ones
            k = PREFIX_TERMS if fields or f in PREFIX_FIELDS else PREFIX_TERMS_BODY
            for v in variants if k else ():
                options += self._completions(f, v, b * PREFIX_BOOST, k)
        exact = self.word(text, fields)
        if exact is not None:
            options.append(exact)
        return Or(options)

    def phrase(self, text: str, fields=None) -> Q.Query | None:
        stems = terms(FRENCH, text)
        if not stems:
            return None
        if len(stems) == 1:
            return self.word(text, fields)
        self.stems.update(stems)
        for stem in stems:
            self.origin.setdefault(stem, "phrase")
        targets = fields or ("title", "tags", "summary", "body")
        return Or([Q.Phrase(f, stems, slop=1, boost=dict(TEXT_FIELDS).get(f, 1.0)) for f in targets])

    def keyword(self, clause: Clause) -> Q.Query | None:
        name = clause.fields[0]
        value = clause.text if name == "id" else facet_key(clause.text)
        if name == "kind":
            value = {"notes": "note", "datasets": "dataset", "jeu": "dataset", "donnees": "dataset"}.get(value, value)
        return Q.Term(name, value) if value else None

    def clause(self, clause: Clause) -> Q.Query | None:
        if clause.kind == "keyword":
            q = self.keyword(clause)
        elif clause.kind == "phrase":
            q = self.phrase(clause.text, clause.fields or None)
        elif clause.kind == "prefix":
            q = self.prefix(clause.text, clause.fields or None)
        else:
            q = self.word(clause.text, clause.fields or None)
            if q is not None and self.use_thesaurus and not clause.fields:
                q = self._with_synonyms(clause.text, q)
        alts = [self.clause(a) for a in clause.alternatives]
        alts = [a for a in alts if a is not None]
        if alts:
            return Or(([q] if q is not None else []) + alts)
        return q

    def _with_synonyms(self, text: str, q: Q.Query) -> Q.Query:
        typed = (self.common, self.meaningful)
        try:
            return self._add_synonyms(text, q)
        finally:
            self.common, self.meaningful = typed

    def _add_synonyms(self, text: str, q: Q.Query) -> Q.Query:
        known = set(self.origin)
        try:
            return self._synonym_query(text, q)
        finally:
            self.origin.update((term, "synonym") for term in set(self.origin) - known)

    def _synonym_query(self, text: str, q: Q.Query) -> Q.Query:
        expansions = thesaurus.expand_word(text)
        extra = []
        for phrase in expansions:
            built = self.phrase(phrase) if " " in phrase else self.word(phrase)
            if built is not None:
                extra.append(Or([built], boost=SYNONYM_BOOST) if not isinstance(built, Q.Or) else built.with_boost(SYNONYM_BOOST))
                self.synonym_notes.append(f"{text} = {phrase}")
        return Or([q] + extra) if extra else q


def _meaningful(clauses: list[Clause]) -> list[Clause]:
    """Drop filler words of long questions when enough meaningful words remain."""
    plain = [c for c in clauses if c.kind == "word" and not c.fields and not c.negate and not c.alternatives]
    if len(plain) < 3:
        return clauses
    keep = [c for c in clauses if not (c in plain and fold(c.text).casefold() in FILLER)]
    return keep if any(c.kind != "keyword" and not c.negate for c in keep) else clauses


@lru_cache(maxsize=4)
def _thesaurus_keys(_version: int = 0) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Thesaurus entries keyed by their analysed terms, so stop words and
    elisions do not matter: ``commission nationale de l'informatique`` ="""
    table: dict[tuple[str, ...], list[str]] = {}
    for group in thesaurus.groups(os.environ.get("SEARCHKIT_THESAURUS")):
        for item in group:
            key = tuple(terms(FRENCH, item))
            if key:
                table.setdefault(key, []).extend(g for g in group if tuple(terms(FRENCH, g)) != key)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def _thesaurus_group(builder: "QueryBuilder", clauses: list[Clause], i: int):
    """The longest run of plain words from ``i`` that the thesaurus knows (2-10 words)."""
    keys = _thesaurus_keys()
    for j in range(min(len(clauses), i + 10), i + 1, -1):
        run = clauses[i:j]
        if not all(_plain(c) for c in run):
            continue
        phrase = " ".join(c.text for c in run)
        key = tuple(terms(FRENCH, phrase))
        expansions = keys.get(key) if len(key) >= 2 else None
        if not expansions:
            continue
        parts = [builder.word(c.text) for c in run]
        parts = [p for p in parts if p is not None]
        typed = (builder.common, builder.meaningful)  # the words typed decide, not their synonyms
        known = set(builder.origin)
        alts = [builder.phrase(e) if " " in e else builder.word(e) for e in expansions]
        alts = [a for a in alts if a is not None]
        builder.origin.update((term, "synonym") for term in set(builder.origin) - known)
        builder.common, builder.meaningful = typed
        builder.synonym_notes.append(f"{phrase} = {', '.join(expansions)}")
        together = builder.phrase(phrase)
        options = ([Q.And(parts)] if parts else []) + [a.with_boost(SYNONYM_BOOST) for a in alts]
        if together is not None:
            options.append(together.with_boost(PHRASE_BOOST))
        return Or(options), len(run)
    return None


def _joined_group(builder: "QueryBuilder", clauses: list[Clause], i: int):
    """``géo portail`` also finds ``géoportail`` (and ``open street map``,
    ``openstreetmap``) when the joined word is in the index."""
    for size in (3, 2):
        run = clauses[i:i + size]
        if len(run) < size or not all(_plain(c) for c in run):
            continue
        joined = terms(FRENCH, "".join(c.text for c in run))
        if len(joined) != 1 or builder._doc_frequency(joined[0]) == 0:
            continue
        parts = [builder.word(c.text) for c in run]
        if any(p is None for p in parts):
            continue
        builder.stems.add(joined[0])
        builder.origin[joined[0]] = "joined"
        whole = Or([Q.Term(f, joined[0], boost=w) for f, w in TEXT_FIELDS])
        return Or([Q.And(parts, boost=ALTERNATIVE_SHARE), whole.with_boost(ALTERNATIVE_SHARE)]), size
    return None


def _is_question(text: str) -> bool:
    words = text.split()
    return text.rstrip().endswith("?") or bool(words and fold(words[0]).casefold().strip("?") in FILLER)


def _plain(c: Clause) -> bool:
    return c.kind == "word" and not c.fields and not c.negate and not c.alternatives


def build(reader, text: str, *, any_word: bool = False, prefix_last: bool = False,
          fuzzy: bool = True, use_thesaurus: bool = True) -> Built:
    clauses, ignored = parse(text)
    clauses = _meaningful(clauses)
    if prefix_last and clauses and clauses[-1].kind == "word" and not text.endswith((" ", '"')):
        clauses[-1].kind = "prefix"
    builder = QueryBuilder(reader, fuzzy=fuzzy, use_thesaurus=use_thesaurus)
    must, should, must_not = [], [], []
    words: list[str] = []
    phrase_words: list[str] = []

    common: list = []  # clauses made only of very common words: they rank, they do not filter

    def add(q, clause_kind="word", negate=False, before=(0, 0), group=False):
        if q is None:
            return
        if negate:
            must_not.append(q)
        elif any_word and clause_kind != "keyword":
            should.append(q)
        elif clause_kind != "keyword" and builder.meaningful == before[1] and builder.common > before[0]:
            # a single common word is damped already; a common expression's synonyms are not
            common.append(q.with_boost(q.boost * COMMON_GROUP_WEIGHT) if group else q)
        else:
            must.append(q)

    i = 0
    while i < len(clauses):
        clause = clauses[i]
        snapshot = (builder.common, builder.meaningful)
        if _plain(clause) and not any_word:
            # a run of words that is a thesaurus entry: "base adresse nationale" = BAN
            group = _thesaurus_group(builder, clauses, i) if use_thesaurus else None
            if group is None:
                # two words written as one elsewhere: "géo portail" = géoportail
                group = _joined_group(builder, clauses, i)
            if group is not None:
                q, used = group
                add(q, before=snapshot, group=True)
                for c in clauses[i:i + used]:
                    words.append(c.text)
                    phrase_words.append(c.text)
                i += used
                continue
        q = builder.clause(clause)
        add(q, clause.kind, clause.negate, snapshot)
        if q is not None and clause.kind in ("word", "prefix") and not clause.negate:
            words.append(clause.text)
            phrase_words.append(clause.text)
        i += 1
    # proximity bonus: the words as a phrase (loose) in title or body, and all of them in
    # the title; applied to the best candidates only (Engine._top), never to every match
    bonus = None
    if len(phrase_words) >= 2:
        stems = [s for w in phrase_words for s in terms(FRENCH, w)]
        if len(stems) >= 2:
            bonus = [Q.Phrase("title", stems, slop=2, boost=PHRASE_BOOST * 2),
                     Q.Phrase("body", stems, slop=3, boost=PHRASE_BOOST),
                     Q.Phrase("summary", stems, slop=2, boost=PHRASE_BOOST)]
    if phrase_words:
        # a title made of the query's words: "Guide Etalab" before a note that cites Etalab in every field
        stems = [s for w in phrase_words for s in terms(FRENCH, w)]
        if stems:
            bonus = (bonus or []) + [Q.And([Q.Term("title", s) for s in stems], boost=TITLE_COVER_BOOST)]
    bonus = Or((bonus or []) + builder.exact_terms) if bonus or builder.exact_terms else None
    notes = []
    if ignored:
        notes.append(t("query.ignored", parts=", ".join(ignored)))
    if builder.synonym_notes:
        notes.append(t("query.synonyms", pairs="; ".join(dict.fromkeys(builder.synonym_notes))))
    if builder.fuzzy_notes:
        notes.append(t("query.fuzzy", pairs="; ".join(builder.fuzzy_notes)))
    if any_word:
        core = Or(should) if should else None
        positive = Q.And(must + [core]) if must and core is not None else (core or (Q.And(must) if must else None))
    else:
        if common and any(not isinstance(q, Q.Term) for q in must):
            should.extend(common)  # they rank, they do not filter
        else:
            must.extend(common)
        scored = [q for q in must if not isinstance(q, Q.Term)]  # keyword filters stay required
        share = QUESTION_SHARE if _is_question(text) else LOOSE_SHARE
        if len(scored) >= 3:
            # long queries: some words may be missing; records with every word still rank first
            required = [q for q in must if q not in scored]
            loose = Or(scored, minmatch=max(2, math.ceil(len(scored) * share)))
            positive = Q.And(required + [loose]) if required else loose
        else:
            positive = Q.And(must) if must else None
        if positive is not None and should:
            positive = Q.AndMaybe(positive, Or(should))
    if positive is None and must_not:
        positive = Q.Every()
    if positive is not None and must_not:
        positive = Q.AndNot(positive, Or(must_not))
    return Built(positive, builder.stems, builder.prefixes, notes, words, builder.origin, bonus, builder.exact_terms)


# ---------------------------------------------------------------- snippets

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_NOISE = re.compile(r"(^|\s)#{1,6}\s|[*_`>]{1,3}|^\s*[-+]\s", re.MULTILINE)
_WS = re.compile(r"\s+")
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
    return _WS.sub(" ", text).strip()


def _matcher(stems: set[str], prefixes: set[str]) -> re.Pattern | None:
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


# ---------------------------------------------------------------- engine


@dataclass
class _Cache:
    generation: object = None
    forward: dict[str, list] = field(default_factory=dict)  # facet -> docnum -> keys
    postings: dict[tuple[str, str], frozenset] = field(default_factory=dict)
    labels: dict[tuple[str, str], str] | None = None
    doc_facets: dict[int, dict] = field(default_factory=dict)
    column: object = None
    richness: object = None
    titles: dict[str, str] = field(default_factory=dict)


class Engine:
    """One open index, its searcher kept and refreshed only when the index changed.

    Thread-safe enough for one UI: searches are read-only; ``refresh`` swaps the searcher.
    """

    def __init__(self, index_dir: Path):
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

    # -- facets
    def _forward(self, name: str) -> list:
        fwd = self._cache.forward.get(name)
        if fwd is None:
            reader = self._current().reader()
            fwd = [()] * reader.doc_count_all()
            for btext in reader.lexicon(name):
                key = btext.decode("utf-8")
                for docnum in reader.postings(name, btext).all_ids():
                    fwd[docnum] = fwd[docnum] + (key,)
            self._cache.forward[name] = fwd
        return fwd

    def _docs(self, name: str, key: str) -> frozenset:
        cached = self._cache.postings.get((name, key))
        if cached is None:
            reader = self._current().reader()
            try:
                cached = frozenset(reader.postings(name, key).all_ids())
            except Exception:  # term not in the index
                cached = frozenset()
            self._cache.postings[(name, key)] = cached
        return cached

    def label(self, name: str, key: str) -> str:
        """The most common spelling of facet value ``key``, from the first
        ``LABEL_SAMPLE`` records that carry it (cached until the index changes)."""
        cache = self._cache.labels
        if cache is None:
            cache = self._cache.labels = {}
        found = cache.get((name, key))
        if found is None:
            counts: Counter = Counter()
            for n, docnum in enumerate(self._docs(name, key)):
                if n >= LABEL_SAMPLE:
                    break
                label = dict(self._doc_facets(docnum).get(name, ())).get(key)
                if label is not None:
                    counts[label] += 1
            found = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0] if counts else key
            cache[(name, key)] = found
        return found

    def _filter_docs(self, filters: dict[str, list[str]], skip: str | None = None) -> set | None:
        result: set | None = None
        for name, values in filters.items():
            if name == skip or not values:
                continue
            docs: set = set()
            for v in values:
                docs |= self._docs(name, v if name in ("kind", "id") else facet_key(v))
            result = docs if result is None else result & docs
        return result

    def _doc_facets(self, docnum: int) -> dict[str, list[tuple[str, str]]]:
        """Facet name -> [(key, label)] of one record, from the ``facets`` column."""
        cache = self._cache.doc_facets
        found = cache.get(docnum)
        if found is None:
            if self._cache.column is None:
                self._cache.column = self._current().reader().column_reader("facets")
            raw = self._cache.column[docnum]
            parts = raw.decode("utf-8").split(SEP) if raw else []
            found = {}
            for i in range(0, len(parts) - 2, 3):
                found.setdefault(parts[i], []).append((parts[i + 1], parts[i + 2]))
            cache[docnum] = found
        return found

    def _count(self, name: str, docs, top: int) -> tuple[FacetValue, ...]:
        counter: Counter = Counter()
        reader = self._current().reader()
        if name in self._cache.forward or len(docs) > max(PER_RECORD_COUNT, reader.doc_count_all() // 10):
            fwd = self._forward(name)  # built once per index generation, then every count is cheap
            for d in docs:
                keys = fwd[d]
                if keys:
                    counter.update(keys)
        else:  # a cold process and a few hits: read those records' facets only
            for d in docs:
                counter.update(key for key, _ in self._doc_facets(d).get(name, ()))
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        if top:
            ranked = ranked[:top]
        return tuple(FacetValue(k, self.label(name, k), c) for k, c in ranked)

    # -- records
    def get(self, record_id: str) -> Record | None:
        stored = self.searcher().document(id=record_id)
        return record_from_stored(stored) if stored else None

    def title_of(self, record_id: str) -> str | None:
        cache = self._cache.titles
        if record_id not in cache:
            stored = self._current().document(id=record_id)
            cache[record_id] = stored["title"] if stored else None
        return cache[record_id]

    def backlinks(self, record_id: str) -> list[tuple[str, str]]:
        """(id, title) of the records whose ``[[...]]`` links point at ``record_id``."""
        s = self.searcher()
        out = [(d["id"], d.get("title", d["id"])) for d in s.documents(links=record_id)]
        return sorted(out, key=lambda p: fold(p[1]).casefold())

    def suggest(self, words: list[str]) -> tuple[str, ...]:
        reader = self._current().reader()
        out = []
        for w in words:
            low = w.casefold()
            if len(low) < 4:
                continue
            found = []
            for f in ("title_exact", "tags_exact"):
                try:
                    found += reader.corrector(f).suggest(low, limit=2, maxdist=2)
                except Exception:
                    continue
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
            if name not in FACETS and name not in ("kind", "id"):
                raise QueryError(t("query.unknown_facet", name=name, known=", ".join(FACETS)))
        for name in facets:
            if name not in FACETS:
                raise QueryError(t("query.unknown_facet", name=name, known=", ".join(FACETS)))
        if kind:
            filters["kind"] = [kind]
        searcher = self.searcher()
        try:
            return self._search(searcher, started, text, filters, limit, facets, facet_top, sort,
                                prefix_last, fuzzy, use_thesaurus, explain)
        except READ_ERRORS as exc:  # damaged data met in the middle of a search
            raise as_damaged(self.index_dir, exc) from exc

    def _search(self, searcher, started, text, filters, limit, facets, facet_top, sort,
                prefix_last, fuzzy, use_thesaurus, explain) -> Results:
        reader = searcher.reader()
        built = build(reader, text, prefix_last=prefix_last, fuzzy=fuzzy, use_thesaurus=use_thesaurus)
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
        # ranked by relevance: every match scored in one walk, which also gives the
        # total and the records to count facets on (Whoosh's collector would walk twice)
        walk = not kwargs and not explain
        scores = _walk(searcher, query) if walk else None
        base = set(scores) if scores is not None else _docs(searcher, query)
        all_filter = self._filter_docs(filters)
        matched = base if all_filter is None else base & all_filter
        # fewer records than a page contain every word: records containing some
        # of the words follow them (ranked after), and the notice says so.  Decided
        # on the words alone, so that checking a facet never changes it.
        extra: set = set()
        fallback = None
        if len(base) < BACKFILL and built.query is not None and len(built.words) >= 2:
            fallback = build(reader, text, any_word=True, prefix_last=prefix_last, fuzzy=fuzzy, use_thesaurus=use_thesaurus)
            if fallback.query is not None:
                fallback_scores = _walk(searcher, fallback.query) if walk else None
                extra = (set(fallback_scores) if walk else _docs(searcher, fallback.query)) - base
                if extra:
                    notices = list(fallback.notes) + [t("query.fallback") if not base else t("query.backfill", n=len(base))]
        base_extra = extra
        if all_filter is not None:
            extra = extra & all_filter
        hits: list[Hit] = []
        if limit and matched:
            pattern = _matcher(built.stems, built.prefixes)
            for hit, bonus in self._top(searcher, query, built.bonus, limit, matched, explain, kwargs, scores):
                hits.append(self._hit(hit, pattern, explain, built.origin, bonus, built.exact))
        if limit and extra and len(hits) < limit and fallback is not None:
            pattern = _matcher(built.stems | fallback.stems, built.prefixes | fallback.prefixes)
            origin = {**built.origin, **fallback.origin}
            for hit, bonus in self._top(searcher, fallback.query, fallback.bonus, limit - len(hits), extra, explain, kwargs,
                                        fallback_scores):
                hits.append(self._hit(hit, pattern, explain, origin, bonus, fallback.exact))
        base |= base_extra
        matched |= extra
        facet_values: dict[str, tuple[FacetValue, ...]] = {}
        for name in facets:
            docs = matched
            if name in filters:  # disjunctive: a facet's counts ignore its own selection
                other = self._filter_docs(filters, skip=name)
                docs = base if other is None else base & other
            facet_values[name] = self._count(name, docs, facet_top)
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

    def _top(self, searcher, query, bonus, limit: int, docs, explain: bool, kwargs, scores=None) -> list:
        """(hit, bonus) of the best ``limit`` records.

        Whoosh ranks by the words alone, so that its block-quality pruning stays on
        (a weighting with ``final()`` would turn it off for every query); the first
        ``RERANK`` are then re-ordered with two mild extras: the proximity of the
        query's words, and for datasets a prior for richer descriptions (at most
        ``PRIOR`` more), so the national reference beats its many local copies."""
        if kwargs:  # sorted by title or date
            return [(hit, 0.0) for hit in _collect(searcher, query, limit, docs, explain, **kwargs)]
        if scores is not None:
            best = heapq.nlargest(max(limit, RERANK), docs, key=lambda d: (scores[d], -d))  # ties: Whoosh's order
            pool = [_Scored(d, scores[d], searcher) for d in best]
        else:
            pool = _collect(searcher, query, max(limit, RERANK), docs, explain)
        near = _scores_for(searcher, bonus, sorted(hit.docnum for hit in pool)) if bonus is not None else {}
        richness = self._richness()

        def extra(hit) -> float:
            prior = PRIOR * (richness[hit.docnum] or 0) / 1000.0 * hit.score if richness is not None else 0.0
            return near.get(hit.docnum, 0.0) + prior

        scored = sorted(((hit, extra(hit)) for hit in pool), key=lambda pair: -(pair[0].score + pair[1]))
        return scored[:limit]

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
            score = _term_score(self._current(), term.fieldname, term.text, hit.docnum) * term.boost
            if score:
                parts.append((score, f"{term.fieldname}:{term.text} (exact) {score:.2f}"))
        if not hit.results.has_matched_terms():
            return tuple(p for _, p in sorted(parts, key=lambda sp: -sp[0]))
        for field_name, term in hit.matched_terms():
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            how = "exact" if field_name.endswith("_exact") else (origin or {}).get(text, "stemmed")
            score = _term_score(self._current(), field_name, term, hit.docnum)
            parts.append((score, f"{field_name}:{text} ({how}) {score:.2f}"))
        return tuple(p for _, p in sorted(parts, key=lambda sp: -sp[0]))

    def _hit(self, hit, pattern, explain: bool, origin: dict[str, str] | None = None, bonus: float = 0.0,
             exact: list | None = None) -> Hit:
        stored = hit.fields()
        d = stored.get("data") or {}
        text = d.get("body") or ""
        summary = d.get("summary") or ""
        text = text[:SNIPPET_SCAN]
        source = plain(text, self.title_of) if stored.get("kind") == "note" else _WS.sub(" ", text)
        snip, marks = snippet(source, pattern)
        if not marks and summary:
            s2, m2 = snippet(summary, pattern)
            if m2 or not snip:
                snip, marks = s2, m2
        details = self._explain(hit, origin, exact) if explain else ()
        if explain and bonus:
            details += (f"(+{t('query.rerank')}) {bonus:.2f}",)
        return Hit(
            id=stored["id"], kind=stored.get("kind", "note"), types=tuple(d.get("types", ())),
            title=stored.get("title", ""), tags=tuple(d.get("tags", ())), path=stored.get("path", ""),
            url=d.get("url", ""), score=(float(hit.score) + bonus) if isinstance(hit.score, (int, float)) else 0.0, snippet=snip, marks=marks,
            summary=summary, publisher=d.get("publisher", ""), licence=d.get("licence", ""),
            formats=tuple(d.get("formats", ())), modified=d.get("modified", ""), mtime=d.get("mtime", 0.0),
            explain=details,
        )


class _Scored:
    """What the ranking and ``Engine._hit`` use of a Whoosh hit."""

    __slots__ = ("docnum", "score", "_searcher")

    def __init__(self, docnum: int, score: float, searcher):
        self.docnum, self.score, self._searcher = docnum, score, searcher

    def fields(self) -> dict:
        return self._searcher.stored_fields(self.docnum)


def _walk(searcher, query: Q.Query) -> dict[int, float]:
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


def _docs(searcher, query: Q.Query) -> set[int]:
    """The records ``query`` matches (deleted ones left out), unscored."""
    reader = searcher.reader()
    docs = set(query.docs(searcher))
    return {d for d in docs if not reader.is_deleted(d)} if reader.has_deletions() else docs


def _collect(searcher, query: Q.Query, limit: int, docs, explain: bool, **kwargs):
    """``searcher.search`` without its periodic matcher rebuilds.

    Whoosh's top-N collector rebuilds ("replaces") the whole matcher tree every
    ten matches to prune it; on searchkit's wide trees (several fields, synonyms,
    completions) that rebuilding was most of the time of a search, for the same
    top hits."""
    collector = searcher.collector(limit=limit, filter=docs, terms=explain, **kwargs)
    inner = collector
    while hasattr(inner, "child"):
        inner = inner.child
    if hasattr(inner, "replace"):
        inner.replace = 0
    searcher.search_with_collector(query, collector)
    # iterated, never list(): list() asks the length, and Whoosh's length walks every match again
    return [hit for hit in collector.results()]


def _scores_for(searcher, query: Q.Query, docnums: list[int]) -> dict[int, float]:
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


def _term_score(searcher, field_name: str, term, docnum: int) -> float:
    """BM25F part of one term in one record (before the query's boosts)."""
    try:
        matcher = searcher.postings(field_name, term)
        matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            return 0.0
        return searcher.weighting.scorer(searcher, field_name, term).score(matcher)
    except Exception:  # a field without positions or frequencies
        return 0.0


def search(index_dir: Path, text: str, **options) -> Results:
    """One search on a fresh engine (what ``searchkit query`` does)."""
    engine = Engine(index_dir)
    try:
        return engine.search(text, **options)
    finally:
        engine.close()


__all__ = ["Engine", "search", "parse", "build", "snippet", "plain", "SearchkitError", "SORTS", "MAX_LIMIT"]
