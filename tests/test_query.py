"""Searching a real index built from the fixture notes."""

import pytest

from searchkit.errors import QueryError
from searchkit.index import update_index
from searchkit.query import Engine, parse
from tests.conftest import REPO
from tests.helpers import copy_notes, write_note


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("q")
    notes = copy_notes(tmp)
    update_index(tmp / "idx", [notes])
    eng = Engine(tmp / "idx")
    yield eng
    eng.close()


def titles(results):
    return [h.title for h in results.hits]


@pytest.mark.parametrize(
    "typed, expected_title",
    [
        ("donnees", "Etalab"),
        ("ecole", "Le cœur de Saint-Étienne"),
        ("coeur", "Le cœur de Saint-Étienne"),
        ("l’innovation", "Le cœur de Saint-Étienne"),
        ("l'innovation", "Le cœur de Saint-Étienne"),
        ("réseaux ferrés", "Le cœur de Saint-Étienne"),
        ("saint etienne", "Le cœur de Saint-Étienne"),
        ("equipements sportifs", "Une note sans en-tête"),
    ],
)
def test_required_french_behaviour(engine, typed, expected_title):
    assert expected_title in titles(engine.search(typed))


def test_title_and_tags_weigh_more_than_body(engine):
    # "plateforme" is a tag and in the summary of data.gouv.fr, nowhere in a title
    assert titles(engine.search("Etalab"))[0] == "Etalab"
    assert titles(engine.search("plateforme"))[0] == "data.gouv.fr"


def test_exact_accented_form_ranks_first(engine):
    assert titles(engine.search("pêche"))[0] == "Pêche en rivière"
    assert titles(engine.search("péché"))[0] == "Le péché de gourmandise"


def test_all_words_required_then_fallback_with_notice(engine):
    both = engine.search("etalab licence")
    assert titles(both)[0] == "Etalab"
    assert both.notice == "1 fiche(s) contiennent tous les mots ; les suivantes n'en contiennent qu'une partie."
    fallback = engine.search("etalab gourmandise")
    assert set(titles(fallback)) >= {"Etalab", "Le péché de gourmandise"}
    assert "une partie des mots" in fallback.notice


def test_phrases_operators_fields_and_prefixes(engine):
    assert set(titles(engine.search('"réseaux ferrés"'))) == {"Le cœur de Saint-Étienne", "data.gouv.fr"}
    assert titles(engine.search('"ferrés réseaux"')) == []
    assert set(titles(engine.search("gourmandise OR rivière"))) == {"Le péché de gourmandise", "Pêche en rivière"}
    assert set(titles(engine.search("gourmandise OU rivière"))) == {"Le péché de gourmandise", "Pêche en rivière"}
    without = titles(engine.search("etalab -licence"))
    # both link to Etalab: the titles of [[id]] targets are searchable (weakly)
    assert set(without) == {"Le cœur de Saint-Étienne", "data.gouv.fr"}
    assert titles(engine.search("etalab SAUF licence")) == without
    assert titles(engine.search("title:etalab")) == ["Etalab"]
    assert titles(engine.search("kesako:plateforme")) == ["data.gouv.fr"]
    assert set(titles(engine.search("type:notion"))) == {"Pêche en rivière", "Le péché de gourmandise"}
    assert titles(engine.search("tag:loisirs")) == ["Pêche en rivière"]
    assert "data.gouv.fr" in titles(engine.search("platef*"))


@pytest.mark.parametrize("text", ['"unbalanced', "(a OR", "OR", "NOT", "*", "-", "a" * 10_000, "\x00\x07ctrl", "東京 Москва العربية", ")))((("])
def test_any_typed_text_is_searched_without_error(engine, text):
    engine.search(text)


def test_filters_use_normalised_keys_and_combine(engine):
    r = engine.search("", filters={"tag": ["libre d'acces"]})
    assert set(titles(r)) == {"Etalab", "data.gouv.fr", "Le cœur de Saint-Étienne"}
    r = engine.search("", filters={"tag": ["libre d'acces"], "type": ["portail", "lieu"]})
    assert set(titles(r)) == {"data.gouv.fr", "Le cœur de Saint-Étienne"}
    r = engine.search("", filters={"tag": ["loisirs", "morale"]})
    assert r.total == 2


