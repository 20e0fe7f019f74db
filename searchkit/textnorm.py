"""Text normalisation shared by sources, index and query.

``fold`` removes accents and expands ligatures (``Œuvre`` -> ``OEuvre``);
``facet_key`` turns a tag or type as typed by a person into the key that
facets count and filters take, so that ``libre d'accès``, ``libre d'accés``,
``Libre d’accès`` and ``libre d/accès`` are one value::

    >>> facet_key("Libre d’accès") == facet_key("libre d accès") == "libredacces"
    True
    >>> facet_key("  Open   Data ") == facet_key("opendata") == facet_key("open-data")
    True

Keys ignore case, accents, spaces, apostrophes, slashes and hyphens; people
never see them (facets show the most common spelling), filters accept any
spelling since they go through the same function.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

APOSTROPHES = "’ʼ‘`´′"
_APOS_TABLE = str.maketrans({c: "'" for c in APOSTROPHES})
# invisible characters found in real catalogues: zero-width space/joiners, BOM, soft hyphen
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[\s'’ʼ‘`´/\\\-‐‑_.]+")


def clean(text: str) -> str:
    """NFC, invisible characters removed, non-breaking spaces made plain."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Remove accents, expand ligatures; leave non-Latin scripts alone.

    >>> fold("Œuvre à l'école ß")
    "OEuvre a l'ecole ss"
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    for ch in decomposed:
        if ch.isascii():
            out.append(ch)
        elif unicodedata.combining(ch):
            continue
        elif ord(ch) < 0x0250 or 0x1E00 <= ord(ch) <= 0x1EFF:  # Latin letters
            out.append(unidecode(ch))
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=100_000)
def facet_key(value: str) -> str:
    """The normalised key of a tag, type, publisher, licence or format."""
    value = fold(clean(value)).casefold()
    return _KEY_DROP.sub("", value)


def _same_length_table() -> dict[int, str]:
    """Latin letters with accents or ligatures -> one plain letter (``œ`` -> ``o``)."""
    table = {}
    for code in list(range(0x80, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(code)
        folded = fold(ch)
        if folded != ch and folded:
            table[code] = folded[0]
    return table


_SAME_LENGTH = _same_length_table()


@lru_cache(maxsize=1)
def same_length_variants() -> dict[str, tuple[str, ...]]:
    """Folded character -> the other Latin-1 characters ``fold_same_length`` turns into it
    (``e``: ``E é É è…``), for finding folded words in a text that is not folded (the
    characters beyond Latin-1 are folded in the text first: ``snippets``)."""
    table: dict[str, set[str]] = {}
    for code in range(0x20, 0x100):
        ch = chr(code)
        folded = fold_same_length(ch)
        if folded != ch:
            table.setdefault(folded, set()).add(ch)
    return {k: tuple(sorted(v)) for k, v in table.items()}


def fold_same_length(text: str) -> str:
    """Lower-cased, accents removed, one character for one: offsets stay valid
    (``œ`` becomes ``o``), for finding matched words inside the original text."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower-case to two characters
        lowered = "".join(c.lower()[0] for c in text)
    return lowered.translate(_SAME_LENGTH)


# French elided words, written before an apostrophe: l'open, d'accès, qu'il
ELISIONS = frozenset(
    "l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu quelqu".split()
)


def without_elision(word: str) -> str:
    """A typed word without the elided words glued to its front, as the analysis
    drops them, so that every guess made on the word as typed (thesaurus, acronym,
    completion, split) sees the bare word::

        >>> without_elision("l'INSEE"), without_elision("qu’est-ce"), without_elision("aujourd'hui")
        ('INSEE', 'est-ce', "aujourd'hui")
    """
    parts = word.translate(_APOS_TABLE).split("'")
    cut = 0
    while cut < len(parts) - 1 and parts[cut].casefold() in ELISIONS:
        cut += 1
    return word if not cut else "'".join(parts[cut:])

# French stop words (Snowball's list, folded), plus a few very common verbs forms
STOP_WORDS = frozenset(
    fold(w)
    for w in """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma
mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se
ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été
étée étées étés étant étante étants étantes suis es est sommes êtes sont serai
seras sera serons serez seront serais serait serions seriez seraient étais était
étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient
fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue
eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait
aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent
aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci
cela celà cet cette ici ils les leurs quel quels quelle quelles sans soi
""".split()
)
