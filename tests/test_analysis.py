"""The French pipeline: each required behaviour of issue 2 is one test."""

import pickle

import pytest

from searchkit.analysis import EXACT, FRENCH, terms
from searchkit.textnorm import facet_key, fold, fold_same_length


def same_terms(a: str, b: str) -> bool:
    return terms(FRENCH, a) == terms(FRENCH, b)


@pytest.mark.parametrize(
    "typed, written",
    [
        ("donnees", "données"),
        ("ecole", "École"),
        ("coeur", "cœur"),
        ("innovation", "l’innovation"),
        ("innovation", "l'innovation"),
        ("reseau ferre", "réseaux ferrés"),
        ("réseaux ferrés", "réseau ferré"),
        ("elections municipales", "élections municipales"),
        ("evenement culturel", "événements culturels"),
        ("velo", "vélos"),
    ],
)
def test_typed_form_gives_the_terms_of_the_written_form(typed, written):
    assert same_terms(typed, written)


def test_unaccented_query_gives_the_same_terms_as_the_accented_one():
    assert terms(FRENCH, "données ouvertes à l’École") == terms(FRENCH, "donnees ouvertes a l'ecole") == ["donne", "ouvert", "ecol"]


def test_elisions_are_removed_but_aujourdhui_is_kept():
    assert terms(FRENCH, "qu’une l'API jusqu'au lorsqu'il puisqu'elle quoiqu'on") == ["api"]
    assert terms(FRENCH, "aujourd'hui") == ["aujourdhui"]
    assert terms(FRENCH, "aujourd’hui") == ["aujourdhui"]


def test_stop_words_are_dropped_accented_or_not():
    assert terms(FRENCH, "le la les de des du et à a été ete") == []


def test_hyphenated_words_are_indexed_whole_and_as_parts_with_positions():
    tokens = [(t.text, t.pos) for t in FRENCH("le cœur de Saint-Étienne bat", positions=True)]
    assert tokens == [("coeur", 0), ("saintetien", 1), ("saint", 1), ("etien", 2), ("bat", 3)]
    # so that "saint etienne" (two words) finds Saint-Étienne
    assert set(terms(FRENCH, "saint etienne")) <= set(terms(FRENCH, "Saint-Étienne"))


def test_numbers_and_ids_are_kept_whole():
    assert terms(FRENCH, "pi vaut 3,14 ; id 20230114093015") == ["pi", "vaut", "3,14", "id", "20230114093015"]


def test_ligatures_and_accents_fold():
    assert fold("Œuvre, æther, Ærø, ß, ﬁn") == "OEuvre, aether, AEro, ss, fin"
    assert terms(FRENCH, "ﬁnance") == terms(FRENCH, "finance")


def test_offsets_point_into_the_original_text():
    text = "L’École de Saint-Étienne"
    spans = [(t.text, text[t.startchar:t.endchar]) for t in FRENCH(text, chars=True)]
    assert spans == [("ecol", "École"), ("saintetien", "Saint-Étienne"), ("saint", "Saint"), ("etien", "Étienne")]


def test_exact_analyzer_keeps_accents_and_word_forms():
    assert terms(EXACT, "Pêche des péchés") == ["pêche", "péchés"]


def test_analyzer_survives_pickling_into_the_index():
    again = pickle.loads(pickle.dumps(FRENCH))
    assert terms(again, "Réseaux ferrés") == ["reseau", "ferr"]


def test_facet_keys_merge_spelling_variants():
    variants = ["libre d'accès", "libre d'accés", "Libre d’accès", "libre d/accès", "  Libre   d'Accès ", "libre d accès"]
    assert {facet_key(v) for v in variants} == {"libredacces"}
    assert facet_key("open data") == facet_key("opendata") == facet_key("Open-Data")
    assert facet_key("open access") != facet_key("open acces")


def test_fold_same_length_keeps_offsets():
    text = "Cœur d’École İstanbul"
    folded = fold_same_length(text)
    assert len(folded) == len(text)
    assert folded.startswith("coeur"[:1] + "o")
    assert "ecole" in folded


TRICKY = [
    "l'accessibilité numérique, qu’est-ce qu’une licence ouverte ?",
    "saint-étienne est-ce que aujourd'hui prud'hommes presqu'île",
    "le-la-les de-du x le-la-les y est-ce z ‐ a‑b",
    "O'Neil ʼl'eau’ ﬁnance Ｆｕｌｌ cœur ÉCOLE",
    "a - b -- c-d-e-f qu' l'-x e-mail re-use 3,14 1.5 x-1",
]


@pytest.mark.parametrize("analyzer", [FRENCH, EXACT], ids=["FRENCH", "EXACT"])
def test_the_one_pass_analysis_gives_the_tokens_of_the_filter_chain(analyzer, corpus):
    """Same terms, positions and offsets as the filters one by one, for every real note,
    the bundled notes and odd strings, twice (the second time from the cache)."""
    texts = TRICKY + [p.read_text("utf-8", errors="replace") for p in sorted((corpus / "notes-ods").glob("*.md"))]

    def tokens(an, text, **kw):
        return [(t.text, t.pos, t.startchar if kw.get("chars") else None) for t in an(text, positions=True, **kw)]

    for _ in range(2):
        for text in texts:
            for kw in ({}, {"chars": True}, {"removestops": False}):
                assert tokens(analyzer, text, **kw) == tokens(analyzer.chain, text, **kw), text[:60]
    assert len(analyzer._terms) > 1000  # the forms were cached