def test_facet_counts_follow_the_query_and_merge_variants(engine):
    r = engine.search("", facets=("type", "tag"), facet_top=0)
    tags = {v.value: v.count for v in r.facets["tag"]}
    assert tags["libredacces"] == 3
    assert tags["opendata"] == 2  # "open data" and "opendata"
    types = {v.value: (v.label, v.count) for v in r.facets["type"]}
    assert types["notion"] == ("notion", 2)
    assert types["lieu"] == ("Lieu", 1)
    narrowed = engine.search("gourmandise", facets=("tag",))
    assert [(v.value, v.count) for v in narrowed.facets["tag"]] == [("morale", 1)]


def test_a_facet_ignores_its_own_selection(engine):
    r = engine.search("", filters={"type": ["notion"]}, facets=("type", "tag"), facet_top=0)
    assert r.total == 2
    assert {v.value for v in r.facets["type"]} >= {"notion", "portail", "organisation"}
    assert {v.value for v in r.facets["tag"]} == {"loisirs", "morale"}


def test_snippets_mark_the_matched_words(engine):
    hit = engine.search("réseaux ferrés").hits[0]
    marked = [hit.snippet[a:b] for a, b in hit.marks]
    assert marked == ["réseaux", "ferrés"]


def test_snippets_find_the_words_whatever_their_case_accents_and_ligatures():
    from searchkit.query.snippets import snippet, word_pattern

    text = "Les ŒUVRES d’art — l’Été à İzmir ; cœur, Ÿvette, éTÉ, étés, plus tard l'été"
    shown, marks = snippet(text, word_pattern({"ouvr", "ete", "izmir", "coeur", "yvet"}, set()))
    assert shown == text
    assert [text[a:b] for a, b in marks] == ["ŒUVRES", "Été", "İzmir", "Ÿvette", "éTÉ", "étés", "été"]
    # "cœur" folds to "cour" (one letter for one): no match for "coeur", as before


def test_snippets_show_linked_titles_instead_of_ids(engine):
    hit = engine.search("anime").hits[0]
    assert "data.gouv.fr" in hit.snippet and "[[" not in hit.snippet


def test_links_and_backlinks(engine):
    assert engine.get("20230114093100").links == ("20230114093015", "99999999999999")
    back = engine.backlinks("20230114093015")
    assert [title for _, title in back] == ["data.gouv.fr", "Le cœur de Saint-Étienne"]


def test_typos_are_tolerated_but_rank_below_exact(engine):
    r = engine.search("gourmandize")
    assert titles(r)[0] == "Le péché de gourmandise"
    assert "gourmandize" in r.notice


def test_suggestions_when_nothing_matches(engine):
    r = engine.search("zzzqqq xyzxyz")
    assert r.total == 0 and r.hits == ()


def test_sorting(engine):
    by_title = titles(engine.search("", sort="title", limit=20))
    assert by_title == sorted(by_title, key=lambda s: s.casefold().replace("é", "e").replace("ê", "e"))


def test_bad_limits_and_facets_are_query_errors(engine):
    with pytest.raises(QueryError):
        engine.search("x", limit=-1)
    with pytest.raises(QueryError) as err:
        engine.search("x", filters={"couleur": ["rouge"]})
    assert "Facette inconnue" in err.value.message
    assert engine.search("etalab", limit=0).hits == ()


def test_parse_keeps_what_people_mean():
    clauses, ignored = parse('title:"open data" -brouillon a OR b préf* "')
    assert ignored == ['"']
    clauses, ignored = parse('title:"open data" -brouillon a OR b préf*')
    assert [(c.kind, c.text, c.fields, c.negate) for c in clauses] == [
        ("phrase", "open data", ("title",), False),
        ("word", "brouillon", (), True),
        ("word", "a", (), False),
        ("prefix", "préf", (), False),
    ]
    assert [(c.kind, c.text) for c in clauses[2].alternatives] == [("word", "b")]
    assert ignored == []


