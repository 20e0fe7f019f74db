"""Acronym helpers (searchkit/acronyms.py): typed words, titles, longer acronyms."""

from __future__ import annotations

import pytest

from searchkit.acronyms import acronym_in_title, acronym_of_title, extends, looks_like_acronym, names_title


@pytest.mark.parametrize(
    "word, known, expected",
    [
        ("BAN", True, True),  # all capitals, even when the index knows it as a word
        ("C2I", True, True),
        ("ÉPCI", True, True),
        ("ban", False, True),  # short and unknown
        ("dvf", False, True),
        ("ban", True, False),  # short but known: a word
        ("vélo", True, False),
        ("adresse", False, False),  # too long to be a lower-case acronym
        ("A", True, False),  # one capital is not an acronym
        ("2024", False, False),
        ("Paris", True, False),
    ],
)
def test_looks_like_acronym(word, known, expected):
    assert looks_like_acronym(word, known=known) is expected


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Base Adresse Nationale", "BAN"),
        ("Règlement général sur la protection des données", "RGPD"),
        ("Plan local d'urbanisme", "PLU"),
        ("Plan Local d’Urbanisme", "PLU"),
        ("Demandes de valeurs foncières", "DVF"),
        ("Élections municipales 2020", "EM"),
    ],
)
def test_acronym_of_title(title, expected):
    assert acronym_of_title(title) == expected


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Base Adresse Nationale (BAN)", "BAN"),
        ("Zones d'accueil du Public en Forêt (ZAPEF) dans les Bouches-du-Rhône", "ZAPEF"),
        ("Enquête mobilité certifiée Cerema (EMC²) Arras 2024", "EMC2"),
        ("Référentiel à grande échelle (R.G.E®)", "RGE"),
        ("Base nationale des bâtiments (BDNB) - millésime 2024 (v1)", "BDNB"),
        ("Résultats des élections (2019)", ""),  # a year
        ("Stationnements vélos (Rennes)", ""),  # a place
        ("Données (en cours)", ""),
        ("Base Adresse Nationale", ""),
    ],
)
def test_acronym_in_title(title, expected):
    assert acronym_in_title(title) == expected


@pytest.mark.parametrize(
    "acronym, title, expected",
    [
        ("BAN", "Base Adresse Nationale", True),
        ("ban", "La base adresse nationale des communes", True),  # starts at a significant word
        ("FINESS", "Fichier national des établissements sanitaires et sociaux", False),  # syllables
        ("ZAPEF", "Zones d'accueil du Public en Forêt dans les Bouches-du-Rhône", True),
        ("PLU", "Plan local d'urbanisme de Lyon", True),
        ("DVF", "Demandes de valeurs foncières géolocalisées", True),
        ("RGPD", "Règlement général sur la protection des données", True),
        ("BAN", "Bilan annuel", False),  # initials only: not B-AN
        ("BAN", "Base nationale des adresses", False),  # wrong order, and not BA-N
        ("BAN", "Base, Adresse, Nationale", True),  # punctuation does not break a run
        ("BAN", "Base de données adresse nationale", False),  # a significant word in between
        ("FNESS", "Fichier national des établissements sanitaires et sociaux", True),
        ("PLU", "Local plan d'urbanisme", False),
        ("B", "Base", False),  # one letter names nothing
        ("DE", "des équipements", False),  # a run starts at a significant word
    ],
)
def test_names_title(acronym, title, expected):
    assert names_title(acronym, title) is expected


@pytest.mark.parametrize(
    "typed, acronym, expected",
    [
        ("CONSO", "CONSOENAF", True),
        ("ocs", "OCSGE", True),
        ("OCSGE", "OCSGE", False),  # the same, not longer
        ("GE", "OCSGE", False),
        ("O", "OCSGE", False),
        ("emc", "EMC² Toulon 2022", True),
    ],
)
def test_extends(typed, acronym, expected):
    assert extends(typed, acronym) is expected
