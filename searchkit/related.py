"""Records like this one: shared distinctive words, shared tags, links both ways.

Three signals, each scaled to 0..1 and weighted, with the reason kept:

- **similar words**: the record's most distinctive words (its text analysed with
  ``searchkit.analysis``, each word weighted by tf-idf: frequent here, rare in
  the index) are searched as ``w1 OR w2 OR ...``; the best match scores 1;
- **shared tags**: each tag shared counts by its rarity (idf), out of the
  record's own tags;
- **linked**: a ``[[link]]`` from this record or back to it.

The query engine is used through its public API only (``Engine.search``,
``get``, ``backlinks``).  The figure for the 144 real notes is in
``evaluation/related.py``.

    >>> found = related(Engine(Path("index")), "20230924193857")   # doctest: +SKIP
    >>> found[0].title, found[0].shared_tags, found[0].words         # doctest: +SKIP
    ('Etalab', ('open data',), ('étalab', 'licence'))
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from searchkit.analysis import FRENCH, STOP_WORDS, TOKEN_PATTERN, terms
from searchkit.markup import WIKILINK
from searchkit.model import Record
from searchkit.sources.notes import read_note
from searchkit.textnorm import fold

WORDS = 12  # distinctive words searched
CANDIDATES = 80  # most frequent words whose rarity is looked up
POOL = 60  # similar-word matches considered
TAG_POOL = 250  # a tag shared by more records than this is no reason
WEIGHT_WORDS, WEIGHT_TAGS, WEIGHT_LINK = 1.0, 0.6, 1.0
MIN_LETTERS = 3
_URL = re.compile(r"\S+://\S+|www\.\S+")
_WORD = re.compile(TOKEN_PATTERN)
_OPERATORS = frozenset({"or", "ou", "and", "et", "not", "sauf"})


@dataclass(frozen=True)
class Related:
    id: str
    kind: str
    title: str
    path: str
    score: float
    linked: str = ""  # "to" (this record links to it), "from" (it links here), "both", or ""
    shared_tags: tuple[str, ...] = ()
    words: tuple[str, ...] = ()  # distinctive words of this record it contains too


class Vocabulary:
    """How many records contain a word, asked of the engine once per word.

    ``doc_frequency`` is a count of ``Engine.search(word)`` (exact words only:
    no typo tolerance, no synonyms); one Vocabulary serves many records."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._df: dict[str, int] = {}
        self.size = max(1, engine.search("", limit=0, facets=()).total)

    def doc_frequency(self, word: str) -> int:
        found = self._df.get(word)
        if found is None:
            found = self._df[word] = self.engine.search(word, limit=0, facets=(), fuzzy=False,
                                                        use_thesaurus=False).total
        return found

    def idf(self, count: int) -> float:
        return math.log(1 + (self.size - count + 0.5) / (count + 0.5))


def _text(record: Record) -> str:
    body = WIKILINK.sub(" ", record.body)  # links are their own signal (and the evaluation leaves them out)
    return _URL.sub(" ", " ".join((record.title, record.title, record.summary, body)))


def distinctive_words(record: Record, vocabulary: Vocabulary, k: int = WORDS) -> list[tuple[str, str, float]]:
    """(word as written, its stem, tf-idf weight) of the ``k`` most distinctive words of ``record``."""
    counts: Counter = Counter()
    written: dict[str, Counter] = {}
    stems_of: dict[str, list[str]] = {}
    for word in _WORD.findall(_text(record)):
        folded = fold(word).casefold()
        if len(folded) < MIN_LETTERS or folded.isdigit() or folded in STOP_WORDS or folded in _OPERATORS:
            continue
        stems = stems_of.get(folded)
        if stems is None:
            stems = stems_of[folded] = terms(FRENCH, word)
        if len(stems) != 1:  # hyphenated words are searched as their parts
            continue
        counts[stems[0]] += 1
        written.setdefault(stems[0], Counter())[word.lower()] += 1
    candidates = sorted(counts, key=lambda s: (-counts[s], s))[:CANDIDATES]
    weighted = []
    for stem in candidates:
        word = written[stem].most_common(1)[0][0]
        df = vocabulary.doc_frequency(word)
        if df <= 1:  # in this record only: nothing to share
            continue
        weighted.append((word, stem, (1 + math.log(counts[stem])) * vocabulary.idf(df)))
    weighted.sort(key=lambda w: (-w[2], w[0]))
    return weighted[:k]


