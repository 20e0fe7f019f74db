"""The French text pipeline, as small Whoosh filters.

One chain serves indexing and queries, so a query typed without accents gives
the same terms as the accented one::

    >>> [t.text for t in FRENCH("L’innovation des réseaux ferrés à Saint-Étienne")]
    ['innov', 'reseau', 'ferr', 'saintetien', 'saint', 'etien']
    >>> [t.text for t in FRENCH("l'innovation des reseaux ferres a saint etienne")]
    ['innov', 'reseau', 'ferr', 'saint', 'etien']

Order matters: Unicode normalisation and apostrophes first, then lower case,
elision (l' d' qu' ...), hyphenated words (kept whole and as parts), stop words,
accent and ligature folding, and only then stemming: the Snowball stemmer
treats ``données`` and ``donnees`` differently, so it must only see folded text.

Whoosh pickles the schema with its analyzers into the index: every filter here
is a module-level class, and ``ANALYSIS_VERSION`` must change whenever the
terms produced change (the index then asks for a rebuild).
"""

from __future__ import annotations

import re
import unicodedata

import Stemmer
from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, Token

from searchkit.textnorm import APOSTROPHES, ELISIONS, STOP_WORDS, fold

ANALYSIS_VERSION = 9  # bump when terms or the schema change: indexes are rebuilt

# words, with inner apostrophes and hyphens; combining accents belong to words;
# decimal numbers such as 3,14 or 1.5 stay whole
TOKEN_PATTERN = (
    r"\d+(?:[.,]\d+)+"
    r"|[\w\u0300-\u036f]+(?:['’ʼ‘\-‐‑][\w\u0300-\u036f]+)*"
)

# words whose apostrophe is part of the word
KEEP_WHOLE = frozenset({"aujourd'hui", "prud'homme", "prud'hommes", "presqu'île", "presqu'ile"})


class NormalizeFilter(Filter):
    """NFKC (ligatures such as ﬁ, full-width letters) and one apostrophe."""

    _apostrophes = str.maketrans({c: "'" for c in APOSTROPHES})

    def __call__(self, tokens):
        for t in tokens:
            text = t.text
            if not text.isascii():
                text = unicodedata.normalize("NFKC", text).translate(self._apostrophes)
                t.text = text
            yield t


class ElisionFilter(Filter):
    """``l'innovation`` -> ``innovation``, ``qu'est-ce`` -> ``est-ce``.

    Words such as ``aujourd'hui`` are kept whole (without the apostrophe);
    an apostrophe after something that is not an elision is dropped
    (``o'neil`` -> ``oneil``).
    """

    def __call__(self, tokens):
        for t in tokens:
            text = t.text
            if "'" in text:
                if text in KEEP_WHOLE:
                    text = text.replace("'", "")
                else:
                    parts = text.split("'")
                    cut = 0
                    while cut < len(parts) - 1 and parts[cut] in ELISIONS:
                        if t.chars:
                            t.startchar += len(parts[cut]) + 1
                        cut += 1
                    text = "".join(parts[cut:])
                t.text = text
            yield t


class HyphenFilter(Filter):
    """Hyphenated words indexed as parts and whole: ``saint-étienne`` gives
    ``saint``, ``étienne`` at consecutive positions and ``saintétienne`` at the
    first part's position.  Parts that are stop words are dropped.
    """

    def __init__(self, stoplist=STOP_WORDS, whole=True):
        self.stoplist = stoplist
        self.whole = whole

    def __call__(self, tokens):
        shift = 0
        stoplist = self.stoplist
        for t in tokens:
            if t.positions:
                t.pos += shift
            text = t.text
            if "-" not in text and "‐" not in text and "‑" not in text:
                yield t
                continue
            parts = [p for p in re.split("[-‐‑]", text) if p]
            kept = [p for p in parts if fold(p) not in stoplist]
            if not kept:
                shift -= 1
                continue
            pos = t.pos if t.positions else 0
            start = t.startchar if t.chars else 0
            if self.whole and len(kept) > 1:
                t.text = "".join(kept)
                yield t
            offset = 0
            for i, part in enumerate(kept):
                if t.chars:
                    offset = text.find(part, offset)
                    t.startchar = start + offset
                    t.endchar = t.startchar + len(part)
                    offset += len(part)
                if t.positions:
                    t.pos = pos + i
                t.text = part
                yield t
            shift += len(kept) - 1


class StopFilter(Filter):
    """Drop French stop words (compared folded) and renumber positions."""

    def __init__(self, stoplist=STOP_WORDS):
        self.stoplist = stoplist

    def __call__(self, tokens):
        stoplist = self.stoplist
        removed = 0
        for t in tokens:
            if fold(t.text) in stoplist and t.removestops:
                removed += 1
                continue
            if t.positions:
                t.pos -= removed
            yield t


