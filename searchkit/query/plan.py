"""Clauses -> a Whoosh query: words, synonyms, compounds, completions, typos, weights.

One module because every part reads and updates the one ``QueryBuilder`` (the
terms highlighted, the origin of each term for ``--explain``, the counts of common
and meaningful words that decide what filters and what only ranks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import query as Q

from searchkit import acronyms, thesaurus
from searchkit.analysis import ANALYSIS_VERSION, EXACT, FRENCH, FrenchStemFilter, terms
from searchkit.messages import t
from searchkit.query.parse import Clause, is_plain_word, is_question, meaningful, parse
from searchkit.textnorm import facet_key, fold
from searchkit.whoosh_internals import FuzzyTerm, Or, levenshtein_distance

MAX_QUERY_CHARS = 2_000
LOOSE_SHARE = 0.6  # share of the words a record needs when the query has 3 or more
QUESTION_SHARE = 0.5  # the same for a question (ends with ?, starts with quel/qui/où...)
COMMON_SHARE = 0.25  # a word in this share of the records or more is "common"
COMMON_WEIGHT = 0.35  # ... and weighs this much
ALTERNATIVE_SHARE = 0.6  # forms of one typed compound (joined, phrase, parts) each weigh this
MAX_UNKNOWN_WORDS = 6  # words not in the index that get typo, prefix and split guesses
RERANK = 50  # candidates re-ordered by the proximity of the query's words
COMMON_GROUP_WEIGHT = 0.5  # a common word or expression among meaningful ones weighs this much more
PREFIX_FIELDS = ("title", "tags", "summary")  # where a typed prefix is completed
PREFIX_TERMS_BODY = 0  # ... and in bodies (none: a short prefix starts thousands of their words)
PREFIX_TERMS = 12  # completions of a prefix searched, the most frequent ones
PREFIX_SCAN = 2000  # words starting with a prefix looked at to find them
LAST_PREFIX_CHARS = 3  # the last word of a query of several words is completed from this many letters
LAST_FORMS = 3  # completions of the last word that count as typed in the proximity bonus
BACKFILL = 10  # below this many records with every word, records with some words follow

# (field, boost) a plain word is searched in; exact copies add to the stemmed match
TEXT_FIELDS = (("title", 4.0), ("tags", 3.0), ("summary", 2.0), ("body", 1.0), ("meta", 0.7))
EXACT_FIELDS = (("title_exact", 3.0), ("tags_exact", 2.0))
FUZZY_BOOST = 0.25
SLIP_STEM = 7  # shorter stems have a word one slip away by chance ("calor": "clor", "cahor")
PREFIX_BOOST = 0.6
SYNONYM_BOOST = 0.9
PHRASE_BOOST = 2.0
TITLE_COVER_BOOST = 1.0  # re-ranking: every word of the query in the title

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
    tags: tuple[str, ...] = ()  # the facet keys of the tag the whole query may name (``_tag_keys``)


class QueryBuilder:
    """Turns clauses into a Whoosh query against one reader (for fuzzy and synonyms)."""

    def __init__(self, reader, *, fuzzy: bool = True, use_thesaurus: bool = True, thesaurus: Path | None = None,
                 accented: AccentedForms | None = None):
        self.reader = reader
        self.accented = accented if accented is not None else AccentedForms(reader)
        self.fuzzy = fuzzy
        self.use_thesaurus = use_thesaurus
        self.thesaurus = thesaurus  # the user's thesaurus file (``Settings.thesaurus``), or None
        self.stems: set[str] = set()
        self.prefixes: set[str] = set()
        self.fuzzy_notes: list[str] = []
        self.synonym_notes: list[str] = []
        self.unknown = 0  # words of the query that are in no record
        self.exact_terms: list[Q.Query] = []  # unstemmed, unfolded forms (scored in the re-ranking)
        self.origin: dict[str, str] = {}  # term -> how it came from what was typed (for --explain)
        self.common = 0  # stems seen so far that are in a quarter of the records or more
        self.meaningful = 0
        self.far = False  # the last word is in no record and only guesses two letters away find it
        self.last = ""  # the query's last word, when nothing was typed after it (``build``)
        self.several = False  # the query has other words before it
        self.completed: list[str] = []  # title words completing the last word, the shortest first

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
        self.exact_terms += [Q.Term(f, form, boost=b * boost) for f, b in exact_fields for form in self._exact_forms(f, exact)]
        frequency = self._doc_frequency(stem)
        typed = fold(text).casefold()
        if typed != stem and len(typed) > len(stem) and self._doc_frequency(typed):
            # the letters typed are a word family of their own that the stemmer cut:
            # "numéris" stems to "numer" (numérique), and is the stem of "numérisation"
            self.stems.add(typed)
            self.origin.setdefault(typed, "prefix")
            options += [Q.Term(f, typed, boost=b * boost) for f, b in text_fields]
        if frequency == 0:
            self.unknown += 1
        if self.unknown > MAX_UNKNOWN_WORDS:  # a pasted paragraph: no guessing for every word
            return Or(options)
        typed_unknown = frequency == 0  # guesses below add to each other, none hides another
        named = self._acronyms(text, frequency > 0, boost)
        if named:
            options += named
            frequency = max(frequency, 1)
        split = self._split(text) if frequency < 3 and len(stem) >= 6 else None
        if split is not None:
            options.append(split)
            frequency = max(frequency, 1)
        folded = fold(text).casefold()
        last = text == self.last
        if typed_unknown and len(folded) >= (LAST_PREFIX_CHARS if last and self.several else 4) and not stem.isdigit():
            # a word cut short, as typed in a search box: "interop", "anonym"; its length
            # is the typed one: "sémant" stems to "sem"
            found_prefix = next(([v] for v in (folded, stem) if self._has_prefix(v)), [])  # as typed first
            if found_prefix:
                self.prefixes.update(found_prefix)
                self.origin.update((v, "prefix") for v in found_prefix)
                completions = [q for f, b in text_fields for v in found_prefix
                               for q in self._completions(f, v, b * PREFIX_BOOST)]
                options += completions
                if last:
                    self.completed = sorted({q.text for q in completions if q.fieldname == "title"}, key=len)
                frequency = 1
        elif last and not typed_unknown and len(folded) >= LAST_PREFIX_CHARS and not stem.isdigit() and not text.isupper():
            options += self._named_completions(text, folded, text_fields, boost)
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
            # a long word that no record holds, whose guesses are no likely slip of the
            # fingers, may be right and absent ("calories" is no "Cahors"): it ranks, it
            # does not filter (``build``)
            self.far = maxdist == 2 and (len(stem) < SLIP_STEM or not any(_slip(stem, f) for f in found))
            if found:
                self.fuzzy_notes.append(f"{text} → {', '.join(sorted(found)[:3])}")
                self.stems.update(found)
                self.origin.update((v, "fuzzy") for v in found)
            options += fuzzy
        return Or(options)

    def _acronyms(self, text: str, known: bool, boost: float) -> list[Q.Query]:
        """A word as an acronym, weighted like a title word: the records whose acronym it
        is (``schema.acronym_terms``: their acronym field, their title's initials) and,
        when it looks like one (all capitals, or short and unknown), the records whose
        acronym or title initials start with it (``PLU``: "Plan Local d'Urbanisme
        intercommunal", ``CONSO``: ``CONSOENAF``)."""
        key = acronyms.key(text).lower()
        if len(key) < 2 or key.isdigit():
            return []
        weight = dict(TEXT_FIELDS)["title"] * boost
        found = [Q.Term("acronym", key, boost=weight)] if self.reader.doc_frequency("acronym", key) else []
        if acronyms.looks_like_acronym(text, known):
            found += [q for q in self._completions("acronym", key, weight * PREFIX_BOOST) if q.text != key]
        self.origin.update((q.text, "acronym") for q in found)
        return found

    def _exact_forms(self, field_name: str, exact: str) -> list[str]:
        """The exact form typed and, when it was typed without accents and ``field_name``
        does not hold it so, the accented forms of it the field holds: "geomaticien" gets
        the exact-form bonus of "géomaticien", as in recoll's accent-blind search (issue
        13).  A form typed with accents, or one the field holds as typed (a catalogue's
        tags are slugs: "reseau", "velo"), stays as typed: adding the accented forms to
        it made "reseau ferre de france" or "arceaux velo" rank unlike their accented forms
        on the catalogue (measured: evaluation mean over the 48 datasets queries with
        accents, unaccented against accented, -0.005 with them, -0.001 without)."""
        if not exact.isascii() or self.reader.doc_frequency(field_name, exact):
            return [exact]
        return [exact, *self.accented.get(field_name).get(exact, ())]

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

    def _named_completions(self, text: str, folded: str, text_fields, boost: float) -> list[Q.Query]:
        """The last word typed may be cut short even when records hold it ("géomat" is the
        stem of "géomatique", "datactiv" a word of some body): when it is no word of any title
        but starts title words ("géomaticien", "datactivist"), those words, the shortest first,
        are searched too, in every field, weighing as a completion (``PREFIX_BOOST``), as a
        search box built on FTS5 searches ``géomat*``.  A word that a title or a tag holds as
        written ("opendata") was typed whole."""
        # as written: with the accents typed, or any accents when none was typed
        exact = terms(EXACT, text if not text.isascii() else folded)
        if self.reader.doc_frequency("title", folded) or any(
                self.reader.doc_frequency(f, form) for f, _ in EXACT_FIELDS
                for form in (exact[:1] if not text.isascii() else self._exact_forms(f, exact[0] if exact else folded))):
            return []  # a word of a title or a tag as written ("opendata"): typed whole
        found = []
        for n, term in enumerate(self.reader.expand_prefix("title", folded)):
            if n >= PREFIX_SCAN:
                break
            found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        found = sorted((w for w in found if w != folded), key=len)[:PREFIX_TERMS]
        self.completed = found
        self.prefixes.update(found)
        self.origin.update((w, "prefix") for w in found)
        return [Q.Term(f, w, boost=b * boost * PREFIX_BOOST) for f, b in text_fields for w in found]

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
        self.far = False
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
            added = set(self.origin) - known
            self.origin.update((term, "synonym") for term in added)
            if added:
                self.far = False  # a synonym the records hold

    def _synonym_query(self, text: str, q: Q.Query) -> Q.Query:
        expansions = thesaurus.expand_word(text, self.thesaurus)
        extra = []
        for phrase in expansions:
            built = self.phrase(phrase) if " " in phrase else self.word(phrase)
            if built is not None:
                extra.append(Or([built], boost=SYNONYM_BOOST) if not isinstance(built, Q.Or) else built.with_boost(SYNONYM_BOOST))
                self.synonym_notes.append(f"{text} = {phrase}")
        return Or([q] + extra) if extra else q



@lru_cache(maxsize=4)
def _thesaurus_keys(user_file: Path | None) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Thesaurus entries keyed by their analysed terms, so stop words and
    elisions do not matter: ``commission nationale de l'informatique`` ="""
    return thesaurus.cached("terms", user_file, _keyed_by_terms, ANALYSIS_VERSION)


def _keyed_by_terms(groups) -> dict[tuple[str, ...], tuple[str, ...]]:
    table: dict[tuple[str, ...], list[str]] = {}
    for group in groups:
        for item in group:
            key = tuple(terms(FRENCH, item))
            if key:
                table.setdefault(key, []).extend(g for g in group if tuple(terms(FRENCH, g)) != key)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


def _thesaurus_group(builder: "QueryBuilder", clauses: list[Clause], i: int):
    """The longest run of plain words from ``i`` that the thesaurus knows (2-10 words)."""
    keys = _thesaurus_keys(builder.thesaurus)
    for j in range(min(len(clauses), i + 10), i + 1, -1):
        run = clauses[i:j]
        if not all(is_plain_word(c) for c in run):
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
        if len(run) < size or not all(is_plain_word(c) for c in run):
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



class AccentedForms:
    """Exact field -> word without its accents -> the accented forms of it the field holds
    (``equipements``: ``équipements``), kept by the engine per index generation.  A
    field's words are read the first time a query asks (10 ms at 10,000 notes, 24 ms at
    100,000): not in a search whose words are all held as typed, as most cold ones are."""

    def __init__(self, reader):
        self.reader = reader
        self._fields: dict[str, dict[str, tuple[str, ...]]] = {}

    def get(self, field_name: str, default=None) -> dict[str, tuple[str, ...]]:
        table = self._fields.get(field_name)
        if table is None:
            found: dict[str, list[str]] = {}
            if field_name in self.reader.schema:
                for term in self.reader.lexicon(field_name):
                    text = term.decode("utf-8") if isinstance(term, bytes) else term
                    if not text.isascii() and fold(text) != text:
                        found.setdefault(fold(text), []).append(text)
            table = self._fields[field_name] = {k: tuple(v) for k, v in found.items()}
        return table


def build(reader, text: str, *, any_word: bool = False, prefix_last: bool = False,
          fuzzy: bool = True, use_thesaurus: bool = True, thesaurus: Path | None = None,
          accented: AccentedForms | None = None) -> Built:
    clauses, ignored = parse(text)
    clauses = meaningful(clauses)
    if prefix_last and clauses and clauses[-1].kind == "word" and not text.endswith((" ", '"')):
        clauses[-1].kind = "prefix"
    builder = QueryBuilder(reader, fuzzy=fuzzy, use_thesaurus=use_thesaurus, thesaurus=thesaurus, accented=accented)
    if clauses and clauses[-1].kind == "word" and not clauses[-1].fields and not text.endswith((" ", '"')):
        builder.last, builder.several = clauses[-1].text, len(clauses) > 1  # it may be cut short
    must, should, must_not = [], [], []
    words: list[str] = []
    phrase_words: list[str] = []

    common: list = []  # clauses made only of very common words: they rank, they do not filter
    far: list = []  # words no record holds, found only by guesses two letters away: the same
    free: list = []  # required clauses on the text at large (not a field's, not a filter)

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
        if is_plain_word(clause) and not any_word:
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
        if builder.far and not clause.negate and not any_word and q is not None:
            far.append((clause.text, q))
        else:
            add(q, clause.kind, clause.negate, snapshot)
            if q is not None and not clause.negate and not clause.fields and clause.kind != "keyword":
                free.append(q)
        if q is not None and clause.kind in ("word", "prefix") and not clause.negate:
            words.append(clause.text)
            phrase_words.append(clause.text)
        i += 1
    bonus = _bonus(phrase_words, builder.exact_terms, builder.completed)
    notes = _notes(ignored, builder)
    if any_word:
        core = Or(should) if should else None
        positive = Q.And(must + [core]) if must and core is not None else (core or (Q.And(must) if must else None))
    else:
        if common and any(not isinstance(q, Q.Term) for q in must):
            should.extend(common)  # they rank, they do not filter
        else:
            must.extend(common)
        if far and any(q in must for q in free):  # other words (not only filters)
            should.extend(q for _, q in far)  # "calories des aliments": "calories" is in no record, "Cahors" is no answer
            notes.append(t("query.absent", words=", ".join(f"« {text} »" for text, _ in far)))
        else:
            must.extend(q for _, q in far)
        scored = [q for q in must if not isinstance(q, Q.Term)]  # keyword filters stay required
        share = QUESTION_SHARE if is_question(text) else LOOSE_SHARE
        if len(scored) >= 3:
            # long queries: some words may be missing; records with every word still rank first
            required = [q for q in must if q not in scored]
            # (Whoosh 2.7 never implemented ``minmatch``: this is a plain union, and
            # the rankings rely on it; the block scorer reproduces that)
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
    return Built(positive, builder.stems, builder.prefixes, notes, words, builder.origin, bonus, builder.exact_terms,
                 _tag_keys(text, clauses))


# keys side by side on French (AZERTY) and English (QWERTY) keyboards, by rows
_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {(a, b) for row in _ROWS for a, b in zip(row, row[1:])}
_NEIGHBOURS |= {(b, a) for a, b in _NEIGHBOURS}


def _slip(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with one slip of the fingers: a letter left out or
    typed twice or extra (lengths differ by one, one edit), or a neighbouring key struck."""
    if abs(len(typed) - len(word)) == 1:
        return levenshtein_distance(typed, word, limit=2) == 1
    if len(typed) != len(word):
        return False
    diff = [(a, b) for a, b in zip(typed, word) if a != b]
    return len(diff) == 1 and diff[0] in _NEIGHBOURS


def _tag_keys(text: str, clauses: list[Clause]) -> tuple[str, ...]:
    """The facet keys of the tag a query of plain words names as a whole: as typed
    (``libre d'accès``, ``#opendata``), and as its words once their elisions are cut
    (``l'opendata``); none for a query with operators, fields or phrases.  The last
    word may be a prefix, as in the app's search as you type."""
    plain = [c.kind in ("word", "prefix") and not c.fields and not c.negate and not c.alternatives for c in clauses]
    if not clauses or not all(plain):
        return ()
    keys = (facet_key(text.replace("#", " ")), facet_key(" ".join(c.text for c in clauses)))
    return tuple(k for k in dict.fromkeys(keys) if k)


def _bonus(phrase_words: list[str], exact_terms: list, completed: list[str] = ()) -> Q.Query | None:
    """The re-ranking query, applied to the best candidates only (``Engine._top``),
    never to every match: the words as a loose phrase in title, body or summary, all
    of them in the title, and their exact forms.  When the last word was completed
    (``completed``: title words, the shortest first), the words with each of its first
    ``LAST_FORMS`` completions count as the words typed: "gouvernement ouv" is near
    as "gouvernement ouvert" is."""
    bonus = None
    stems = [s for w in phrase_words for s in terms(FRENCH, w)]
    sequences = [stems] + [stems[:-1] + [c] for c in completed[:LAST_FORMS] if stems]
    for seq in sequences if len(phrase_words) >= 2 and len(stems) >= 2 else ():
        bonus = (bonus or []) + [Q.Phrase("title", seq, slop=2, boost=PHRASE_BOOST * 2),
                                 Q.Phrase("body", seq, slop=3, boost=PHRASE_BOOST),
                                 Q.Phrase("summary", seq, slop=2, boost=PHRASE_BOOST)]
    for seq in sequences if stems else ():
        # a title made of the query's words: "Guide Etalab" before a note that cites Etalab in every field
        bonus = (bonus or []) + [Q.And([Q.Term("title", s) for s in seq], boost=TITLE_COVER_BOOST)]
    return Or((bonus or []) + exact_terms) if bonus or exact_terms else None


def _notes(ignored: list[str], builder: QueryBuilder) -> list[str]:
    """What the notice says about how the query was read."""
    notes = []
    if ignored:
        notes.append(t("query.ignored", parts=", ".join(ignored)))
    if builder.synonym_notes:
        notes.append(t("query.synonyms", pairs="; ".join(dict.fromkeys(builder.synonym_notes))))
    if builder.fuzzy_notes:
        notes.append(t("query.fuzzy", pairs="; ".join(builder.fuzzy_notes)))
    return notes
