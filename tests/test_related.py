"""Related records (``searchkit related``) on real notes, with the reason shown."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluation.related import evaluate
from searchkit.cli import main
from tests.helpers import copy_notes


def sk(*args, code=0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture
def notes(tmp_path):
    root = copy_notes(tmp_path)
    sk("index", str(root), "-q")
    return root


def test_related_notes_with_their_reasons(notes):
    out = sk("related", "20230114093015").stdout  # Etalab
    assert out.splitlines() == [
        " 1. data.gouv.fr  [note]",
        "    liens dans les deux sens · tags communs : open data, libre d'accès · "
        "mots proches : données, ouverte, etalab, publiques",
        f"    {notes / 'datagouv.md'}",
        " 2. Le cœur de Saint-Étienne  [note]",
        "    renvoie à cette fiche · tags communs : libre d'accès · mots proches : etalab",
        f"    {notes / 'cœur de Saint-Étienne.md'}",
    ]


def test_a_note_is_named_by_its_file_and_unknown_records_are_one_line(notes):
    by_path = json.loads(sk("related", str(notes / "datagouv.md"), "--format", "json").stdout)
    assert [(r["title"], r["linked"]) for r in by_path] == [("Etalab", "both"), ("Le cœur de Saint-Étienne", "")]
    assert by_path[1]["words"] == ["ferré", "réseau"]
    unknown = sk("related", "nulle-part", code=2)
    assert unknown.stderr == ("erreur: « nulle-part » n'est ni un identifiant de l'index ni une note indexée ; "
                              "vérifiez-le ou lancez « searchkit index ».\n")
    alone = sk("related", "vide.md", code=1)  # the empty note shares nothing with the others
    assert alone.stderr == "Aucune fiche proche de « vide.md ».\n"
    # "pêche" and "péché" fold to the same word: the reason shows which
    assert sk("related", "20230114093300").stdout.splitlines()[:2] == [
        " 1. Le péché de gourmandise  [note]", "    mots proches : pêche"]


def test_on_the_real_notes_linked_notes_come_up_far_more_often_than_chance(corpus, tmp_path):
    sk("index", str(corpus / "notes-ods"), "--index", str(tmp_path / "idx"), "-q")
    figures = evaluate(tmp_path / "idx", top=10, sample=40)
    assert figures["records"] == 144
    assert figures["targets"] >= 30
    # words and tags alone, links left out: 48.9% of all 174 targets against 7.0% by chance
    assert figures["recall"] >= 4 * figures["chance"]


def test_related_on_a_real_note_names_its_link_and_shared_tags(corpus, tmp_path):
    sk("index", str(corpus / "notes-ods"), "--index", str(tmp_path / "idx"), "-q")
    found = json.loads(sk("related", str(corpus / "notes-ods" / "CNNum.md"), "--index", str(tmp_path / "idx"),
                          "--format", "json", "-n", "3").stdout)
    assert [(r["title"], r["linked"], r["shared_tags"]) for r in found] == [
        ("Gouvernement français", "to", ["open data", "données gouvernementales"]),
        ("DINUM", "", ["numérique"]),
        ("Innopublica", "", ["open data"]),
    ]
