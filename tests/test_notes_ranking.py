"""Issue 13, notes side: accents, elisions, tags and words cut short, on real notes.

Each test indexes real notes on disk (the bundled ``notes/``, and the 144 real notes of
the shared corpus, skipped when it is absent) and states the principle it checks:

- a word typed without accents ranks the notes as the accented word does;
- ``l'`` / ``d'`` glued to a word search the bare word (synonyms and acronyms included);
- a query that names a tag, as written in the notes or with ``#``, puts the notes carrying
  it before the notes that only repeat its words, but not before a note whose title holds them;
- the last word, cut short while typing, is completed to the words that name notes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from searchkit.index import update_index
from searchkit.query import Engine
from searchkit.query.parse import parse
from searchkit.textnorm import without_elision
from tests.conftest import REPO


def _engine(tmp_path_factory, folder: Path, name: str):
    idx = tmp_path_factory.mktemp(name) / "idx"
    update_index(idx, [folder])
    return Engine(idx)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    engine = _engine(tmp_path_factory, REPO / "notes", "bundled")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from tests.conftest import CORPUS

    if not (CORPUS / "notes-ods").is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    engine = _engine(tmp_path_factory, CORPUS / "notes-ods", "real")
    yield engine
    engine.close()


def _files(engine: Engine, text: str, limit: int = 10) -> list[str]:
    return [Path(h.path).name for h in engine.search(text, limit=limit, facets=()).hits]


# -------------------------------------------------------------------- accents


@pytest.mark.parametrize("plain, accented", [
    ("geoportail", "géoportail"),
    ("defibrillateurs", "défibrillateurs"),
    ("elections municipales", "élections municipales"),
    ("donnees personnelles", "données personnelles"),
])
def test_a_query_without_accents_ranks_as_the_accented_one(bundled, plain, accented):
    assert _files(bundled, plain) == _files(bundled, accented)


@pytest.mark.parametrize("plain, accented", [
    ("geomaticien", "géomaticien"),
    ("securite des donnees", "sécurité des données"),
    ("systeme d'information geographique", "système d'information géographique"),
    ("l'accessibilite numerique", "l'accessibilité numérique"),
])
def test_real_notes_rank_the_same_with_or_without_accents(real, plain, accented):
    # before: only the accented form earned the exact-form bonus of titles and tags
    assert _files(real, plain) == _files(real, accented)


# -------------------------------------------------------------------- elisions


def test_elided_words_are_cut_from_a_typed_word():
    assert without_elision("l'INSEE") == "INSEE"
    assert without_elision("L’ouverture") == "ouverture"
    assert without_elision("qu'est-ce") == "est-ce"
    assert without_elision("aujourd'hui") == "aujourd'hui"
    assert [c.text for c in parse("l'opendata d’Etalab #cartographie")[0]] == ["opendata", "Etalab", "cartographie"]


@pytest.mark.parametrize("elided, bare", [("l'INSEE", "INSEE"), ("d’Etalab", "Etalab")])
def test_an_elided_word_gets_the_ranking_and_synonyms_of_the_bare_word(bundled, elided, bare):
    a, b = (bundled.search(q, limit=10, facets=()) for q in (elided, bare))
    assert [h.id for h in a.hits] == [h.id for h in b.hits]
    assert a.notice == b.notice


def test_an_elided_word_keeps_its_thesaurus_synonyms_on_real_notes(real):
    # before: "l'opendata" found 19 notes, without the "open data" synonym
    a, b = (real.search(q, limit=10, facets=()) for q in ("l'opendata", "opendata"))
    assert a.total == b.total > 100
    assert [h.id for h in a.hits] == [h.id for h in b.hits]


# ------------------------------------------------------------------------ tags


def test_a_tag_typed_with_a_hash_puts_the_notes_carrying_it_first(bundled):
    assert set(_files(bundled, "#cartographie", 5)) == {
        "Géoportail.md", "IGN.md", "cadastre.md", "OpenStreetMap France.md", "QGIS.md"}


def test_real_notes_carrying_a_typed_tag_come_first(real):
    # before: christian-quest.md (tagged 'Cartographie numérique', not 'cartographie') second
    assert set(_files(real, "#cartographie", 2)) == {"ign.md", "datanova.md"}
    # before: DataKind.md fifth, behind pierre-jannin.md ('data science')
    assert set(_files(real, "science des données", 4)) >= {
        "DataKind.md", "Rufus Pollock.md", "comite-pour-la-science-ouverte.md"}


def test_a_tag_typed_in_the_app_lifts_the_notes_carrying_it_too(real):
    # the app searches as you type: the last word is a prefix there (prefix_last)
    hits = real.search("science des données", limit=4, facets=(), prefix_last=True).hits
    assert {"DataKind.md", "Rufus Pollock.md", "comite-pour-la-science-ouverte.md"} <= {Path(h.path).name for h in hits}


def test_a_tag_does_not_pass_a_note_whose_title_holds_the_query(real):
    # "Etalab" tags the notes of people who ran it: the notes titled Etalab stay first
    assert _files(real, "étalab", 2) == ["etalab.md", "guide étalab.md"]


# ------------------------------------------------------------ words cut short


@pytest.mark.parametrize("typed, first", [
    ("licence ouv", "Licence Ouverte.md"),  # three letters, the last of several words
    ("gouvernement ouv", "Partenariat pour un gouvernement ouvert.md"),
    ("fête de la mus", "Fête de la musique.md"),
    ("frictionl", "Frictionless Data.md"),
])
def test_the_last_word_cut_short_is_completed(bundled, typed, first):
    assert _files(bundled, typed, 1) == [first]


@pytest.mark.parametrize("typed, first", [
    ("géomat", "géomaticien.md"),  # a stem of its own ("géomatique"), and the start of a title
    ("datactiv", "datactivist.md"),
    ("bibliothèque nat", "BNF.md"),
    ("science ouv", "comite-pour-la-science-ouverte.md"),
])
def test_real_notes_named_by_the_completion_come_first(real, typed, first):
    assert _files(real, typed, 1) == [first]


def test_a_completion_is_searched_in_bodies_too(real):
    # "Datactivist" is in samuel-goeta's tags and in maelle-fouquenet's body only
    assert {"samuel-goeta.md", "maelle-fouquenet.md"} <= set(_files(real, "datactiv"))


def test_a_word_written_whole_in_titles_or_tags_is_not_completed(real, bundled):
    assert _files(real, "ODI", 1) == ["Open Data Institute.md"]  # capitals: an acronym, not "ODIN"
    assert "OpenDataSoft.md" not in _files(bundled, "opendata", 3)  # a tag as written