def test_facet_counts_from_value_codes_match_each_records_facets(tmp_path):
    from collections import Counter

    from tests.helpers import copy_notes

    notes = copy_notes(tmp_path)
    update_index(tmp_path / "idx", [notes])
    engine = Engine(tmp_path / "idx")
    results = engine.search("", facets=("type", "tag"), facet_top=0, filters={"type": ["notion", "portail"]})
    assert {v.value for v in results.facets["tag"]} == {"loisirs", "morale", "opendata", "libredacces", "plateforme"}
    facets = engine._facets()
    docs = facets.matching({"type": ["notion", "portail"]})
    for name in ("type", "tag"):
        counts = Counter(key for d in docs for key, _ in facets._facets_of(d).get(name, ()))
        if name == "type":  # disjunctive: the type counts ignore the type selection
            counts = Counter(key for d in range(engine.searcher().reader().doc_count_all())
                             for key, _ in facets._facets_of(d).get(name, ()))
        assert {v.value: v.count for v in results.facets[name]} == dict(counts)
    engine.close()


def _udata(ident: str, resources: int, publisher: str) -> dict:
    return {"id": ident, "slug": ident, "title": "Stationnements vélos", "tags": ["velo"], "license": "lov2",
            "description": "Arceaux, abris et consignes pour vélos de la métropole.",
            "organization": {"name": publisher} if publisher else None,
            "resources": [{"title": "fichier", "format": "csv", "url": f"https://example.org/{i}.csv"}
                          for i in range(resources)]}


def test_the_richer_dataset_wins_also_in_an_index_of_several_segments(tmp_path):
    import json

    sources = tmp_path / "catalogues"
    sources.mkdir()
    # the same words; one has more resources and a known publisher
    (sources / "a.json").write_text(json.dumps(_udata("pauvre", 1, "")), encoding="utf-8")
    update_index(tmp_path / "idx", [sources])
    (sources / "b.json").write_text(json.dumps(_udata("riche", 6, "Métropole de Lyon")), encoding="utf-8")
    update_index(tmp_path / "idx", [sources])  # a second segment
    engine = Engine(tmp_path / "idx")
    assert len(engine._current().reader().leaf_readers()) == 2
    hits = engine.search("stationnements", limit=2).hits
    assert [h.id for h in hits] == ["datagouv:riche", "datagouv:pauvre"]
    assert hits[0].score > hits[1].score * 1.02
    engine.close()


def test_no_spelling_suggestions_when_only_the_filters_hide_the_matches(engine):
    hidden = engine.search("etalab", filters={"tag": ["aucun-mot-cle-pareil"]})
    assert (hidden.total, hidden.suggestions) == (0, ())  # the words are right: "did you mean" would mislead
    assert engine.search("etalba", fuzzy=False).suggestions == ("etalab",)  # a word with no match still gets them


def test_a_word_cut_short_is_completed_even_when_its_stem_is_short(tmp_path):
    """"sémant" stems to "sem", a word of no note: the letters typed are completed."""
    root = tmp_path / "notes"
    root.mkdir()
    write_note(root, "web.md", "Le web sémantique", "Des données reliées entre elles.")
    write_note(root, "seminaire.md", "Séminaire", "Une journée d'études.")
    update_index(tmp_path / "idx", [root])
    eng = Engine(tmp_path / "idx")
    try:
        assert titles(eng.search("sémant")) == ["Le web sémantique"]
    finally:
        eng.close()


def test_a_word_cut_short_is_completed_even_when_it_splits_into_two_known_words(tmp_path):
    """"photovolt" is "photo" + "volt", two words of the index, and the start of
    "photovoltaïque": the split guess must not hide the completion."""
    from tests.helpers import write_note

    root = tmp_path / "notes"
    root.mkdir()
    write_note(root, "solaire.md", "Installations photovoltaïques", "Des panneaux photovoltaïques sur les toits.")
    write_note(root, "photo.md", "Photo", "Une photo de la ville.")
    write_note(root, "volt.md", "Le volt", "Le volt mesure une tension.")
    update_index(tmp_path / "idx", [root])
    eng = Engine(tmp_path / "idx")
    try:
        assert titles(eng.search("photovolt")) == ["Installations photovoltaïques"]
    finally:
        eng.close()