def _matched_stems(explain: tuple[str, ...]) -> set[str]:
    """Stems of the words a hit matched, from ``Hit.explain`` lines (``body:licenc (stemmed) 3.2``)."""
    out = set()
    for line in explain:
        field, _, rest = line.partition(":")
        if rest and not field.startswith("("):
            term = rest.split(" (", 1)[0]
            out.add(term if not field.endswith("_exact") else (terms(FRENCH, term) or [term])[0])
    return out


class _Scores:
    def __init__(self) -> None:
        self.score: Counter = Counter()
        self.linked: dict[str, str] = {}
        self.tags: dict[str, list[str]] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        self.hits: dict[str, tuple[str, str, str]] = {}  # id -> (kind, title, path)


def _by_words(engine, record: Record, vocabulary: Vocabulary, into: _Scores) -> None:
    words = distinctive_words(record, vocabulary)
    if not words:
        return
    query = " OR ".join(w for w, _, _ in words)
    results = engine.search(query, limit=POOL, facets=(), fuzzy=False, use_thesaurus=False, explain=True)
    best = max((h.score for h in results.hits if h.id != record.id), default=0.0)
    for hit in results.hits:
        if hit.id == record.id or best <= 0:
            continue
        into.score[hit.id] += WEIGHT_WORDS * hit.score / best
        stems = _matched_stems(hit.explain)
        into.words[hit.id] = tuple(w for w, s, _ in words if s in stems)
        into.hits[hit.id] = (hit.kind, hit.title, hit.path)


def _by_tags(engine, record: Record, vocabulary: Vocabulary, into: _Scores) -> None:
    tags = list(dict.fromkeys(record.tags))
    weights = {}
    members = {}
    for tag in tags:
        results = engine.search("", filters={"tag": [tag]}, limit=TAG_POOL, facets=())
        if results.total > TAG_POOL:  # too common to tell records apart (and only some could be scored)
            continue
        weights[tag] = vocabulary.idf(results.total)
        members[tag] = results.hits
    total = sum(weights.values())
    for tag in members:
        for hit in members[tag]:
            if hit.id == record.id or not total:
                continue
            into.score[hit.id] += WEIGHT_TAGS * weights[tag] / total
            into.tags.setdefault(hit.id, []).append(tag)
            into.hits.setdefault(hit.id, (hit.kind, hit.title, hit.path))


def _by_links(engine, record: Record, into: _Scores) -> None:
    targets = set(record.links)
    sources = {i for i, _ in engine.backlinks(record.id)}
    for other in (targets | sources) - {record.id}:
        linked = "both" if other in targets and other in sources else ("to" if other in targets else "from")
        if other not in into.hits:
            found = engine.get(other)
            if found is None:  # a link to no record
                continue
            into.hits[other] = (found.kind, found.title, found.path)
        into.linked[other] = linked
        into.score[other] += WEIGHT_LINK * (1.2 if linked == "both" else 1.0)


def related(engine, record_id: str, limit: int = 10, *, links: bool = True,
            vocabulary: Vocabulary | None = None) -> list[Related]:
    """The ``limit`` records most like ``record_id``, best first ([] when it is not in the index).

    ``links=False`` leaves the links out (the evaluation measures how well words
    and tags alone find what a note links to)."""
    record = engine.get(record_id)
    if record is None:
        return []
    vocabulary = vocabulary or Vocabulary(engine)
    scores = _Scores()
    _by_words(engine, record, vocabulary, scores)
    _by_tags(engine, record, vocabulary, scores)
    if links:
        _by_links(engine, record, scores)
    best = sorted(scores.score, key=lambda i: (-scores.score[i], scores.hits[i][1], i))[:limit]
    return [Related(i, *scores.hits[i], score=round(scores.score[i], 4), linked=scores.linked.get(i, ""),
                    shared_tags=tuple(scores.tags.get(i, ())), words=scores.words.get(i, ())) for i in best]


def resolve(engine, id_or_path: str) -> str | None:
    """The id of the record ``id_or_path`` names: an id in the index, or a note's file."""
    if engine.get(id_or_path) is not None:
        return id_or_path
    path = Path(id_or_path)
    if not path.is_file():
        return None
    target = str(path.resolve())
    note, _ = read_note(path, path.parent)
    if note is None:
        return None
    if (found := engine.get(note.id)) is not None and str(Path(found.path).resolve()) == target:
        return note.id
    for hit in engine.search(note.title, limit=50, facets=(), fuzzy=False).hits:  # indexed under another id
        if str(Path(hit.path).resolve()) == target:
            return hit.id
    return None