class FoldFilter(Filter):
    """Accents off, ligatures expanded: ``cœur`` -> ``coeur``, ``École`` -> ``ecole``."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = fold(t.text)
            yield t


class FrenchStemFilter(Filter):
    """Snowball French (PyStemmer, C) on folded words, with a cache.

    Snowball leaves plurals of short words alone (``velos``); a final ``s``
    or ``x`` the stemmer kept is removed so that ``velos`` meets ``velo``.
    Numbers and words with digits are never stemmed.
    """

    _stemmer = None
    _cache: dict[str, str] = {}
    CACHE_LIMIT = 100_000  # emptied when full: ~120 bytes a word, in every process that writes

    def __getstate__(self):  # the C stemmer cannot be pickled into the index
        return {}

    def __setstate__(self, state):
        pass

    def stem(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if FrenchStemFilter._stemmer is None:
            FrenchStemFilter._stemmer = Stemmer.Stemmer("french")
        if any(c.isdigit() for c in word) or len(word) < 3:
            stem = word
        else:
            stem = self._stemmer.stemWord(word)
            if stem == word and len(word) > 3 and word[-1] in "sx" and word[-2] != "s":
                stem = word[:-1]
        if len(self._cache) > self.CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = stem
        return stem

    def __call__(self, tokens):
        stem = self.stem
        for t in tokens:
            t.text = stem(t.text)
            yield t


_STEMMER = FrenchStemFilter()


class WordsAnalyzer(Analyzer):
    """The tokenizer and the filters above in one pass, with a cache per written form.

    What the filters make of a token depends only on its text, so it is computed once
    per distinct form (``_terms``) and the text is cut by ``re.findall``.  Positions
    are shifted exactly as ``StopFilter`` and ``HyphenFilter`` shift them.  When
    character offsets are asked for, or stop words kept, the filter chain itself runs
    (``chain``): the two give the same tokens (tests/test_analysis.py)."""

    # emptied when full: ~300 bytes a form; 10k generated notes have 66k forms, 100k have over
    # 377k words: with the former 500k each build worker held ~300 MB (frequent forms come back at once)
    CACHE_LIMIT = 100_000

    def __init__(self, stem: bool):
        self.stem = stem
        words = (RegexTokenizer(TOKEN_PATTERN) | NormalizeFilter() | LowercaseFilter() | ElisionFilter()
                 | StopFilter() | HyphenFilter())
        self.chain = words | FoldFilter() | _STEMMER if stem else words
        self._findall = re.compile(TOKEN_PATTERN).findall
        self._terms: dict[str, tuple] = {}  # form -> what _analyse says of it

    def __getstate__(self):  # pickled into the index's schema: no cache
        return {"stem": self.stem}

    def __setstate__(self, state):
        self.__init__(state["stem"])

    def __eq__(self, other):
        return type(other) is type(self) and other.stem == self.stem

    def _analyse(self, form: str) -> tuple[tuple[tuple[str, int], ...], int]:
        """((term, position from 0), ...) of one token, and how many positions it takes."""
        text = form if form.isascii() else unicodedata.normalize("NFKC", form).translate(NormalizeFilter._apostrophes)
        text = text.lower()
        if "'" not in text and "-" not in text and "‐" not in text and "‑" not in text:
            folded = fold(text)
            if folded in STOP_WORDS:
                return (), 0
            return (((_STEMMER.stem(folded) if self.stem else text), 0),), 1
        out = tuple((t.text, t.pos) for t in self.chain(form, positions=True))
        return out, max((p for _, p in out), default=-1) + 1

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        if chars or keeporiginal or not removestops or not tokenize:
            return self.chain(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                              removestops=removestops, start_pos=start_pos, start_char=start_char,
                              tokenize=tokenize, mode=mode, **kwargs)
        return self._tokens(value, positions, start_pos, mode, kwargs)

    def _tokens(self, value, positions, start_pos, mode, kwargs):
        cache = self._terms
        t = Token(positions, False, removestops=True, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        pos = start_pos
        for form in self._findall(value):
            known = cache.get(form)
            if known is None:
                known = self._analyse(form)
                if len(cache) > self.CACHE_LIMIT:
                    cache.clear()
                cache[form] = known
            pairs, used = known
            for text, offset in pairs:
                t.text = text
                if positions:
                    t.pos = pos + offset
                yield t
            pos += used


# folded and stemmed: what every text field is searched with
FRENCH = WordsAnalyzer(stem=True)

# as typed (accents kept, not stemmed): exact forms rank first
EXACT = WordsAnalyzer(stem=False)


def terms(analyzer, text: str) -> list[str]:
    """The terms ``analyzer`` makes of ``text``, in order."""
    return [t.text for t in analyzer(text)]
