"""Mining thesaurus groups from a catalogue (evaluation/thesaurus_mine.py)."""

from __future__ import annotations

import json

import yaml

from evaluation import thesaurus_mine


def test_expansion_is_the_run_of_words_before_the_parentheses():
    assert thesaurus_mine.expansion("ZAPEF", "Zones d'accueil du Public en Forêt (ZAPEF) dans les Bouches-du-Rhône") \
        == "Zones d'accueil du Public en Forêt"
    assert thesaurus_mine.expansion("PPRI", "Zonage du Plan de Prévention du Risque Inondation (PPRI) de Rouen") \
        == "Plan de Prévention du Risque Inondation"
    assert thesaurus_mine.expansion("RNA", "Répertoire National des Associations") == "Répertoire National des Associations"
    assert thesaurus_mine.expansion("BAN", "Bilan (BAN)") == ""


def _dataset(n: int, title: str, tags=(), acronym=None, org="Org"):
    return {"id": f"5369{n:020d}", "title": title, "slug": f"d{n}", "page": f"https://x/{n}", "acronym": acronym,
            "tags": list(tags), "organization": {"name": org}}


def test_mined_groups_and_their_reasons(tmp_path):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    records = [
        _dataset(1, "Zones urbaines sensibles (ZUS) de Lyon"),
        _dataset(2, "Population des zones urbaines sensibles (ZUS)"),
        _dataset(3, "Liste des ZUS", acronym="ZUS"),  # the field, but no spelled-out words: not counted
        _dataset(4, "Aide médicale d'État (AME)"),
        _dataset(5, "Bilan (BAN)"),  # initials do not spell it
        _dataset(6, "Base Adresse Nationale (BAN)"),  # in the bundled thesaurus already
        _dataset(7, "Plan de Gêne Sonore (PG)"),  # two letters: too ambiguous
        *[_dataset(10 + i, f"Interventions des services d'incendie et de secours {year}", ["pompier"], org=f"SDIS {i}")
          for i, year in enumerate((2019, 2020, 2021, 2022))],
    ]
    (folder / "page.json").write_text(json.dumps({"data": records, "page": 1, "total": len(records)}), "utf-8")
    out = tmp_path / "mined.yaml"
    assert thesaurus_mine.main([str(folder), "--out", str(out)]) == 0
    text = out.read_text("utf-8")
    assert yaml.safe_load(text) == [
        ["AME", "aide médicale d'état"],
        ["ZUS", "zones urbaines sensibles"],
        ["pompier", "services d'incendie et de secours"],
    ]
    assert "# acronym: ZUS spelled by the initials of 'Zones urbaines sensibles' on 2 of 2 record(s) (2 from title)" in text
    assert ("# tag: 'pompier' on 4 distinct titles; 4 of them, from 4 publishers, hold "
            "'services d'incendie et de secours', as do 0 untagged title(s)") in text
