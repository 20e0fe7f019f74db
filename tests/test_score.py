"""The block scorer gives Whoosh's own BM25F scores, and facet counts follow updates.

A real index of the bundled notes, then an incremental update (an edited note, a
new one, a removed one), so that the index has two segments and deleted records.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from searchkit.index import update_index
from searchkit.query import Engine, build
from searchkit.query.matchers import walk
from searchkit.query.score import Scorer
from searchkit.textnorm import facet_key

REPO = Path(__file__).resolve().parents[1]

QUERIES = [
    "données ouvertes", "licence", "open data", '"données ouvertes"', "etalab OR cnil", "données -licence",
    "opendata", "donnees ouvertes publiques", "zygomorphe", "anonymisation des données personnelles",
    "donée", "licenc", "plateforme*", "title:données", "tag:opendata données", "base adresse nationale",
    "qui publie les données de transport ?", "saint-étienne", "géo portail", "cnli",
]


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("score")
    notes = root / "notes"
    shutil.copytree(REPO / "notes", notes)
    update_index(root / "idx", [notes])
    edited = sorted(notes.glob("*.md"))[3]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUn zygomorphe, données ouvertes.\n", encoding="utf-8")
    sorted(notes.glob("*.md"))[5].unlink()
    (notes / "nouvelle.md").write_text("---\ntitle: Nouvelle note\ntags: [open data, zygomorphe]\ntypes: [guide]\n---\n"
                                       "Données ouvertes et licence ouverte, un zygomorphe.\n", encoding="utf-8")
    update_index(root / "idx", [notes])
    return root / "idx"


def test_the_index_has_segments_and_deletions(updated_index):
    engine = Engine(updated_index)
    leaves = list(engine.searcher().reader().leaf_readers())
    assert len(leaves) == 2
    assert sum(r.has_deletions() for r, _ in leaves) == 1
    engine.close()


@pytest.mark.parametrize("any_word", [False, True])
def test_block_scores_are_whooshs_bm25f(updated_index, any_word):
    engine = Engine(updated_index)
    searcher = engine.searcher()
    scorer = Scorer(searcher)
    assert scorer.deleted
    compared = 0
    for text in QUERIES:
        query = build(searcher.reader(), text, any_word=any_word).query
        if query is None:
            continue
        expected = walk(searcher, query)  # Whoosh's matchers and its BM25F
        got = scorer.scores(query)
        assert set(got) == set(expected), text
        assert not set(got) & scorer.deleted
        for d, score in expected.items():
            assert got[d] == pytest.approx(score, rel=1e-12), (text, d)
        compared += len(expected)
    assert compared > 200
    engine.close()


def test_rescoring_only_some_records_gives_their_full_scores(updated_index):
    engine = Engine(updated_index)
    searcher = engine.searcher()
    built = build(searcher.reader(), "données ouvertes publiques")
    full = Scorer(searcher).scores(built.bonus)
    some = sorted(full)[::3]
    assert Scorer(searcher).scores(built.bonus, only=some) == {d: full[d] for d in some}
    engine.close()


def test_facet_counts_after_updates_and_deletes(updated_index):
    engine = Engine(updated_index)
    results = engine.search("", facets=("type", "tag"), facet_top=0, limit=0)
    reader = engine.searcher().reader()
    expected: dict[str, Counter] = {"type": Counter(), "tag": Counter()}
    for docnum in reader.all_doc_ids():  # the records left, each read whole
        record = engine.get(reader.stored_fields(docnum)["id"])
        expected["type"].update({facet_key(k) for k in record.types} - {""})
        expected["tag"].update({facet_key(k) for k in record.tags} - {""})
    assert results.total == reader.doc_count() == 56
    assert {v.value: v.count for v in results.facets["type"]} == dict(expected["type"])
    assert {v.value: v.count for v in results.facets["tag"]} == dict(expected["tag"])
    assert {v.value: v.count for v in results.facets["tag"]}["zygomorphe"] == 1
    found = engine.search("zygomorphe", facets=("tag",), facet_top=0)
    assert found.total == 2
    assert {v.value: v.count for v in found.facets["tag"]}["zygomorphe"] == 1
    engine.close()


def test_doc_frequency_counts_records_not_fields(updated_index):
    engine = Engine(updated_index)
    assert engine.doc_frequency("zygomorphe") == 2  # the edited note and the new one (body, tags, title)
    assert engine.doc_frequency("xyzzyqwert") == 0
    engine.close()
