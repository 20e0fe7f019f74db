"""Acronyms: which typed words are ones, and which titles and acronyms they name.

French administration writes in acronyms (BAN, PLU, FINESS, ZAPEF) and people type
them; the title of the record they want spells the words out.  Pure functions on
strings, compared without case or accents::

    >>> looks_like_acronym("BAN", known=True), looks_like_acronym("ban", known=False)
    (True, True)
    >>> looks_like_acronym("vélo", known=True)
    False
    >>> acronym_of_title("Base Adresse Nationale")
    'BAN'
    >>> acronym_in_title("Base Adresse Nationale (BAN) - export")
    'BAN'
    >>> names_title("zapef", "Zones d'accueil du public en forêt dans les Bouches-du-Rhône")
    True
    >>> names_title("BAN", "Bilan annuel")
    False
    >>> extends("CONSO", "CONSOENAF")
    True

A typed acronym names a title when its letters are the initials, in order, of
consecutive words of the title, a stop word giving its initial or nothing (ZAPEF:
Zones d'Accueil du Public En Foret; PLU: Plan Local d'Urbanisme).  Acronyms
made of syllables (FINESS: FIchier National des Etablissements Sanitaires et
Sociaux) are not guessed: taking several letters from a word makes almost any
short acronym match (BAN would name "BAse Nationale", "Bilan ANnuel"); the
record's acronym field and the thesaurus carry them.  Stop words are
``textnorm.STOP_WORDS``; elided articles (d', l') are dropped first.
"""

from __future__ import annotations

import re

from searchkit.textnorm import ELISIONS, STOP_WORDS, fold

# a typed word that is not all capitals still counts as an acronym when it is
# this short and unknown to the index (``ban``, ``plu``, ``dae``)
SHORT_UNKNOWN = 5
# an acronym has 2 to 12 letters or digits (``CONSOENAF``, ``RGE``, ``C2I``)
_ACRONYM = re.compile(r"^(?=.*[A-Z].*[A-Z])[A-Z0-9&]{2,12}$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PARENS = re.compile(r"\(\s*([^()]{2,16}?)\s*\)")
_MARKS = re.compile(r"[®©™.\s]")  # removed before folding: fold("®") is "(R)"


def key(text: str) -> str:
    """Upper case, no accents, letters and digits only: ``Ré.G.E®`` -> ``REGE``."""
    return re.sub(r"[^A-Z0-9]", "", fold(text).upper())


def looks_like_acronym(word: str, known: bool) -> bool:
    """Whether a typed word is probably an acronym.

    All capitals (two letters at least: ``BAN``, ``C2I``), or a short word
    (at most ``SHORT_UNKNOWN`` letters) that the index does not know
    (``known`` is the caller's answer: a word with postings of its own).
    """
    text = fold(word.strip())
    if _ACRONYM.match(text):
        return True
    return not known and text.isalnum() and 2 <= len(text) <= SHORT_UNKNOWN and not text.isdigit()


def _words(title: str) -> list[str]:
    """The title's words, folded and lower-cased, elided articles removed."""
    out = []
    for word in _WORD.findall(fold(title).lower().replace("’", "'")):
        head, apostrophe, tail = word.partition("'")
        out.append(tail if apostrophe and head in ELISIONS else word.replace("'", ""))
    return [w for w in out if w]


def acronym_of_title(title: str) -> str:
    """The initials of the title's significant words (stop words skipped), upper case."""
    return "".join(w[0] for w in _words(title) if w not in STOP_WORDS and not w.isdigit()).upper()


def acronym_in_title(title: str) -> str:
    """An acronym the title gives in parentheses: ``"Base Adresse Nationale (BAN)"`` -> ``BAN``.

    The parentheses must hold one word of capitals (dots and ``®`` ignored:
    ``(R.G.E®)`` -> ``RGE``); a year, a place or a lower-case word is not one.
    """
    for inside in _PARENS.findall(title):
        text = fold(_MARKS.sub("", inside))
        if _ACRONYM.match(text):
            return text
    return ""


def _consume(letters: str, words: list[str], i: int) -> bool:
    if not letters:
        return True
    if i == len(words):
        return False
    word = words[i]
    if word in STOP_WORDS and _consume(letters, words, i + 1):
        return True
    return word[0] == letters[0] and _consume(letters[1:], words, i + 1)


def names_title(acronym: str, title: str) -> bool:
    """Whether ``acronym`` is spelled by the initials of consecutive words of ``title``.

    The run starts at a significant word; see the module docstring.
    """
    letters = key(acronym).lower()
    if len(letters) < 2:
        return False
    words = _words(title)
    return any(
        words[i] not in STOP_WORDS and words[i][0] == letters[0] and _consume(letters, words, i)
        for i in range(len(words))
    )


def extends(typed: str, acronym: str) -> bool:
    """Whether ``acronym`` is longer than ``typed`` and starts with it (``CONSO`` -> ``CONSOENAF``)."""
    short, long = key(typed), key(acronym)
    return len(short) >= 2 and len(long) > len(short) and long.startswith(short)