def test_letters_the_stemmer_cut_that_are_a_word_family_of_their_own_are_searched(tmp_path):
    """"numéris" stems to "numer" (numérique) but is, as typed, the stem of
    "numérisation": the note about digitisation is found, before a note that only
    mentions "numérique" in passing."""
    root = tmp_path / "notes"
    root.mkdir()
    write_note(root, "num.md", "Le numérique", "Le numérique partout : culture numérique, école numérique.")
    write_note(root, "archives.md", "Archives", "La numérisation des archives départementales.")
    write_note(root, "ecoles.md", "Écoles", "Les écoles de la ville, leurs cantines, leur plan numérique.")
    update_index(tmp_path / "idx", [root])
    eng = Engine(tmp_path / "idx")
    try:
        assert titles(eng.search("numéris")) == ["Le numérique", "Archives", "Écoles"]
        # typed in full, the word keeps its own family only
        assert titles(eng.search("numérique")) == ["Le numérique", "Écoles"]
    finally:
        eng.close()


def test_an_unfinished_word_finds_the_bundled_note_it_begins(tmp_path):
    # the bundled notes: Gallica is the note about digitisation ("numérisation" in its tags)
    update_index(tmp_path / "idx", [REPO / "notes"])
    eng = Engine(tmp_path / "idx")
    try:
        found = titles(eng.search("numéris"))
        assert found[:2] == ["Direction interministérielle du numérique", "Gallica"]
    finally:
        eng.close()


def test_a_long_word_in_no_record_without_a_likely_slip_ranks_and_does_not_filter(tmp_path):
    from searchkit.messages import t
    from searchkit.query.plan import _slip

    notes = tmp_path / "notes"
    write_note(notes, "ciqual.md", "Table de composition des aliments", "Les nutriments des aliments.")
    write_note(notes, "agreste.md", "Aliments pour animaux", "Les aliments composés.")
    write_note(notes, "cahors.md", "Vins de Cahors", "Les aliments servis avec le cahors.")
    write_note(notes, "gouv.md", "Open government", "Le government ouvert.")
    write_note(notes, "science.md", "Science ouverte", "Une science ouverte.")
    update_index(tmp_path / "idx", [notes])
    engine = Engine(tmp_path / "idx")
    try:
        # "calories" (stem "calor") is in no note; its guesses ("cahor", "clor"...) are
        # no slip of a long stem: the notes holding "aliments" are the results
        r = engine.search("calories des aliments")
        assert r.total == 3 and set(titles(r)) == {"Table de composition des aliments", "Aliments pour animaux",
                                                    "Vins de Cahors"}
        assert t("query.absent", words="« calories »") in r.notice
        # "gouvernment" is "government" with a letter too many: a typo, required (the
        # records with only "ouvert" follow, as for any query that few records match)
        r = engine.search("gouvernment ouvert")
        assert titles(r) == ["Open government", "Science ouverte"]
        assert t("query.backfill", n=1) in r.notice
        assert "dans aucune fiche" not in (r.notice or "")
        # alone, an absent word is still looked for by its guesses
        assert titles(engine.search("calories")) == ["Vins de Cahors"]
    finally:
        engine.close()
    assert _slip("nationnal", "national") and _slip("mairie", "mairue") and not _slip("calor", "cahor")


def test_an_absent_word_beside_a_keyword_filter_alone_still_filters(tmp_path):
    from searchkit.messages import t

    notes = tmp_path / "notes"
    write_note(notes, "a.md", "Budget des aliments", "Le budget.", tags="budget")
    write_note(notes, "b.md", "Budget des écoles", "Le budget.", tags="budget")
    update_index(tmp_path / "idx", [notes])
    engine = Engine(tmp_path / "idx")
    try:
        # nothing but a field's word beside it: "calories" (its guesses) is still required,
        # and as for any query no record fully matches, records with some words follow
        r = engine.search("calories tag:budget")
        assert r.notice == t("query.fallback")
    finally:
        engine.close()
